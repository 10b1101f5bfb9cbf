// Puts XenStoreDaemon on unix sockets: the main socket speaks for dom0 (as the C daemon's does);
// each domain socket is one domain's channel (in dev mode, a VM's virtio-serial port).
import { createServer, type Server, type Socket } from "node:net";
import { rmSync } from "node:fs";
import { encodeMessage, FrameReader, MsgType, type Message } from "../../runtime/xenstore/wire.ts";
import { XenStoreDaemon, type Outgoing } from "./daemon.ts";

export type LogLine = (line: string) => void;

/** Requests read but not yet handled, past which we stop reading the socket. */
const QUEUE_HIGH = 64;

interface Peer {
  readonly id: number;
  readonly sock: Socket;
  readonly frames: FrameReader;
  readonly queue: Message[];
  /** Replies the domain has not taken yet (C's "outstanding requests"). */
  outstanding: number;
  /** Requests waited on `outstanding` since it was last 0 (logged once per such episode). */
  stalled: boolean;
}

export class XenStoreServer {
  readonly daemon: XenStoreDaemon;
  private readonly peers = new Map<number, Peer>();
  private readonly servers = new Map<string, Server>();

  constructor(private readonly log: LogLine = () => undefined) {
    this.daemon = new XenStoreDaemon(log);
  }

  private send(out: Outgoing[]): void {
    for (const o of out) {
      const peer = this.peers.get(o.conn);
      if (!peer) continue;
      if ("drop" in o) {
        this.log(`xenstored: connection ${o.conn} closed by the daemon: ${o.drop}`);
        peer.sock.destroy();
        continue;
      }
      // The socket's kernel buffer stands in for the ring: a reply that does not fit it waits
      // in our memory until the domain reads, and counts as outstanding until then.
      let waiting = false;
      peer.sock.write(encodeMessage(o.message), () => {
        if (!waiting) return;
        if (--peer.outstanding === 0) peer.stalled = false;
        this.pump(peer);
      });
      if (o.message.type !== MsgType.WATCH_EVENT && peer.sock.writableLength > 0) {
        waiting = true;
        peer.outstanding++;
      }
    }
  }

  /**
   * Handles queued requests in order. Like C xenstored, which stops reading a domain's ring while
   * it has `outstanding` replies it has not taken, a domain's requests wait here meanwhile.
   */
  private pump(peer: Peer): void {
    while (peer.queue.length > 0 && this.peers.has(peer.id)) {
      const max = this.daemon.limitFor(peer.id, "outstanding");
      if (max > 0 && peer.outstanding >= max) {
        if (!peer.stalled) this.log(`xenstored: connection ${peer.id} has ${max} replies outstanding; its requests wait`);
        peer.stalled = true;
        break;
      }
      let out: Outgoing[];
      try {
        out = this.daemon.receive(peer.id, peer.queue.shift()!);
      } catch (e) {
        this.log(`xenstored: internal error on connection ${peer.id}, dropping it: ${(e as Error).stack ?? e}`);
        peer.sock.destroy();
        return;
      }
      this.send(out);
    }
    if (peer.queue.length > QUEUE_HIGH) peer.sock.pause();
    else peer.sock.resume();
  }

  private serve(sock: Socket, domid: number, label: string): void {
    const { id, out } = this.daemon.connect(domid);
    const peer: Peer = { id, sock, frames: new FrameReader(), queue: [], outstanding: 0, stalled: false };
    this.peers.set(id, peer);
    this.log(`xenstored: connection ${id} from ${label} as domain ${domid}`);
    this.send(out);
    sock.on("data", (chunk: Buffer) => {
      try {
        peer.queue.push(...peer.frames.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
      } catch (e) {
        // A malformed or oversized frame ends this connection only.
        this.log(`xenstored: connection ${id} dropped: ${(e as Error).message}`);
        sock.destroy();
        return;
      }
      this.pump(peer);
    });
    sock.on("error", () => undefined);
    sock.on("close", () => {
      this.peers.delete(id);
      this.send(this.daemon.disconnect(id));
      this.log(`xenstored: connection ${id} (domain ${domid}) closed`);
    });
  }

  /** Listens on `path`; every connection there is `domid` (0 for the toolstack socket). */
  listen(path: string, domid = 0): Promise<void> {
    rmSync(path, { force: true });
    const server = createServer((sock) => this.serve(sock, domid, path));
    this.servers.set(path, server);
    return new Promise((resolve, reject) => {
      server.once("error", (e) => reject(new Error(`xenstored: listening on ${path}: ${e.message}`)));
      server.listen(path, () => resolve());
    });
  }

  /** Hangs up every connection of `domid`, as a restarting xenstored would; the store stays. */
  hangUp(domid: number): number {
    let n = 0;
    for (const p of this.peers.values()) {
      if (this.daemon.conns.get(p.id)?.domid !== domid) continue;
      p.sock.destroy();
      n++;
    }
    return n;
  }

  /** Stops listening on `path` (and removes the socket file); its open connections stay. */
  unlisten(path: string): void {
    this.servers.get(path)?.close();
    this.servers.delete(path);
    rmSync(path, { force: true });
  }

  async close(): Promise<void> {
    for (const p of this.peers.values()) p.sock.destroy();
    const servers = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
