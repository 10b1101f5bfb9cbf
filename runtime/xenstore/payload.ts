// Payload layouts from docs/misc/xenstore.txt: strings separated by NUL; a READ reply and a
// WRITE value are raw bytes without a trailing NUL.
import { decodeUtf8, encodeUtf8 } from "../utf8.ts";

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};

/** `a|b|c|` : every string NUL-terminated. */
export function joinNul(fields: ReadonlyArray<string>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) parts.push(encodeUtf8(f), Uint8Array.of(0));
  return concat(parts);
}

/** `path|value` : the WRITE layout, the value taken as raw bytes. */
export function pathAndValue(path: string, value: Uint8Array): Uint8Array {
  return concat([encodeUtf8(path), Uint8Array.of(0), value]);
}

/** Splits on NUL; a trailing NUL does not add an empty last field. */
export function splitNul(b: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) {
      out.push(decodeUtf8(b.subarray(start, i)));
      start = i + 1;
    }
  }
  if (start < b.length) out.push(decodeUtf8(b.subarray(start)));
  return out;
}

/** Splits at the first NUL: the WRITE request's path and its raw value. */
export function splitFirstNul(b: Uint8Array): [string, Uint8Array] | undefined {
  const i = b.indexOf(0);
  if (i < 0) return undefined;
  return [decodeUtf8(b.subarray(0, i)), b.slice(i + 1)];
}
