// Who may do what to a node (core.c perm_for_conn): dom0, the owner (first perm entry) and the
// owner's device model (SET_TARGET) get everything; otherwise the first later entry naming the
// caller or its target decides, else the owner entry's letter, the default for everyone else.
import type { Perm } from "../../runtime/xenstore/perms.ts";

/** Who is asking: a domid, and the domain it serves as device model for (SET_TARGET), if any. */
export interface Caller {
  domid: number;
  target?: number;
}

export const READ = 1;
export const WRITE = 2;
export const OWNER = 4;

export const isPrivileged = (c: Caller): boolean => c.domid === 0;

const bits = (p: Perm): number => (p.access === "r" ? READ : p.access === "w" ? WRITE : p.access === "b" ? READ | WRITE : 0);

export function permFor(perms: readonly Perm[], c: Caller): number {
  const owner = perms[0];
  const mine = (domid: number): boolean => domid === c.domid || (c.target !== undefined && domid === c.target);
  if (isPrivileged(c) || mine(owner.domid)) return READ | WRITE | OWNER;
  for (let i = 1; i < perms.length; i++) if (mine(perms[i].domid)) return bits(perms[i]);
  return bits(owner);
}

export const has = (granted: number, wanted: number): boolean => (granted & wanted) === wanted;
