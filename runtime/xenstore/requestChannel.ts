// The request side of a XenStore connection: each request gets a req_id, is written when a slot
// is free (MAX_IN_FLIGHT on a pipelining channel, one on a one-at-a-time device) and is matched to
// its reply; the rest wait in a bounded queue. Watch events go to one handler. A lost transport
// fails everything at once (EPIPE), once, until `attach` gives a new one.
import type { ByteStream } from "../fdStream.ts";
import { splitNul } from "./payload.ts";
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

/** A request that failed; `code` is the errno name from the daemon (EACCES, ENOENT, ...) or EINVAL/E2BIG/EPIPE/ENOBUFS locally. */
export class XenStoreError extends Error {
  constructor(
    readonly code: string,
    readonly op: string,
    readonly path: string,
  ) {
    super(`${op} ${path}: ${code}`);
  }
}

/**
 * Requests in flight at once on a pipelining channel: below C xenstored's default "outstanding"
 * quota (20), so the daemon never stops reading us on our account.
 */
export const MAX_IN_FLIGHT = 16;
/** Requests waiting for their turn; one more fails with ENOBUFS (callers coalesce long before). */
export const MAX_WAITING = 4096;

interface Pending {
  op: string;
  path: string;
  resolve: (payload: Uint8Array) => void;
  reject: (e: Error) => void;
}

/** NUL-separated strings, or undefined when the bytes are not UTF-8. */
export const splitNulOrUndefined = (b: Uint8Array): string[] | undefined => {
  try {
    return splitNul(b);
  } catch {
    return undefined;
  }
};

export class RequestChannel {
  private nextReqId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Encoded requests waiting for a free slot. */
  private readonly waiting: { reqId: number; bytes: Uint8Array }[] = [];
  /** Requests written and not yet answered. */
  private inFlight = 0;
  private frames = new FrameReader();
  private closedReason: string | undefined;
  private transport!: Transport;
  /** Hears every watch event (a message of type WATCH_EVENT). */
  onEvent: (m: Message) => void = () => undefined;
  /** Hears each loss of the transport once. */
  onLost: (reason: string) => void = () => undefined;

  constructor(transport: Transport) {
    this.attach(transport);
  }

  /** Carries on over `transport` (after a loss, or at first). */
  attach(transport: Transport): void {
    this.transport = transport;
    this.frames = new FrameReader();
    this.closedReason = undefined;
    // A late callback of a transport we have replaced is not about the current channel.
    transport.onData((bytes) => {
      if (this.transport === transport) this.receive(bytes);
    });
    transport.onClose((reason) => {
      if (this.transport === transport) this.fail(reason);
    });
  }

  /** Why the channel is down, or undefined while it is up. */
  get lost(): string | undefined {
    return this.closedReason;
  }

  close(): void {
    this.onLost = () => undefined;
    this.transport.close();
  }

  private receive(bytes: Uint8Array): void {
    let msgs: Message[];
    try {
      msgs = this.frames.push(bytes);
    } catch (e) {
      const t = this.transport;
      this.fail(`bad frame from xenstored: ${(e as Error).message}`);
      t.close();
      return;
    }
    for (const m of msgs) this.dispatch(m);
  }

  private dispatch(m: Message): void {
    if (m.type === MsgType.WATCH_EVENT) return this.onEvent(m);
    const p = this.pending.get(m.reqId);
    if (!p) return;
    this.pending.delete(m.reqId);
    this.inFlight--;
    if (m.type === MsgType.ERROR) p.reject(new XenStoreError(splitNulOrUndefined(m.payload)?.[0] ?? "EIO", p.op, p.path));
    else p.resolve(m.payload);
    this.sendWaiting();
  }

  private get slots(): number {
    return this.transport.oneAtATime ? 1 : MAX_IN_FLIGHT;
  }

  private sendWaiting(): void {
    while (this.inFlight < this.slots && this.closedReason === undefined) {
      const next = this.waiting.shift();
      if (!next) return;
      this.send(next.reqId, next.bytes);
    }
  }

  private send(reqId: number, bytes: Uint8Array): void {
    this.inFlight++;
    try {
      this.transport.write(bytes);
    } catch (e) {
      const p = this.pending.get(reqId);
      if (!p) return;
      this.pending.delete(reqId);
      this.inFlight--;
      const code = (e as { code?: unknown }).code;
      p.reject(new XenStoreError(typeof code === "string" ? code : "EIO", p.op, `${p.path} (${(e as Error).message})`));
    }
  }

  private fail(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.waiting.length = 0;
    this.inFlight = 0;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new XenStoreError("EPIPE", p.op, `${p.path} (${reason})`));
    }
    this.onLost(reason);
  }

  /** Sends one request and resolves with the reply payload; `what` names it in errors. */
  call(type: number, payload: Uint8Array, txId = 0, what = ""): Promise<Uint8Array> {
    const op = msgTypeName(type);
    if (this.closedReason !== undefined) return Promise.reject(new XenStoreError("EPIPE", op, `${what} (${this.closedReason})`));
    if (payload.length > (this.transport.maxPayload ?? PAYLOAD_MAX)) return Promise.reject(new XenStoreError("E2BIG", op, what));
    if (this.waiting.length >= MAX_WAITING) return Promise.reject(new XenStoreError("ENOBUFS", op, `${what} (${MAX_WAITING} requests already wait)`));
    const reqId = this.nextReqId;
    this.nextReqId = (this.nextReqId % 0xfffffffe) + 1;
    return new Promise((resolve, reject) => {
      this.pending.set(reqId, { op, path: what, resolve, reject });
      const bytes = encodeMessage({ type, reqId, txId, payload });
      if (this.inFlight < this.slots) this.send(reqId, bytes);
      else this.waiting.push({ reqId, bytes });
    });
  }
}
