// A client Transport wired straight to an in-process XenStoreDaemon, for tests and the engine
// tier: the same bytes as a socket would carry, minus the socket.
import type { Transport } from "../../runtime/xenstore/client.ts";
import { encodeMessage, FrameReader } from "../../runtime/xenstore/wire.ts";
import type { Outgoing, XenStoreDaemon } from "../../host/xenstored/daemon.ts";

interface Endpoint {
  data: (bytes: Uint8Array) => void;
  close: (reason: string) => void;
}

export class MemoryHub {
  private readonly endpoints = new Map<number, Endpoint>();

  constructor(readonly daemon: XenStoreDaemon) {}

  private deliver(out: Outgoing[]): void {
    for (const o of out) {
      // Replies arrive asynchronously, as from a real daemon.
      if ("drop" in o) {
        queueMicrotask(() => this.hangUp(o.conn, o.drop));
        continue;
      }
      const bytes = encodeMessage(o.message);
      queueMicrotask(() => this.endpoints.get(o.conn)?.data(bytes));
    }
  }

  private hangUp(id: number, reason: string): void {
    const e = this.endpoints.get(id);
    this.endpoints.delete(id);
    this.deliver(this.daemon.disconnect(id));
    e?.close(reason);
  }

  /** A new connection with the identity of `domid` (for a domain, its channel). */
  connect(domid: number): Transport {
    const { id, out } = this.daemon.connect(domid);
    const frames = new FrameReader();
    const endpoint: Endpoint = { data: () => undefined, close: () => undefined };
    this.endpoints.set(id, endpoint);
    this.deliver(out);
    return {
      write: (bytes) => {
        if (!this.endpoints.has(id)) throw new Error("connection closed");
        for (const m of frames.push(bytes)) this.deliver(this.daemon.receive(id, m));
      },
      onData: (cb) => {
        endpoint.data = cb;
      },
      onClose: (cb) => {
        endpoint.close = cb;
      },
      close: () => this.hangUp(id, "closed"),
    };
  }
}
