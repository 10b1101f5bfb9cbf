// Stubdom side: XenStore over a character device speaking the wire protocol (/dev/xen/xenbus on
// Xen, a virtio-serial port in dev mode) or, for the native test tier, a unix socket.
import { fdStream } from "../fdStream.ts";
import type { Sys } from "../sys.ts";
import type { Transport } from "./client.ts";

export function deviceTransport(sys: Sys, path: string): Transport {
  const fd = sys.isSocket(path) ? sys.unixConnect(path) : sys.open(path, "rw");
  return fdStream(sys, fd, path);
}
