// How xenstored reads a request payload (core.c get_string, get_strings, onearg; xs_lib.c
// xs_count_strings): NUL-terminated strings taken as raw bytes. Strings are held here as
// latin1 (one char per byte), so any token round-trips exactly and a non-ASCII path simply
// fails the character check, as in C.
import { XsError } from "./errors.ts";

export function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** `a|b|` : each string NUL-terminated, as replies and events carry them. */
export const nulTerminated = (fields: readonly string[]): Uint8Array => latin1Bytes(fields.map((f) => `${f}\0`).join(""));

/** get_strings: every NUL-terminated string; bytes after the last NUL are not one. */
export function cStrings(b: Uint8Array): string[] {
  const s = latin1(b);
  const parts = s.split("\0");
  parts.pop();
  return parts;
}

/** onearg: the payload is exactly one string, its NUL the last byte; else EINVAL. */
export function oneArg(b: Uint8Array): string {
  const i = b.indexOf(0);
  if (b.length === 0 || i !== b.length - 1) throw new XsError("EINVAL", "expected exactly one NUL-terminated argument");
  return latin1(b.subarray(0, i));
}

const TWO32 = 2 ** 32;

/** C's atoi (glibc: (int) strtol(s, NULL, 10)): leading blanks, a sign, digits, junk ignored. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s)!;
  let low = 0;
  let approx = 0;
  for (const ch of m[2]) {
    low = (low * 10 + Number(ch)) % TWO32;
    approx = approx * 10 + Number(ch);
  }
  if (approx > 2 ** 63 - 1) return m[1] === "-" ? 0 : -1; // LONG_MIN / LONG_MAX cut to int
  return (m[1] === "-" ? TWO32 - low : low) | 0;
}

/** parse_domid (current xenstored): decimal, nothing after it, at most 65535; else EINVAL. */
export function parseDomid(s: string): number {
  const m = /^(?:[ \t\n\v\f\r]*([+-]?)(\d+))?$/.exec(s);
  if (!m) throw new XsError("EINVAL", `bad domid ${JSON.stringify(s)}`);
  const n = m[2] === undefined ? 0 : Number(m[2]);
  if (n > 65535 || (m[1] === "-" && n !== 0)) throw new XsError("EINVAL", `domid ${s} out of range`);
  return n;
}
