// Stubdom side: XenStore over a character device speaking the wire protocol: /dev/xen/xenbus on
// Xen, a virtio-serial port in dev mode. Reads are framed by the client; writes are one message each.
import type { Sys } from "../sys.ts";
import type { Transport } from "./client.ts";

export function deviceTransport(sys: Sys, path: string): Transport {
  const fd = sys.open(path, "rw");
  let closeCb: (reason: string) => void = () => undefined;
  let dataCb: (bytes: Uint8Array) => void = () => undefined;
  const close = (reason: string): void => {
    sys.onReadable(fd, null);
    sys.close(fd);
    closeCb(reason);
  };
  sys.onReadable(fd, () => {
    let chunk: Uint8Array;
    try {
      chunk = sys.read(fd, 8192);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EAGAIN" || code === "EINTR") return;
      return close(`reading ${path}: ${(e as Error).message}`);
    }
    if (chunk.length === 0) return close(`${path} reached end of file`);
    dataCb(chunk);
  });
  return {
    write: (bytes) => sys.write(fd, bytes),
    onData: (cb) => {
      dataCb = cb;
    },
    onClose: (cb) => {
      closeCb = cb;
    },
    close: () => close("closed by the init"),
  };
}
