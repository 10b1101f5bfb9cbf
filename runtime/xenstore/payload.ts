// Payload layouts from docs/misc/xenstore.txt: strings separated by NUL; a READ reply and a
// WRITE value are raw bytes without a trailing NUL.
import { decodeUtf8, encodeUtf8 } from "../utf8.ts";

/** String to bytes; plain ASCII (nearly every path and value) skips the general UTF-8 encoder. */
export function encodeText(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return encodeUtf8(s);
    out[i] = c;
  }
  return out;
}

const isAscii = (b: Uint8Array): boolean => {
  for (let i = 0; i < b.length; i++) if (b[i] >= 0x80) return false;
  return true;
};

/** Bytes to string, strict UTF-8 (Utf8Error otherwise); plain ASCII skips the general decoder. */
export function decodeText(b: Uint8Array): string {
  return isAscii(b) ? String.fromCharCode.apply(null, b as unknown as number[]) : decodeUtf8(b);
}

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
  for (const f of fields) parts.push(encodeText(f), Uint8Array.of(0));
  return concat(parts);
}

/** `path|value` : the WRITE layout, the value taken as raw bytes. */
export function pathAndValue(path: string, value: Uint8Array): Uint8Array {
  return concat([encodeText(path), Uint8Array.of(0), value]);
}

/** Splits on NUL; a trailing NUL does not add an empty last field. */
export function splitNul(b: Uint8Array): string[] {
  if (isAscii(b)) {
    // One string for the whole payload (at most 4096 bytes), then one split: DIRECTORY replies.
    const parts = String.fromCharCode.apply(null, b as unknown as number[]).split("\0");
    if (parts[parts.length - 1] === "") parts.pop();
    return parts;
  }
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) {
      out.push(decodeText(b.subarray(start, i)));
      start = i + 1;
    }
  }
  if (start < b.length) out.push(decodeText(b.subarray(start)));
  return out;
}
