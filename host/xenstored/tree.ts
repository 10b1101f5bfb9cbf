// The node operations, with C xenstored's answers (core.c do_read, do_write, do_mkdir, do_rm,
// do_set_perms): who may, which errno when not, what quotas bind, which watch events follow.
// Every check comes before the first change, so a refused request changes nothing.
import { joinPath, leafName, parentPath } from "../../runtime/xenstore/path.ts";
import type { Perm } from "../../runtime/xenstore/perms.ts";
import type { XsErrorName } from "../../runtime/xenstore/wire.ts";
import { has, isPrivileged, OWNER, permFor, READ, WRITE, type Caller } from "./access.ts";
import { XsError } from "./errors.ts";
import { nodeSize, type QuotaName } from "./quota.ts";
import type { NodeFields, NodeStore, XsNode } from "./store.ts";
import type { NodeEvent } from "./watches.ts";

export interface Actor {
  caller: Caller;
  /** The caller's limit on `name`; 0 for none. */
  limit(name: QuotaName): number;
}

const EMPTY = new Uint8Array(0);

export class TreeOps {
  constructor(
    private readonly store: NodeStore,
    private readonly who: Actor,
    private readonly announce: (e: NodeEvent) => void,
  ) {}

  read(path: string): Uint8Array {
    return this.node(path, READ).value;
  }

  directory(path: string): XsNode {
    return this.node(path, READ);
  }

  getPerms(path: string): readonly Perm[] {
    return this.node(path, READ).perms;
  }

  write(path: string, value: Uint8Array): void {
    const existing = this.nodeOrMissing(path, WRITE);
    let node: XsNode;
    if (existing) {
      this.checkSize(existing.perms.length, value.length, existing.children);
      node = this.store.put(path, { ...existing, value });
    } else {
      node = this.create(path, value);
    }
    this.announce({ path, exact: false, node });
  }

  mkdir(path: string): void {
    if (this.nodeOrMissing(path, WRITE)) return;
    this.announce({ path, exact: false, node: this.create(path, EMPTY) });
  }

  rm(path: string): void {
    const node = this.nodeOrMissing(path, WRITE);
    if (!node) {
      // Already gone: fine, as long as its parent is there.
      if (this.store.get(parentPath(path))) return;
      throw new XsError("ENOENT", `neither ${path} nor its parent exists`);
    }
    if (path === "/") throw new XsError("EINVAL", "the root cannot be removed");
    const parentKey = parentPath(path);
    const parent = this.store.get(parentKey);
    // A transaction's view mixes nodes first seen at different times; C's rm_node says EINVAL.
    if (!parent) throw new XsError("EINVAL", `${path} has no parent in this view`);
    this.removeTree(path, node, path);
    const leaf = leafName(path);
    this.store.put(parentKey, { ...parent, children: parent.children.filter((c) => c !== leaf) });
  }

  setPerms(path: string, perms: Perm[]): void {
    const node = this.node(path, WRITE | OWNER);
    if (!isPrivileged(this.who.caller) && perms[0].domid !== node.perms[0].domid) {
      throw new XsError("EPERM", `only dom0 may change the owner of ${path}`);
    }
    this.checkSize(perms.length, node.value.length, node.children);
    const changed = this.store.put(path, { ...node, perms });
    this.announce({ path, exact: false, node: changed, perms: node.perms });
  }

  /** get_node: the node, if the caller holds `perm` on it; else the errno C answers. */
  private node(path: string, perm: number): XsNode {
    const n = this.store.get(path);
    const err: XsErrorName | undefined = !n ? "ENOENT" : has(permFor(n.perms, this.who.caller), perm) ? undefined : "EACCES";
    if (!err) return n!;
    throw new XsError(this.errnoFromParents(path, err, perm), `${err === "ENOENT" ? "no node" : "no access to"} ${path}`);
  }

  /** For write and mkdir: undefined means "create it" (the nearest ancestor allows that). */
  private nodeOrMissing(path: string, perm: number): XsNode | undefined {
    try {
      return this.node(path, perm);
    } catch (e) {
      if (e instanceof XsError && e.code === "ENOENT") return undefined;
      throw e;
    }
  }

  /**
   * errno_from_parents: a caller the nearest existing ancestor keeps out learns only EACCES, not
   * whether the node exists.
   */
  private errnoFromParents(path: string, err: XsErrorName, perm: number): XsErrorName {
    let p = path;
    let n: XsNode | undefined;
    do {
      p = parentPath(p);
      n = this.store.get(p);
    } while (!n && p !== "/");
    return n && (permFor(n.perms, this.who.caller) & perm) !== 0 ? err : "EACCES";
  }

  /**
   * construct_node + create_node: `path` and its missing parents, each inheriting its parent's
   * perms, owned by an unprivileged creator. The caller's node count and every node's size are
   * checked first.
   */
  private create(path: string, value: Uint8Array): XsNode {
    const missing = [path];
    let top = parentPath(path);
    let parent = this.store.get(top);
    while (!parent) {
      missing.push(top);
      top = parentPath(top);
      parent = this.store.get(top);
    }
    missing.reverse();
    const caller = this.who.caller;
    const perms: Perm[] = parent.perms.map((p) => ({ ...p }));
    if (!isPrivileged(caller)) perms[0] = { ...perms[0], domid: caller.domid };
    const maxNodes = this.who.limit("nodes");
    if (maxNodes > 0 && this.store.owned(caller.domid) + missing.length > maxNodes) {
      throw new XsError("ENOSPC", `domain ${caller.domid} would own more than ${maxNodes} nodes`);
    }
    // Each new node lists the next; the last holds the value.
    const fresh = missing.map((p, i): [string, NodeFields] => {
      const last = i === missing.length - 1;
      return [p, { value: last ? value : EMPTY, perms, children: last ? [] : [leafName(missing[i + 1])] }];
    });
    const leaf = leafName(missing[0]);
    // A transaction's view may list a child it also saw missing; its commit will conflict anyway.
    const parentChildren = parent.children.includes(leaf) ? parent.children : [...parent.children, leaf];
    this.checkSize(parent.perms.length, parent.value.length, parentChildren);
    for (const [, f] of fresh) this.checkSize(f.perms.length, f.value.length, f.children);

    this.store.put(top, { ...parent, children: parentChildren });
    let node: XsNode | undefined;
    for (const [p, f] of fresh) node = this.store.put(p, f);
    return node!;
  }

  private checkSize(permCount: number, valueLength: number, children: readonly string[]): void {
    const max = this.who.limit("node-size");
    const size = nodeSize(permCount, valueLength, children);
    if (max > 0 && size >= max) throw new XsError("ENOSPC", `a node of ${size} bytes reaches the node-size limit ${max}`);
  }

  /** Children first, each announced as it goes; descendants only to watches on exactly them. */
  private removeTree(path: string, node: XsNode, root: string): void {
    for (const child of node.children) {
      const childPath = joinPath(path, child);
      const c = this.store.get(childPath);
      if (c) this.removeTree(childPath, c, root);
    }
    this.store.remove(path);
    this.announce({ path, exact: path !== root, node });
  }
}
