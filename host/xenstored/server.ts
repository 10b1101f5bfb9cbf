// Puts XenStoreDaemon on unix sockets: the main socket speaks for dom0 (as the C daemon's does);
// each domain socket is one domain's channel (in dev mode, a VM's virtio-serial port).
import { createServer, type Server, type Socket } from "node:net";
import { rmSync } from "node:fs";
import { encodeMessage, FrameReader } from "../../runtime/xenstore/wire.ts";
import { XenStoreDaemon, type Outgoing } from "./daemon.ts";

export type Log = (line: string) => void;

export class XenStoreServer {
  readonly daemon = new XenStoreDaemon();
  private readonly sockets = new Map<number, Socket>();
  private readonly servers: Server[] = [];

  constructor(private readonly log: Log = () => undefined) {}

  private send(out: Outgoing[]): void {
    for (const o of out) this.sockets.get(o.conn)?.write(encodeMessage(o.message));
  }

  private serve(sock: Socket, domid: number, label: string): void {
    const id = this.daemon.connect(domid);
    this.sockets.set(id, sock);
    this.log(`xenstored: connection ${id} from ${label} as domain ${domid}`);
    if (domid !== 0) this.send(this.daemon.special("@introduceDomain"));
    const frames = new FrameReader();
    sock.on("data", (chunk: Buffer) => {
      try {
        for (const m of frames.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
          this.send(this.daemon.receive(id, m));
        }
      } catch (e) {
        // A malformed or oversized frame ends this connection only.
        this.log(`xenstored: connection ${id} dropped: ${(e as Error).message}`);
        sock.destroy();
      }
    });
    sock.on("error", () => undefined);
    sock.on("close", () => {
      this.daemon.disconnect(id);
      this.sockets.delete(id);
      this.log(`xenstored: connection ${id} (domain ${domid}) closed`);
      if (domid !== 0) this.send(this.daemon.special("@releaseDomain"));
    });
  }

  /** Listens on `path`; every connection there is `domid` (0 for the toolstack socket). */
  listen(path: string, domid = 0): Promise<void> {
    rmSync(path, { force: true });
    const server = createServer((sock) => this.serve(sock, domid, path));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once("error", (e) => reject(new Error(`xenstored: listening on ${path}: ${e.message}`)));
      server.listen(path, () => resolve());
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets.values()) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
