// Node permissions (docs/misc/xenstore.txt): a letter and a domid, e.g. `n0`, `r5`, `b0`.
// The first entry names the owner and the default for every domain not listed.
export type Access = "n" | "r" | "w" | "b";
export interface Perm {
  domid: number;
  access: Access;
}

export function formatPerm(p: Perm): string {
  return `${p.access}${p.domid}`;
}

const TWO32 = 2 ** 32;
const LONG_MAX = 2 ** 63 - 1;

/**
 * Parses `r5` as xenstored's xs_strings_to_perms does: the domid is read by C's strtol(p, &end, 0)
 * (leading blanks, a sign, 0x hex, 0 octal; out-of-range clamps to LONG_MIN/LONG_MAX) and stored
 * in an unsigned int, so `r-1` is domid 4294967295. Anything left after the number is invalid.
 */
export function parsePerm(s: string): Perm | undefined {
  const m = /^([nrwb])[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|0([0-7]*)|([1-9][0-9]*))$/.exec(s);
  if (!m) return undefined;
  const [base, digits] = m[3] !== undefined ? [16, m[3]] : m[4] !== undefined ? [8, m[4]] : [10, m[5]];
  // The low 32 bits exactly (no BigInt: it is optional in QuickJS), the magnitude roughly for clamping.
  let low = 0;
  let approx = 0;
  for (const ch of digits) {
    const d = parseInt(ch, 16);
    low = (low * base + d) % TWO32;
    approx = approx * base + d;
  }
  const negative = m[2] === "-";
  let domid: number;
  if (approx > LONG_MAX) domid = negative ? 0 : TWO32 - 1;
  else domid = negative ? (TWO32 - low) % TWO32 : low;
  return { access: m[1] as Access, domid };
}

export const canRead = (a: Access): boolean => a === "r" || a === "b";
export const canWrite = (a: Access): boolean => a === "w" || a === "b";
