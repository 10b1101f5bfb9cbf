// What a request handler sees: the request, the connection it came on, and the daemon's state.
// A handler answers through `reply` (once) or by throwing XsError; C's handlers work the same way.
import type { Perm } from "../../runtime/xenstore/perms.ts";
import type { Message } from "../../runtime/xenstore/wire.ts";
import type { Caller } from "./access.ts";
import { nulTerminated } from "./args.ts";
import type { Domains } from "./domains.ts";
import type { QuotaName } from "./quota.ts";
import type { CommittedStore } from "./store.ts";
import type { Transaction } from "./transaction.ts";
import type { TreeOps } from "./tree.ts";
import type { NodeEvent, Watch } from "./watches.ts";

export interface Connection {
  readonly id: number;
  readonly domid: number;
  /** A domain's own channel, as opposed to a dom0 socket connection. */
  readonly channel: boolean;
  watches: Watch[];
  readonly transactions: Map<number, Transaction>;
  nextTxId: number;
}

export interface Request {
  readonly conn: Connection;
  readonly msg: Message;
  /** The transaction named by tx_id, for requests that honour it. */
  readonly tx: Transaction | undefined;
  readonly caller: Caller;
  reply(payload: Uint8Array): void;
}

export interface DaemonState {
  readonly store: CommittedStore;
  readonly domains: Domains;
  readonly conns: ReadonlyMap<number, Connection>;
  /** Who hears `@introduceDomain` / `@releaseDomain` (domain.c dom_*_perms). */
  readonly specialPerms: Map<string, Perm[]>;
  /** Node operations on the request's view: its transaction, or the committed store. */
  tree(r: Request): TreeOps;
  limit(conn: Connection, name: QuotaName): number;
  /** Sends watch events for a committed change now. */
  announce(e: NodeEvent): void;
  announceSpecial(name: "@introduceDomain" | "@releaseDomain", domid: number): void;
  /** Queues a watch event for one connection, after what is already queued. */
  sendEvent(conn: Connection, path: string, token: string): void;
  /** Forgets a connection's watches and transactions (RESET_WATCHES, re-INTRODUCE, close). */
  resetSession(conn: Connection): void;
  /** Closes a connection from the daemon's side (RELEASE). */
  drop(conn: Connection, reason: string): void;
  log(line: string): void;
}

export type Handler = (s: DaemonState, r: Request) => void;

export const OK = nulTerminated(["OK"]);
