// QMP is one JSON object per line, both ways. Lines are split here for the supervisor's own QMP
// client and for the relay that carries libxl's QMP, with a bound: a peer that never ends a line
// cannot grow PID 1's memory past MAX_QMP_LINE.

/** Longer than any reply QEMU gives libxl or us (query-qmp-schema is ~200 KB). */
export const MAX_QMP_LINE = 4 << 20;

export class QmpLineTooLong extends Error {}

export class QmpLines {
  private buffered = new Uint8Array(0);

  /** The complete lines in `bytes` (each with its "\n"); the rest waits for the next push. */
  push(bytes: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buffered.length + bytes.length);
    joined.set(this.buffered);
    joined.set(bytes, this.buffered.length);
    const lines: Uint8Array[] = [];
    let start = 0;
    for (let i = this.buffered.length; i < joined.length; i++) {
      if (joined[i] !== 0x0a) continue;
      lines.push(joined.subarray(start, i + 1));
      start = i + 1;
    }
    this.buffered = joined.slice(start);
    if (this.buffered.length > MAX_QMP_LINE) throw new QmpLineTooLong(`a QMP line of over ${MAX_QMP_LINE} bytes`);
    return lines;
  }
}

/** The line as a JSON object, or undefined when it is not one. */
export function qmpObject(line: Uint8Array, decode: (b: Uint8Array) => string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(decode(line)) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
