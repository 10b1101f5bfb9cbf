// Node side: XenStore over a unix socket (the dom0 socket of host/xenstored, or the C daemon's).
import { connect, type Socket } from "node:net";
import type { Transport } from "./client.ts";

export function socketTransport(sock: Socket): Transport {
  return {
    write: (bytes) => void sock.write(bytes),
    onData: (cb) => void sock.on("data", (b: Buffer) => cb(new Uint8Array(b.buffer, b.byteOffset, b.length))),
    onClose: (cb) => {
      sock.on("close", () => cb("connection closed"));
      sock.on("error", (e) => cb(e.message));
    },
    close: () => void sock.destroy(),
  };
}

/** Connects to a unix socket; rejects with the path and the reason when nothing listens there. */
export function connectUnix(path: string): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    sock.once("connect", () => resolve(socketTransport(sock)));
    sock.once("error", (e: NodeJS.ErrnoException) => reject(new Error(`connecting to xenstored at ${path}: ${e.code ?? e.message}`)));
  });
}
