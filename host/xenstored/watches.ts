// Which watches a change fires, and with what event path (C xenstored watch.c; <depth> and the
// per-domain special events as newer versions have them).
import type { Perm } from "../../runtime/xenstore/perms.ts";
import type { XsNode } from "./store.ts";

export interface Watch {
  /** The canonical path (absolute, or `@...`). */
  path: string;
  token: string;
  /** Levels below `path` that match; -1 for any. */
  depth: number;
  /** How much of an event path to cut so a relative watch hears relative paths. */
  prefixLength: number;
}

/** A node change: `exact` events only reach watches on that very path (a removed descendant). */
export interface NodeEvent {
  path: string;
  exact: boolean;
  /** The node as changed (or as it was, when removed); read from the store when absent. */
  node?: XsNode;
  /** Perms before the change: a watcher who could read the node then hears of it. */
  perms?: readonly Perm[];
}

/** is_child: `child` is `parent` or below it, at most `depth` levels down (-1: any depth). */
export function isChild(child: string, parent: string, depth: number): boolean {
  let len = parent.length;
  let levels = len === 1 ? 1 : 0;
  if (!child.startsWith(parent)) return false;
  if (len > 1 && child.length > len && child[len] !== "/") return false;
  if (depth < 0 || child.length === len) return true;
  while (levels <= depth) {
    if (len >= child.length) return true;
    if (child[len] === "/") levels++;
    len++;
  }
  return false;
}

export function matches(w: Watch, path: string, exact: boolean): boolean {
  return exact ? w.path === path : isChild(path, w.path, w.depth);
}

export const eventPath = (w: Watch, path: string): string => path.slice(w.prefixLength);

/**
 * The event path `w` hears for a special event (`@introduceDomain`, `@releaseDomain`) about
 * `domid`: the bare name for a plain watch; `name/domid` for one with a depth, or one on that
 * very domain's `name/domid`.
 */
export function specialEventPath(w: Watch, name: string, domid: number): string | undefined {
  const perDomain = `${name}/${domid}`;
  if (w.path === name) return w.depth < 0 ? name : w.depth > 0 ? perDomain : undefined;
  return w.path === perDomain ? perDomain : undefined;
}
