// QuickJS (2025-04-26 still) has no TextEncoder/TextDecoder, so the bytes <-> string step is ours.
// Decoding is strict: XenStore values may hold any byte, and a caller must learn that a value
// is not UTF-8 rather than get U+FFFD silently.

export class Utf8Error extends Error {
  readonly code = "EILSEQ";
  constructor(readonly offset: number) {
    super(`invalid UTF-8 at byte ${offset}`);
  }
}

export function encodeUtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** Decodes strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF); throws Utf8Error. */
export function decodeUtf8(b: Uint8Array): string {
  let s = "";
  let i = 0;
  while (i < b.length) {
    const x = b[i];
    let cp: number;
    let n: number;
    if (x < 0x80) {
      cp = x;
      n = 1;
    } else if (x >= 0xc2 && x <= 0xdf) {
      cp = x & 0x1f;
      n = 2;
    } else if (x >= 0xe0 && x <= 0xef) {
      cp = x & 0x0f;
      n = 3;
    } else if (x >= 0xf0 && x <= 0xf4) {
      cp = x & 0x07;
      n = 4;
    } else throw new Utf8Error(i);
    if (i + n > b.length) throw new Utf8Error(i);
    for (let k = 1; k < n; k++) {
      const y = b[i + k];
      if ((y & 0xc0) !== 0x80) throw new Utf8Error(i);
      cp = (cp << 6) | (y & 0x3f);
    }
    const tooSmall = (n === 3 && cp < 0x800) || (n === 4 && cp < 0x10000);
    if (tooSmall || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new Utf8Error(i);
    s += String.fromCodePoint(cp);
    i += n;
  }
  return s;
}
