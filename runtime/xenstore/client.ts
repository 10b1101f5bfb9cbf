// A XenStore client over any byte transport (requestChannel.ts paces the requests): the node,
// watch, permission and transaction operations, with watch events dispatched by token. When the
// channel is lost every request fails at once (EPIPE) until `reconnect` gives it a new transport,
// which registers every watch again. Runs under QuickJS and Node alike.
import { nodePathProblem, pathProblem } from "./path.ts";
import { formatPerm, parsePerm, type Perm } from "./perms.ts";
import { decodeText, encodeText, joinNul, pathAndValue, splitNul } from "./payload.ts";
import { RequestChannel, splitNulOrUndefined, XenStoreError, type Transport } from "./requestChannel.ts";
import { MsgType, msgTypeName, type Message } from "./wire.ts";

export { MAX_IN_FLIGHT, MAX_WAITING, XenStoreError, type Transport } from "./requestChannel.ts";

export type WatchHandler = (path: string, token: string) => void;

interface WatchEntry {
  handler: WatchHandler;
  /** The watched paths sharing this token, with their depth (for reconnecting). */
  paths: Map<string, number | undefined>;
}

const watchArgs = (token: string, depth: number | undefined): string[] => (depth === undefined ? [token] : [token, String(depth)]);

export class XenStoreClient {
  private readonly channel: RequestChannel;
  private readonly watches = new Map<string, WatchEntry>();

  constructor(transport: Transport) {
    this.channel = new RequestChannel(transport);
    this.channel.onEvent = (m) => this.event(m);
  }

  /** Called once each time the channel is lost (not when we close it ourselves). */
  onLost(cb: (reason: string) => void): void {
    this.channel.onLost = cb;
  }

  /** Why the channel is down, or undefined while it is up. */
  get lost(): string | undefined {
    return this.channel.lost;
  }

  /**
   * Carries on over a new channel after a loss: every watch is registered again, and so fires
   * once (xenstored fires a new watch at once), which lets each handler catch up on what it missed.
   */
  async reconnect(transport: Transport): Promise<void> {
    this.channel.attach(transport);
    const registrations: Promise<Uint8Array>[] = [];
    for (const [token, entry] of this.watches) {
      for (const [path, depth] of entry.paths) registrations.push(this.pathRequest(MsgType.WATCH, path, watchArgs(token, depth), 0, pathProblem));
    }
    await Promise.all(registrations);
  }

  /**
   * req_id is not set on events from the Linux xenbus device; match by token only. An event that
   * is not two UTF-8 strings cannot be for a token we gave, so it is dropped.
   */
  private event(m: Message): void {
    const fields = splitNulOrUndefined(m.payload);
    if (fields && fields.length >= 2) this.watches.get(fields[1])?.handler(fields[0], fields[1]);
  }

  /**
   * Sends one request and resolves with the reply payload. The typed methods below cover the node
   * and watch operations; `call` is for the rest and for tests.
   */
  call(type: number, payload: Uint8Array, txId = 0, what = ""): Promise<Uint8Array> {
    return this.channel.call(type, payload, txId, what);
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
    const had = entry?.paths.has(path) ?? false;
    if (entry) entry.paths.set(path, depth);
    else this.watches.set(token, { handler, paths: new Map([[path, depth]]) });
    try {
      await this.pathRequest(MsgType.WATCH, path, watchArgs(token, depth), 0, pathProblem);
    } catch (e) {
      if (!had) this.release(token, path);
      throw e;
    }
  }

  async unwatch(path: string, token: string): Promise<void> {
    await this.pathRequest(MsgType.UNWATCH, path, [token], 0, pathProblem);
    this.release(token, path);
  }

  private release(token: string, path: string): void {
    const entry = this.watches.get(token);
    entry?.paths.delete(path);
    if (entry && entry.paths.size === 0) this.watches.delete(token);
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

  /** Closes the channel for good: not a loss, so `onLost` is not called. */
  close(): void {
    this.channel.close();
  }
}
