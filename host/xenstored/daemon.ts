// The development xenstored's request handling, free of sockets: a connection is an id with a
// domain identity; each entry point returns the messages to send, to whom, and which
// connections to close. Semantics follow C xenstored (Xen 4.17, plus the newer request types).
import { parentPath } from "../../runtime/xenstore/path.ts";
import type { Perm } from "../../runtime/xenstore/perms.ts";
import { MsgType, PAYLOAD_MAX, type Message } from "../../runtime/xenstore/wire.ts";
import { permFor, READ, type Caller } from "./access.ts";
import { nulTerminated } from "./args.ts";
import { domainRequests } from "./domainRequests.ts";
import { Domains } from "./domains.ts";
import { XsError } from "./errors.ts";
import { nodeRequests } from "./nodeRequests.ts";
import type { QuotaName } from "./quota.ts";
import type { Connection, DaemonState, Handler, Request } from "./requests.ts";
import { sessionRequests } from "./sessionRequests.ts";
import { CommittedStore } from "./store.ts";
import type { Transaction } from "./transaction.ts";
import { TreeOps } from "./tree.ts";
import { eventPath, matches, specialEventPath, type NodeEvent } from "./watches.ts";

export type Outgoing = { conn: number; message: Message } | { conn: number; drop: string };

const handlers: Record<number, Handler> = { ...nodeRequests, ...sessionRequests, ...domainRequests };

/** XS_FLAG_PRIV in core.c's wire_funcs: anyone but dom0 gets EACCES. */
const DOM0_ONLY = new Set<number>([
  MsgType.CONTROL, MsgType.INTRODUCE, MsgType.RELEASE, MsgType.IS_DOMAIN_INTRODUCED, MsgType.RESUME,
  MsgType.SET_TARGET, MsgType.SET_FEATURE, MsgType.GET_QUOTA, MsgType.SET_QUOTA,
]);
/** XS_FLAG_NOTID: tx_id is ignored. */
const IGNORES_TX = new Set<number>([MsgType.WATCH, MsgType.UNWATCH]);

const DOM0_ONLY_PERMS: Perm[] = [{ domid: 0, access: "n" }];

export class XenStoreDaemon implements DaemonState {
  readonly store = new CommittedStore();
  readonly domains = new Domains();
  readonly conns = new Map<number, Connection>();
  readonly specialPerms = new Map<string, Perm[]>([
    ["@introduceDomain", DOM0_ONLY_PERMS],
    ["@releaseDomain", DOM0_ONLY_PERMS],
  ]);
  private nextConn = 1;
  private outbox: Outgoing[] = [];

  constructor(readonly log: (line: string) => void = () => undefined) {
    const setup = new TreeOps(this.store, { caller: { domid: 0 }, limit: () => 0 }, () => undefined);
    for (const p of ["/local/domain", "/vm", "/tool/xenstored"]) setup.mkdir(p);
  }

  /** The committed tree, for tests and status dumps. */
  get committed(): CommittedStore {
    return this.store;
  }

  private collect(work: () => void): Outgoing[] {
    this.outbox = [];
    work();
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** A new connection as `domid`; for a domain (not dom0) it is that domain's channel. */
  connect(domid: number): { id: number; out: Outgoing[] } {
    const id = this.nextConn++;
    const channel = domid !== 0;
    this.conns.set(id, { id, domid, channel, watches: [], transactions: new Map(), nextTxId: 1 });
    const out = this.collect(() => {
      if (!channel) return;
      const domain = this.domains.get(domid);
      domain.channels++;
      if (!domain.introduced) {
        domain.introduced = true;
        this.announceSpecial("@introduceDomain", domid);
      }
    });
    return { id, out };
  }

  /**
   * The connection is gone. A domain whose last channel closed is no longer introduced and
   * @releaseDomain fires; the nodes it owns stay (a closed channel in dev mode is not proof the
   * domain is destroyed, and its health keys stay readable); RELEASE removes them as C does.
   */
  disconnect(id: number): Outgoing[] {
    const conn = this.conns.get(id);
    if (!conn) return [];
    return this.collect(() => {
      this.forget(conn);
      const domain = this.domains.find(conn.domid);
      if (!conn.channel || !domain || domain.channels > 0 || !domain.introduced) return;
      domain.introduced = false;
      this.announceSpecial("@releaseDomain", conn.domid);
    });
  }

  /** Handles one request. Anything but an XsError thrown here is a daemon bug and propagates. */
  receive(connId: number, m: Message): Outgoing[] {
    const conn = this.conns.get(connId);
    if (!conn) return [];
    return this.collect(() => {
      const send = (type: number, payload: Uint8Array): void =>
        void this.outbox.push({ conn: conn.id, message: { type, reqId: m.reqId, txId: m.txId, payload } });
      const reply = (payload: Uint8Array): void =>
        payload.length > PAYLOAD_MAX ? send(MsgType.ERROR, nulTerminated(["E2BIG"])) : send(m.type, payload);
      try {
        const handler = handlers[m.type];
        if (!handler) throw new XsError("ENOSYS", `type ${m.type} is not a request`);
        if (DOM0_ONLY.has(m.type) && conn.domid !== 0) throw new XsError("EACCES", "dom0 only");
        let tx: Transaction | undefined;
        if (m.txId !== 0 && !IGNORES_TX.has(m.type)) {
          tx = conn.transactions.get(m.txId);
          if (!tx) throw new XsError("ENOENT", `no transaction ${m.txId}`);
        }
        handler(this, { conn, msg: m, tx, caller: this.caller(conn), reply } satisfies Request);
      } catch (e) {
        if (!(e instanceof XsError)) throw e;
        send(MsgType.ERROR, nulTerminated([e.code]));
      }
    });
  }

  /** The limit on `name` that binds `connId`'s domain; 0 for none. */
  limitFor(connId: number, name: QuotaName): number {
    const conn = this.conns.get(connId);
    return conn ? this.limit(conn, name) : 0;
  }

  limit(conn: Connection, name: QuotaName): number {
    return this.domains.limit(conn.domid, name);
  }

  private caller(conn: Connection): Caller {
    return { domid: conn.domid, target: this.domains.find(conn.domid)?.target };
  }

  tree(r: Request): TreeOps {
    const tx = r.tx;
    const announce = tx ? (e: NodeEvent) => tx.queueEvent(e.path, e.exact) : (e: NodeEvent) => this.announce(e);
    return new TreeOps(tx ?? this.store, { caller: r.caller, limit: (name) => this.limit(r.conn, name) }, announce);
  }

  announce(e: NodeEvent): void {
    for (const conn of this.conns.values()) {
      const hits = conn.watches.filter((w) => matches(w, e.path, e.exact));
      if (hits.length === 0 || !this.mayHear(this.caller(conn), e)) continue;
      for (const w of hits) this.sendEvent(conn, eventPath(w, e.path), w.token);
    }
  }

  /** watch_permitted: the old perms, the node's, or its parent's let the watcher read. */
  private mayHear(c: Caller, e: NodeEvent): boolean {
    if (e.perms && permFor(e.perms, c) & READ) return true;
    const node = e.node ?? this.store.get(e.path);
    if (!node) return false;
    if (permFor(node.perms, c) & READ) return true;
    const parent = this.store.get(parentPath(e.path));
    return parent !== undefined && (permFor(parent.perms, c) & READ) !== 0;
  }

  announceSpecial(name: "@introduceDomain" | "@releaseDomain", domid: number): void {
    const perms = this.specialPerms.get(name)!;
    for (const conn of this.conns.values()) {
      if (!(permFor(perms, this.caller(conn)) & READ)) continue;
      for (const w of conn.watches) {
        const path = specialEventPath(w, name, domid);
        if (path !== undefined) this.sendEvent(conn, path, w.token);
      }
    }
  }

  sendEvent(conn: Connection, path: string, token: string): void {
    const payload = nulTerminated([path, token]);
    // send_event: an event that would not fit a message is not sent.
    if (payload.length > PAYLOAD_MAX) return;
    this.outbox.push({ conn: conn.id, message: { type: MsgType.WATCH_EVENT, reqId: 0, txId: 0, payload } });
  }

  resetSession(conn: Connection): void {
    const domain = this.domains.get(conn.domid);
    domain.watches -= conn.watches.length;
    domain.transactions -= conn.transactions.size;
    conn.watches = [];
    conn.transactions.clear();
  }

  drop(conn: Connection, reason: string): void {
    this.forget(conn);
    this.outbox.push({ conn: conn.id, drop: reason });
  }

  private forget(conn: Connection): void {
    this.resetSession(conn);
    this.conns.delete(conn.id);
    if (conn.channel) this.domains.get(conn.domid).channels--;
  }
}
