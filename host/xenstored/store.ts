// Where nodes live: a map from absolute path to an immutable node. The committed store is the
// database; a transaction is another NodeStore layered over it (transaction.ts). Each store
// counts the nodes each domain owns, for the "nodes" quota.
import { joinPath } from "../../runtime/xenstore/path.ts";
import type { Perm } from "../../runtime/xenstore/perms.ts";

export interface NodeFields {
  readonly value: Uint8Array;
  readonly perms: readonly Perm[];
  /** Leaf names in creation order, as C xenstored keeps and lists them. */
  readonly children: readonly string[];
}

export interface XsNode extends NodeFields {
  /** Bumped on every change (C's node generation): DIRECTORY_PART's gencnt, transaction conflicts. */
  readonly generation: number;
}

export interface NodeStore {
  get(path: string): XsNode | undefined;
  put(path: string, fields: NodeFields): XsNode;
  remove(path: string): void;
  /** Nodes `domid` owns as this store sees them. */
  owned(domid: number): number;
}

export class CommittedStore implements NodeStore {
  private readonly nodes = new Map<string, XsNode>();
  private readonly counts = new Map<number, number>();
  private generation = 0;

  constructor() {
    this.put("/", { value: new Uint8Array(0), perms: [{ domid: 0, access: "n" }], children: [] });
  }

  nextGeneration(): number {
    return ++this.generation;
  }

  get(path: string): XsNode | undefined {
    return this.nodes.get(path);
  }

  put(path: string, fields: NodeFields): XsNode {
    const node: XsNode = { value: fields.value, perms: fields.perms, children: fields.children, generation: this.nextGeneration() };
    this.count(this.nodes.get(path), -1);
    this.nodes.set(path, node);
    this.count(node, 1);
    return node;
  }

  remove(path: string): void {
    this.count(this.nodes.get(path), -1);
    this.nodes.delete(path);
  }

  owned(domid: number): number {
    return this.counts.get(domid) ?? 0;
  }

  private count(node: XsNode | undefined, delta: number): void {
    if (!node) return;
    const owner = node.perms[0].domid;
    this.counts.set(owner, (this.counts.get(owner) ?? 0) + delta);
  }

  paths(): IterableIterator<string> {
    return this.nodes.keys();
  }

  ownerCounts(): IterableIterator<[number, number]> {
    return this.counts.entries();
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
