// A client Transport wired straight to an in-process XenStoreDaemon, for tests and the engine
// tier: the same bytes as a socket would carry, minus the socket.
import type { Transport } from "../../runtime/xenstore/client.ts";
import { encodeMessage, FrameReader } from "../../runtime/xenstore/wire.ts";
import type { Outgoing, XenStoreDaemon } from "./daemon.ts";

export class MemoryHub {
  private readonly inboxes = new Map<number, (bytes: Uint8Array) => void>();

  constructor(readonly daemon: XenStoreDaemon) {}

  private deliver(out: Outgoing[]): void {
    for (const o of out) {
      const bytes = encodeMessage(o.message);
      // Replies arrive asynchronously, as from a real daemon.
      queueMicrotask(() => this.inboxes.get(o.conn)?.(bytes));
    }
  }

  /** A new connection with the identity of `domid`. */
  connect(domid: number): Transport {
    const id = this.daemon.connect(domid);
    const frames = new FrameReader();
    let closeCb: (reason: string) => void = () => undefined;
    return {
      write: (bytes) => {
        for (const m of frames.push(bytes)) this.deliver(this.daemon.receive(id, m));
      },
      onData: (cb) => void this.inboxes.set(id, cb),
      onClose: (cb) => {
        closeCb = cb;
      },
      close: () => {
        this.inboxes.delete(id);
        this.daemon.disconnect(id);
        closeCb("closed");
      },
    };
  }
}
