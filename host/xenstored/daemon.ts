// The development xenstored's request handling, free of sockets: a connection is an id with a
// domain identity; `receive` takes one request and returns the messages to send, to whom.
import { splitFirstNul, splitNul, joinNul } from "../../runtime/xenstore/payload.ts";
import { pathProblem } from "../../runtime/xenstore/path.ts";
import { parsePerm, type Perm } from "../../runtime/xenstore/perms.ts";
import { MsgType, msgTypeName, PAYLOAD_MAX, type Message } from "../../runtime/xenstore/wire.ts";
import { accessOf, Tree, XsError, type Caller, type Change } from "./tree.ts";
import { firedPath, type Watch } from "./watches.ts";
import { encodeUtf8 } from "../../runtime/utf8.ts";

export interface Outgoing {
  conn: number;
  message: Message;
}

interface Transaction {
  tree: Tree;
  baseGeneration: number;
  changes: Change[];
}

interface Connection {
  id: number;
  domid: number;
  watches: Watch[];
  transactions: Map<number, Transaction>;
}

const domainPath = (domid: number): string => `/local/domain/${domid}`;

export class XenStoreDaemon {
  private tree = Tree.empty();
  private generation = 0;
  private nextConn = 1;
  private nextTx = 1;
  private readonly conns = new Map<number, Connection>();
  /** SET_TARGET: a device-model domain → the guest it serves. */
  private readonly targets = new Map<number, number>();

  constructor() {
    for (const p of ["/local/domain", "/vm", "/tool/xenstored"]) this.tree.mkdir(p, { domid: 0 });
  }

  connect(domid: number): number {
    const id = this.nextConn++;
    this.conns.set(id, { id, domid, watches: [], transactions: new Map() });
    return id;
  }

  disconnect(id: number): void {
    this.conns.delete(id);
  }

  /** Read-only view of the committed tree, for tests and status dumps. */
  get committed(): Tree {
    return this.tree;
  }

  private caller(c: Connection): Caller {
    return { domid: c.domid, target: this.targets.get(c.domid) };
  }

  private absolute(c: Connection, path: string): string {
    if (path.startsWith("/") || path.startsWith("@")) return path;
    return `${domainPath(c.domid)}/${path}`;
  }

  receive(connId: number, m: Message): Outgoing[] {
    const c = this.conns.get(connId);
    if (!c) return [];
    const out: Outgoing[] = [];
    const reply = (payload: Uint8Array, type = m.type): void =>
      void out.push({ conn: c.id, message: { type, reqId: m.reqId, txId: m.txId, payload } });
    try {
      this.handle(c, m, reply, out);
    } catch (e) {
      const code = e instanceof XsError ? e.code : "EINVAL";
      reply(joinNul([code]), MsgType.ERROR);
    }
    return out;
  }

  private validPath(c: Connection, raw: string | undefined): string {
    if (raw === undefined) throw new XsError("EINVAL", "missing path");
    const problem = pathProblem(raw);
    if (problem) throw new XsError("EINVAL", `path ${JSON.stringify(raw)} ${problem}`);
    return this.absolute(c, raw);
  }

  private handle(c: Connection, m: Message, reply: (p: Uint8Array, type?: number) => void, out: Outgoing[]): void {
    const tx = m.txId === 0 ? undefined : c.transactions.get(m.txId);
    if (m.txId !== 0 && !tx) throw new XsError("ENOENT", `no transaction ${m.txId}`);
    const tree = tx ? tx.tree : this.tree;
    const who = this.caller(c);
    const ok = (): void => reply(joinNul(["OK"]));
    const mutate = (changes: Change[]): void => {
      if (tx) tx.changes.push(...changes);
      else this.commitChanges(changes, out);
      ok();
    };
    switch (m.type) {
      case MsgType.READ:
        return reply(tree.readable(this.validPath(c, splitNul(m.payload)[0]), who).value);
      case MsgType.WRITE: {
        const parts = splitFirstNul(m.payload);
        if (!parts) throw new XsError("EINVAL", "WRITE without a value separator");
        return mutate(tree.write(this.validPath(c, parts[0]), parts[1], who));
      }
      case MsgType.MKDIR:
        return mutate(tree.mkdir(this.validPath(c, splitNul(m.payload)[0]), who));
      case MsgType.RM:
        return mutate(tree.rm(this.validPath(c, splitNul(m.payload)[0]), who));
      case MsgType.DIRECTORY: {
        const payload = joinNul([...tree.directory(this.validPath(c, splitNul(m.payload)[0]), who)]);
        if (payload.length > PAYLOAD_MAX) throw new XsError("E2BIG", "directory listing over 4096 bytes");
        return reply(payload);
      }
      case MsgType.DIRECTORY_PART:
        return reply(this.directoryPart(tree, c, m.payload, who));
      case MsgType.GET_PERMS:
        return reply(joinNul(tree.readable(this.validPath(c, splitNul(m.payload)[0]), who).perms.map((p) => `${p.access}${p.domid}`)));
      case MsgType.SET_PERMS: {
        const [path, ...raw] = splitNul(m.payload);
        const perms = raw.map(parsePerm);
        if (perms.length === 0 || perms.some((p) => p === undefined)) throw new XsError("EINVAL", "bad permission list");
        return mutate(tree.setPerms(this.validPath(c, path), perms as Perm[], who));
      }
      case MsgType.WATCH: {
        const [given, token] = splitNul(m.payload);
        const absolute = this.validPath(c, given);
        if (token === undefined) throw new XsError("EINVAL", "WATCH without a token");
        if (c.watches.some((w) => w.absolute === absolute && w.token === token)) throw new XsError("EEXIST", "watch exists");
        c.watches.push({ given, absolute, token });
        ok();
        // "We fire once up front": the initial event, sent after the reply.
        out.push({ conn: c.id, message: { type: MsgType.WATCH_EVENT, reqId: 0, txId: 0, payload: joinNul([given, token]) } });
        return;
      }
      case MsgType.UNWATCH: {
        const [given, token] = splitNul(m.payload);
        const absolute = this.validPath(c, given);
        const i = c.watches.findIndex((w) => w.absolute === absolute && w.token === token);
        if (i < 0) throw new XsError("ENOENT", "no such watch");
        c.watches.splice(i, 1);
        return ok();
      }
      case MsgType.RESET_WATCHES:
        c.watches = [];
        return ok();
      case MsgType.TRANSACTION_START: {
        if (m.txId !== 0) throw new XsError("EINVAL", "TRANSACTION_START inside a transaction");
        const id = this.nextTx++;
        c.transactions.set(id, { tree: this.tree.clone(), baseGeneration: this.generation, changes: [] });
        return reply(joinNul([String(id)]));
      }
      case MsgType.TRANSACTION_END: {
        if (!tx) throw new XsError("ENOENT", "TRANSACTION_END outside a transaction");
        const verdict = splitNul(m.payload)[0];
        if (verdict !== "T" && verdict !== "F") throw new XsError("EINVAL", "TRANSACTION_END takes T or F");
        c.transactions.delete(m.txId);
        if (verdict === "T") {
          if (this.generation !== tx.baseGeneration) throw new XsError("EAGAIN", "the store changed during the transaction");
          this.tree = tx.tree;
          this.commitChanges(tx.changes, out);
        }
        return ok();
      }
      case MsgType.GET_DOMAIN_PATH: {
        const domid = Number(splitNul(m.payload)[0]);
        if (!Number.isInteger(domid) || domid < 0) throw new XsError("EINVAL", "bad domid");
        return reply(joinNul([domainPath(domid)]));
      }
      case MsgType.SET_TARGET: {
        if (c.domid !== 0) throw new XsError("EACCES", "SET_TARGET is for dom0");
        const [dom, target] = splitNul(m.payload).map(Number);
        if (!Number.isInteger(dom) || !Number.isInteger(target)) throw new XsError("EINVAL", "bad domid");
        this.targets.set(dom, target);
        return ok();
      }
      default:
        throw new XsError("ENOSYS", `${msgTypeName(m.type)} is not supported`);
    }
  }

  private directoryPart(tree: Tree, c: Connection, payload: Uint8Array, who: Caller): Uint8Array {
    const [path, offsetText] = splitNul(payload);
    const offset = Number(offsetText);
    if (!Number.isInteger(offset) || offset < 0) throw new XsError("EINVAL", "bad offset");
    const all = joinNul([...tree.directory(this.validPath(c, path), who)]);
    const head = encodeUtf8(`${this.generation}\0`);
    const room = PAYLOAD_MAX - head.length - 1;
    let end = Math.min(all.length, offset + room);
    // Cut at a name boundary so no child is split across replies.
    while (end < all.length && end > offset && all[end - 1] !== 0) end--;
    const chunk = all.subarray(offset, end);
    const finished = end >= all.length;
    const outBytes = new Uint8Array(head.length + chunk.length + (finished ? 1 : 0));
    outBytes.set(head, 0);
    outBytes.set(chunk, head.length);
    return outBytes;
  }

  private commitChanges(changes: Change[], out: Outgoing[]): void {
    if (changes.length === 0) return;
    this.generation++;
    this.fire(changes, out);
  }

  private fire(changes: Change[], out: Outgoing[]): void {
    for (const change of changes) {
      for (const conn of this.conns.values()) {
        if (!accessOf(change.perms, this.caller(conn)).read) continue;
        for (const w of conn.watches) {
          const path = firedPath(w, change, domainPath(conn.domid));
          if (path !== undefined) {
            out.push({ conn: conn.id, message: { type: MsgType.WATCH_EVENT, reqId: 0, txId: 0, payload: joinNul([path, w.token]) } });
          }
        }
      }
    }
  }

  /** Fires `@introduceDomain` / `@releaseDomain` for dom0 watchers. */
  special(path: "@introduceDomain" | "@releaseDomain"): Outgoing[] {
    const out: Outgoing[] = [];
    this.fire([{ path, recursive: false, perms: [{ domid: 0, access: "n" }] }], out);
    return out;
  }
}
