// A XenStore client over any byte transport: requests are matched to replies by req_id (and
// pipelined where the channel allows it); watch events are dispatched by token. Runs under
// QuickJS and Node alike.
import type { ByteStream } from "../fdStream.ts";
import { nodePathProblem, pathProblem } from "./path.ts";
import { formatPerm, parsePerm, type Perm } from "./perms.ts";
import { decodeText, encodeText, joinNul, pathAndValue, splitNul } from "./payload.ts";
import { encodeMessage, FrameReader, MsgType, msgTypeName, PAYLOAD_MAX, type Message } from "./wire.ts";

/** A bidirectional byte stream; `write` takes one whole message (the xenbus device needs that). */
export interface Transport extends ByteStream {
  /** The largest payload this channel carries, when smaller than the protocol's 4096. */
  readonly maxPayload?: number;
  /**
   * At most one request in flight. Linux's /dev/xen/xenbus queues a request whose body still
   * points into the file's one write buffer, so the next write can overwrite it before it is
   * sent (seen on real Xen as replies carrying another key's value); libxenstore, too, waits
   * for each reply before sending the next request.
   */
  readonly oneAtATime?: boolean;
}

/** A request that failed; `code` is the errno name from the daemon (EACCES, ENOENT, ...) or EINVAL/E2BIG/EPIPE locally. */
export class XenStoreError extends Error {
  constructor(
    readonly code: string,
    readonly op: string,
    readonly path: string,
  ) {
    super(`${op} ${path}: ${code}`);
  }
}

export type WatchHandler = (path: string, token: string) => void;

interface WatchEntry {
  handler: WatchHandler;
  /** How many (path, token) watches share this token. */
  count: number;
}

interface Pending {
  op: string;
  path: string;
  resolve: (payload: Uint8Array) => void;
  reject: (e: Error) => void;
}

const splitNulOrUndefined = (b: Uint8Array): string[] | undefined => {
  try {
    return splitNul(b);
  } catch {
    return undefined;
  }
};

export class XenStoreClient {
  private nextReqId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Encoded requests waiting for their turn on a one-at-a-time channel. */
  private readonly waiting: { reqId: number; bytes: Uint8Array }[] = [];
  private readonly watches = new Map<string, WatchEntry>();
  private readonly frames = new FrameReader();
  private closedReason: string | undefined;

  constructor(private readonly transport: Transport) {
    transport.onData((bytes) => this.receive(bytes));
    transport.onClose((reason) => this.fail(reason));
  }

  private receive(bytes: Uint8Array): void {
    let msgs: Message[];
    try {
      msgs = this.frames.push(bytes);
    } catch (e) {
      this.fail(`bad frame from xenstored: ${(e as Error).message}`);
      this.transport.close();
      return;
    }
    for (const m of msgs) this.dispatch(m);
  }

  private dispatch(m: Message): void {
    if (m.type === MsgType.WATCH_EVENT) {
      // req_id is not set on events from the Linux xenbus device; match by token only. An event
      // that is not two UTF-8 strings cannot be for a token we gave, so it is dropped.
      const fields = splitNulOrUndefined(m.payload);
      if (fields && fields.length >= 2) this.watches.get(fields[1])?.handler(fields[0], fields[1]);
      return;
    }
    const p = this.pending.get(m.reqId);
    if (!p) return;
    this.pending.delete(m.reqId);
    if (m.type === MsgType.ERROR) p.reject(new XenStoreError(splitNulOrUndefined(m.payload)?.[0] ?? "EIO", p.op, p.path));
    else p.resolve(m.payload);
    this.sendNextWaiting();
  }

  private sendNextWaiting(): void {
    const next = this.waiting.shift();
    if (next) this.send(next.reqId, next.bytes);
  }

  private send(reqId: number, bytes: Uint8Array): void {
    try {
      this.transport.write(bytes);
    } catch (e) {
      const p = this.pending.get(reqId);
      this.pending.delete(reqId);
      const code = (e as { code?: unknown }).code;
      p?.reject(new XenStoreError(typeof code === "string" ? code : "EIO", p.op, `${p.path} (${(e as Error).message})`));
      this.sendNextWaiting();
    }
  }

  private fail(reason: string): void {
    this.closedReason = reason;
    this.waiting.length = 0;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new XenStoreError("EPIPE", p.op, `${p.path} (${reason})`));
    }
  }

  /**
   * Sends one request and resolves with the reply payload. The typed methods below cover the node
   * and watch operations; `call` is for the rest (toolstack.ts) and for tests.
   */
  call(type: number, payload: Uint8Array, txId = 0, what = ""): Promise<Uint8Array> {
    const op = msgTypeName(type);
    if (this.closedReason !== undefined) return Promise.reject(new XenStoreError("EPIPE", op, `${what} (${this.closedReason})`));
    if (payload.length > (this.transport.maxPayload ?? PAYLOAD_MAX)) return Promise.reject(new XenStoreError("E2BIG", op, what));
    const reqId = this.nextReqId;
    this.nextReqId = (this.nextReqId % 0xfffffffe) + 1;
    return new Promise((resolve, reject) => {
      const inFlight = this.pending.size;
      this.pending.set(reqId, { op, path: what, resolve, reject });
      const bytes = encodeMessage({ type, reqId, txId, payload });
      if (this.transport.oneAtATime && inFlight > 0) this.waiting.push({ reqId, bytes });
      else this.send(reqId, bytes);
    });
  }

  private pathRequest(type: number, path: string, extra: string[] = [], txId = 0, problem = nodePathProblem): Promise<Uint8Array> {
    if (problem(path) !== undefined) return Promise.reject(new XenStoreError("EINVAL", msgTypeName(type), path));
    return this.call(type, joinNul([path, ...extra]), txId, path);
  }

  read(path: string, txId = 0): Promise<Uint8Array> {
    return this.pathRequest(MsgType.READ, path, [], txId);
  }

  /** Reads a value that must be UTF-8; a value that is not fails with EILSEQ naming the path. */
  async readString(path: string, txId = 0): Promise<string> {
    const raw = await this.read(path, txId);
    try {
      return decodeText(raw);
    } catch {
      throw new XenStoreError("EILSEQ", "READ", path);
    }
  }

  write(path: string, value: string | Uint8Array, txId = 0): Promise<void> {
    if (nodePathProblem(path) !== undefined) return Promise.reject(new XenStoreError("EINVAL", "WRITE", path));
    const bytes = typeof value === "string" ? encodeText(value) : value;
    return this.call(MsgType.WRITE, pathAndValue(path, bytes), txId, path).then(() => undefined);
  }

  mkdir(path: string, txId = 0): Promise<void> {
    return this.pathRequest(MsgType.MKDIR, path, [], txId).then(() => undefined);
  }

  rm(path: string, txId = 0): Promise<void> {
    return this.pathRequest(MsgType.RM, path, [], txId).then(() => undefined);
  }

  /** Children's leaf names; a list over 4096 bytes is fetched in DIRECTORY_PART pieces. */
  async directory(path: string, txId = 0): Promise<string[]> {
    try {
      return splitNul(await this.pathRequest(MsgType.DIRECTORY, path, [], txId));
    } catch (e) {
      if (!(e instanceof XenStoreError && e.code === "E2BIG")) throw e;
      return this.directoryInParts(path, txId);
    }
  }

  /**
   * Each DIRECTORY_PART reply is `<gencnt>|<child>|*`, starting at a byte offset into the whole
   * list; the last piece ends with an empty name. A changed gencnt means the node changed: restart.
   */
  private async directoryInParts(path: string, txId: number, attempts = 5): Promise<string[]> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const names: string[] = [];
      let gen: string | undefined;
      let offset = 0;
      for (;;) {
        const reply = await this.pathRequest(MsgType.DIRECTORY_PART, path, [String(offset)], txId);
        const [g, ...children] = splitNul(reply);
        if (gen !== undefined && g !== gen) break;
        gen = g;
        const done = children.length > 0 && children[children.length - 1] === "";
        const piece = done ? children.slice(0, -1) : children;
        names.push(...piece);
        if (done) return names;
        if (piece.length === 0) throw new XenStoreError("EIO", "DIRECTORY_PART", `${path} (no progress at offset ${offset})`);
        offset += piece.reduce((n, c) => n + encodeText(c).length + 1, 0);
      }
    }
    throw new XenStoreError("EAGAIN", "DIRECTORY_PART", `${path} (kept changing)`);
  }

  async getPerms(path: string, txId = 0): Promise<Perm[]> {
    const fields = splitNul(await this.pathRequest(MsgType.GET_PERMS, path, [], txId));
    return fields.map((f) => {
      const p = parsePerm(f);
      if (!p) throw new XenStoreError("EIO", "GET_PERMS", `${path} (bad permission ${JSON.stringify(f)})`);
      return p;
    });
  }

  /** Sets a node's perms; `@introduceDomain` / `@releaseDomain` take perms too (who hears them). */
  setPerms(path: string, perms: Perm[], txId = 0): Promise<void> {
    return this.pathRequest(MsgType.SET_PERMS, path, perms.map(formatPerm), txId, pathProblem).then(() => undefined);
  }

  async getDomainPath(domid: number): Promise<string> {
    return splitNul(await this.call(MsgType.GET_DOMAIN_PATH, joinNul([String(domid)]), 0, String(domid)))[0] ?? "";
  }

  /** Dom0 only: `domid` (a device model) gets the rights of `target` (its guest). */
  setTarget(domid: number, target: number): Promise<void> {
    return this.call(MsgType.SET_TARGET, joinNul([String(domid), String(target)]), 0, String(domid)).then(() => undefined);
  }

  /**
   * Registers a watch; xenstored fires it once at once, then on every change at or below `path`
   * (only `depth` levels below, when given: the WATCHDEPTH feature). A relative path hears relative
   * event paths. One token names one handler; several paths may share it.
   */
  async watch(path: string, token: string, handler: WatchHandler, depth?: number): Promise<void> {
    const entry = this.watches.get(token);
    if (entry && entry.handler !== handler) throw new XenStoreError("EEXIST", "WATCH", `${path} (token ${JSON.stringify(token)} has another handler)`);
    const extra = depth === undefined ? [token] : [token, String(depth)];
    if (entry) entry.count++;
    else this.watches.set(token, { handler, count: 1 });
    try {
      await this.pathRequest(MsgType.WATCH, path, extra, 0, pathProblem);
    } catch (e) {
      this.release(token);
      throw e;
    }
  }

  async unwatch(path: string, token: string): Promise<void> {
    await this.pathRequest(MsgType.UNWATCH, path, [token], 0, pathProblem);
    this.release(token);
  }

  private release(token: string): void {
    const entry = this.watches.get(token);
    if (entry && --entry.count <= 0) this.watches.delete(token);
  }

  /** Drops every watch and open transaction of this connection, on both sides. */
  async resetWatches(): Promise<void> {
    await this.call(MsgType.RESET_WATCHES, joinNul([""]));
    this.watches.clear();
  }

  async transactionStart(): Promise<number> {
    const id = Number(splitNul(await this.call(MsgType.TRANSACTION_START, joinNul([""])))[0]);
    if (!Number.isInteger(id) || id <= 0) throw new XenStoreError("EIO", "TRANSACTION_START", "(bad id)");
    return id;
  }

  transactionEnd(txId: number, commit: boolean): Promise<void> {
    return this.call(MsgType.TRANSACTION_END, joinNul([commit ? "T" : "F"]), txId, String(txId)).then(() => undefined);
  }

  /** Runs `body` in a transaction, retrying from the start while the commit answers EAGAIN. */
  async transaction<T>(body: (txId: number) => Promise<T>, attempts = 10): Promise<T> {
    for (let i = 1; ; i++) {
      const tx = await this.transactionStart();
      let result: T;
      try {
        result = await body(tx);
      } catch (e) {
        await this.transactionEnd(tx, false).catch(() => undefined);
        throw e;
      }
      try {
        await this.transactionEnd(tx, true);
        return result;
      } catch (e) {
        if (!(e instanceof XenStoreError && e.code === "EAGAIN") || i >= attempts) throw e;
      }
    }
  }

  close(): void {
    this.transport.close();
  }
}
