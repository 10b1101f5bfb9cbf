// The store's invariants (C's `xenstore-control check`): every node but the root is listed once
// by an existing parent, every listed child exists, and the per-owner counts the quotas use match
// a recount. For CONTROL check and the tests.
import { joinPath, leafName, parentPath } from "../../runtime/xenstore/path.ts";
import type { CommittedStore } from "./store.ts";

/** The first inconsistency found, or undefined. */
export function checkStore(store: CommittedStore): string | undefined {
  const root = store.get("/");
  if (!root) return "the root node is missing";
  const owners = new Map<number, number>();
  for (const path of store.paths()) {
    const node = store.get(path)!;
    if (node.perms.length === 0) return `${path} has no permissions`;
    owners.set(node.perms[0].domid, (owners.get(node.perms[0].domid) ?? 0) + 1);
    if (new Set(node.children).size !== node.children.length) return `${path} lists a child twice`;
    for (const child of node.children) {
      if (!store.get(joinPath(path, child))) return `${path} lists ${child}, which does not exist`;
    }
    if (path === "/") continue;
    const parent = store.get(parentPath(path));
    if (!parent) return `${path} has no parent`;
    if (!parent.children.includes(leafName(path))) return `${parentPath(path)} does not list ${path}`;
  }
  for (const [domid, counted] of store.ownerCounts()) {
    if ((owners.get(domid) ?? 0) !== counted) return `domain ${domid} owns ${owners.get(domid) ?? 0} nodes, counted ${counted}`;
  }
  for (const [domid, n] of owners) if (store.owned(domid) !== n) return `domain ${domid} owns ${n} nodes, counted ${store.owned(domid)}`;
  return undefined;
}
