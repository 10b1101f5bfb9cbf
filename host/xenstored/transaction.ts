// A transaction as C xenstored (transaction.c) runs one: it sees each node as it was when the
// transaction first touched it, and keeps its own changes apart. Every node touched, present or
// not, is remembered with its generation; the commit answers EAGAIN when any of them changed
// since, so only transactions that really overlap conflict.
import type { Perm } from "../../runtime/xenstore/perms.ts";
import { XsError } from "./errors.ts";
import type { CommittedStore, NodeFields, NodeStore, XsNode } from "./store.ts";

interface Touched {
  node: XsNode | undefined;
  /** The committed generation at first touch; undefined when the node did not exist. */
  base: number | undefined;
  /** The committed perms at first touch: a watcher who could read the node then hears of it. */
  perms: readonly Perm[] | undefined;
  modified: boolean;
}

/** A change to announce on commit: one per node, "subtree" beating "exact" (queue_watches). */
export interface QueuedEvent {
  exact: boolean;
  perms: readonly Perm[] | undefined;
}

export class Transaction implements NodeStore {
  private readonly touched = new Map<string, Touched>();
  private readonly counts = new Map<number, number>();
  readonly events = new Map<string, QueuedEvent>();
  /** Set when a limit cut an operation short; the commit then fails (C: trans->fail, ENOMEM). */
  failed = false;

  /** `maxNodes`: the transaction-nodes quota, 0 for none. */
  constructor(
    private readonly committed: CommittedStore,
    private readonly maxNodes: number,
  ) {}

  private touch(path: string): Touched {
    let t = this.touched.get(path);
    if (t) return t;
    if (this.maxNodes > 0 && this.touched.size >= this.maxNodes) {
      this.failed = true;
      throw new XsError("ENOSPC", `transaction touched ${this.maxNodes} nodes`);
    }
    const node = this.committed.get(path);
    t = { node, base: node?.generation, perms: node?.perms, modified: false };
    this.touched.set(path, t);
    return t;
  }

  get(path: string): XsNode | undefined {
    return this.touch(path).node;
  }

  put(path: string, fields: NodeFields): XsNode {
    const t = this.touch(path);
    const node: XsNode = { ...fields, generation: this.committed.nextGeneration() };
    this.count(t.node, -1);
    this.count(node, 1);
    t.node = node;
    t.modified = true;
    return node;
  }

  remove(path: string): void {
    const t = this.touch(path);
    this.count(t.node, -1);
    t.node = undefined;
    t.modified = true;
  }

  owned(domid: number): number {
    return this.committed.owned(domid) + (this.counts.get(domid) ?? 0);
  }

  private count(node: XsNode | undefined, delta: number): void {
    if (!node) return;
    const owner = node.perms[0].domid;
    this.counts.set(owner, (this.counts.get(owner) ?? 0) + delta);
  }

  queueEvent(path: string, exact: boolean): void {
    const known = this.events.get(path);
    if (known) known.exact &&= exact;
    else this.events.set(path, { exact, perms: this.touched.get(path)?.perms });
  }

  /** Domains whose node count this transaction raises, with the count it would leave them at. */
  grownOwners(): [number, number][] {
    const out: [number, number][] = [];
    for (const [domid, delta] of this.counts) if (delta > 0) out.push([domid, this.owned(domid)]);
    return out;
  }

  /** True when a node this transaction touched has changed in the committed store since. */
  conflicts(): boolean {
    for (const [path, t] of this.touched) if (this.committed.get(path)?.generation !== t.base) return true;
    return false;
  }

  /** Writes the changed nodes into the committed store. */
  apply(): void {
    for (const [path, t] of this.touched) {
      if (!t.modified) continue;
      if (t.node) this.committed.put(path, t.node);
      else if (t.base !== undefined) this.committed.remove(path);
    }
  }
}
