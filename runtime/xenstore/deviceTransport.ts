// Stubdom side: XenStore over a character device speaking the wire protocol (/dev/xen/xenbus on
// Xen, a virtio-serial port in dev mode) or, for the native test tier, a unix socket.
import { fdStream } from "../fdStream.ts";
import type { Sys } from "../sys.ts";
import type { Transport } from "./client.ts";
import { HEADER_SIZE, PAYLOAD_MAX } from "./wire.ts";

export function deviceTransport(sys: Sys, path: string): Transport {
  const socket = sys.isSocket(path);
  const fd = socket ? sys.unixConnect(path) : sys.open(path, "rw");
  // Linux's xenbus device takes one message of at most 4096 bytes, header included, and refuses
  // a longer one; the stand-ins of dev mode and the native tier are held to the same limit. A
  // device gets one request at a time (see Transport.oneAtATime); dev mode's virtio port does
  // not need that, but it runs the code path that Xen runs.
  return { ...fdStream(sys, fd, path), maxPayload: PAYLOAD_MAX - HEADER_SIZE, oneAtATime: !socket };
}
