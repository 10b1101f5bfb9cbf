// Which watches a change fires, and with what event path (docs/misc/xenstore.txt, "WATCH").
import { isAtOrBelow } from "../../runtime/xenstore/path.ts";
import type { Change } from "./tree.ts";

export interface Watch {
  /** The path as the client gave it: a relative one yields relative event paths. */
  given: string;
  absolute: string;
  token: string;
}

/** The event paths `w` hears for `change`, already made relative when the watch was. */
export function firedPath(w: Watch, change: Change, domainPath: string): string | undefined {
  let hit: string | undefined;
  if (isAtOrBelow(change.path, w.absolute)) hit = change.path;
  else if (change.recursive && isAtOrBelow(w.absolute, change.path)) hit = w.absolute;
  if (hit === undefined) return undefined;
  if (w.given.startsWith("/") || w.given.startsWith("@")) return hit;
  return hit.slice(domainPath.length + 1);
}
