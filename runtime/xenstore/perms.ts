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

/** Parses `r5`; the domid may be written as C's strtol base 0 would read it. */
export function parsePerm(s: string): Perm | undefined {
  const m = /^([nrwb])(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const domid = Number(m[2].startsWith("0") && m[2].length > 1 && !/^0[xX]/.test(m[2]) ? parseInt(m[2], 8) : m[2]);
  if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) return undefined;
  return { access: m[1] as Access, domid };
}

export const canRead = (a: Access): boolean => a === "r" || a === "b";
export const canWrite = (a: Access): boolean => a === "w" || a === "b";
