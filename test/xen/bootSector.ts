// The Xen tier's small HVM guests are boot sectors written as bytes: this lays them out, resolves
// their labels and jumps (loaded at 0000:7c00 by the BIOS), and makes the 512-byte sector.

export type Item = number | { rel8: string } | { rel16: string } | { abs16: string } | { label: string };

const ORIGIN = 0x7c00;

export const lo = (n: number): number => n & 0xff;
export const hi = (n: number): number => (n >> 8) & 0xff;

/** Lays out bytes, labels and jumps; resolves them in a second pass. */
export function assemble(items: readonly Item[], what = "boot sector"): number[] {
  const labels = new Map<string, number>();
  let at = 0;
  const size = (i: Item): number => (typeof i === "number" ? 1 : "label" in i ? 0 : "rel8" in i ? 1 : 2);
  for (const i of items) {
    if (typeof i === "object" && "label" in i) labels.set(i.label, at);
    at += size(i);
  }
  const where = (name: string): number => {
    const v = labels.get(name);
    if (v === undefined) throw new Error(`${what}: no label ${name}`);
    return v;
  };
  const out: number[] = [];
  for (const i of items) {
    if (typeof i === "number") out.push(i);
    else if ("rel8" in i) {
      const d = where(i.rel8) - (out.length + 1);
      if (d < -128 || d > 127) throw new Error(`${what}: jump to ${i.rel8} out of range`);
      out.push(d & 0xff);
    } else if ("rel16" in i) {
      const d = where(i.rel16) - (out.length + 2);
      out.push(lo(d), hi(d));
    } else if ("abs16" in i) out.push(lo(ORIGIN + where(i.abs16)), hi(ORIGIN + where(i.abs16)));
  }
  return out;
}

/** `print`: writes the NUL-terminated string at ds:si to the serial port `port`; clobbers al, dx, si. */
export const printRoutine = (port: number): Item[] => [
  { label: "print" },
  0xba, lo(port), hi(port), // mov dx, port
  { label: "next" },
  0xac, // lodsb
  0x84, 0xc0, // test al, al
  0x74, { rel8: "done" }, // jz done
  0xee, // out dx, al
  0xeb, { rel8: "next" }, // jmp next
  { label: "done" },
  0xc3, // ret
];

/** A NUL-terminated string's bytes. */
export const text = (s: string): number[] => [...Array.from(s, (c) => c.charCodeAt(0)), 0];

/** The code in a 512-byte sector with the BIOS's boot signature. */
export function bootSector(what: string, code: readonly number[]): Uint8Array {
  if (code.length > 510) throw new Error(`${what} is ${code.length} bytes; a boot sector holds 510`);
  const sector = new Uint8Array(512);
  sector.set(code, 0);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** The sector at the start of a 1 MiB raw disk, as xl's `disk=` takes it. */
export function bootDisk(sector: Uint8Array): Uint8Array {
  const disk = new Uint8Array(1 << 20);
  disk.set(sector, 0);
  return disk;
}
