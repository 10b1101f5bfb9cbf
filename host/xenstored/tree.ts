// The node tree of the development xenstored: a flat map from absolute path to an immutable node,
// so a transaction is a cheap copy of the map and a commit swaps it in.
import { isAtOrBelow, joinPath, parentPath } from "../../runtime/xenstore/path.ts";
import { canRead, canWrite, type Perm } from "../../runtime/xenstore/perms.ts";

export interface XsNode {
  readonly value: Uint8Array;
  readonly perms: readonly Perm[];
  readonly children: readonly string[];
}

/** Who is asking: a domid, and the domain it serves as device model for (SET_TARGET), if any. */
export interface Caller {
  domid: number;
  target?: number;
}

export class XsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const isPrivileged = (c: Caller): boolean => c.domid === 0;

/** The access `caller` has to a node with `perms`: owners, dom0 and the owner's device model get all. */
export function accessOf(perms: readonly Perm[], c: Caller): { read: boolean; write: boolean } {
  const owner = perms[0];
  if (isPrivileged(c) || owner.domid === c.domid || (c.target !== undefined && owner.domid === c.target)) {
    return { read: true, write: true };
  }
  const entry = perms.slice(1).find((p) => p.domid === c.domid || (c.target !== undefined && p.domid === c.target)) ?? owner;
  return { read: canRead(entry.access), write: canWrite(entry.access) };
}

/** A change that watches hear about: `path` changed; `recursive` when a subtree went away. */
export interface Change {
  path: string;
  recursive: boolean;
  perms: readonly Perm[];
}

export class Tree {
  constructor(readonly nodes: Map<string, XsNode>) {}

  static empty(): Tree {
    const root: XsNode = { value: new Uint8Array(0), perms: [{ domid: 0, access: "n" }], children: [] };
    return new Tree(new Map([["/", root]]));
  }

  clone(): Tree {
    return new Tree(new Map(this.nodes));
  }

  get(path: string): XsNode | undefined {
    return this.nodes.get(path);
  }

  readable(path: string, c: Caller): XsNode {
    const n = this.nodes.get(path);
    if (!n) throw new XsError("ENOENT", `${path} does not exist`);
    if (!accessOf(n.perms, c).read) throw new XsError("EACCES", `domain ${c.domid} may not read ${path}`);
    return n;
  }

  private writable(path: string, c: Caller): XsNode {
    const n = this.nodes.get(path);
    if (!n) throw new XsError("ENOENT", `${path} does not exist`);
    if (!accessOf(n.perms, c).write) throw new XsError("EACCES", `domain ${c.domid} may not write ${path}`);
    return n;
  }

  /**
   * Creates `path` and any missing parents. The caller needs write access to the nearest existing
   * ancestor; new nodes inherit its perms, and an unprivileged creator owns what it creates.
   */
  private create(path: string, c: Caller): void {
    const missing: string[] = [];
    let p = path;
    while (!this.nodes.has(p)) {
      missing.push(p);
      p = parentPath(p);
    }
    let parent = this.writable(p, c);
    for (const child of missing.reverse()) {
      const perms: Perm[] = parent.perms.map((x) => ({ ...x }));
      if (!isPrivileged(c)) perms[0] = { ...perms[0], domid: c.domid };
      const node: XsNode = { value: new Uint8Array(0), perms, children: [] };
      const parentKey = parentPath(child);
      this.nodes.set(parentKey, { ...parent, children: [...parent.children, child.slice(child.lastIndexOf("/") + 1)] });
      this.nodes.set(child, node);
      parent = node;
    }
  }

  /** Writes a value, creating the node; one change for `path`, as xenstored fires one event per request. */
  write(path: string, value: Uint8Array, c: Caller): Change[] {
    if (this.nodes.has(path)) this.writable(path, c);
    else this.create(path, c);
    const n = this.nodes.get(path)!;
    this.nodes.set(path, { ...n, value });
    return [{ path, recursive: false, perms: n.perms }];
  }

  mkdir(path: string, c: Caller): Change[] {
    if (this.nodes.has(path)) return [];
    this.create(path, c);
    return [{ path, recursive: false, perms: this.nodes.get(path)!.perms }];
  }

  rm(path: string, c: Caller): Change[] {
    if (path === "/") throw new XsError("EINVAL", "the root cannot be removed");
    const n = this.nodes.get(path);
    if (!n) {
      if (!this.nodes.has(parentPath(path))) throw new XsError("ENOENT", `${parentPath(path)} does not exist`);
      return [];
    }
    this.writable(path, c);
    for (const key of [...this.nodes.keys()]) if (isAtOrBelow(key, path)) this.nodes.delete(key);
    const parentKey = parentPath(path);
    const parent = this.nodes.get(parentKey)!;
    const leaf = path.slice(path.lastIndexOf("/") + 1);
    this.nodes.set(parentKey, { ...parent, children: parent.children.filter((x) => x !== leaf) });
    return [{ path, recursive: true, perms: n.perms }];
  }

  setPerms(path: string, perms: Perm[], c: Caller): Change[] {
    const n = this.writable(path, c);
    if (!isPrivileged(c) && perms[0].domid !== n.perms[0].domid) {
      throw new XsError("EPERM", `only dom0 may change the owner of ${path}`);
    }
    this.nodes.set(path, { ...n, perms });
    return [{ path, recursive: false, perms }];
  }

  directory(path: string, c: Caller): readonly string[] {
    return this.readable(path, c).children;
  }

  /** Every path at or below `path`, parents first: for tests and dumps. */
  subtree(path: string): string[] {
    const out: string[] = [];
    const walk = (p: string): void => {
      out.push(p);
      for (const child of this.nodes.get(p)?.children ?? []) walk(joinPath(p, child));
    };
    if (this.nodes.has(path)) walk(path);
    return out;
  }
}
