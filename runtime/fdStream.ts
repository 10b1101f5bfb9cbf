// A byte stream over a file descriptor driven by the event loop: the XenStore device, a QMP
// socket. Reads are whatever the kernel hands over; framing is the caller's job.
import type { Sys } from "./sys.ts";

export interface ByteStream {
  write(bytes: Uint8Array): void;
  onData(cb: (bytes: Uint8Array) => void): void;
  onClose(cb: (reason: string) => void): void;
  close(): void;
}

export function fdStream(sys: Sys, fd: number, label: string): ByteStream {
  let closeCb: (reason: string) => void = () => undefined;
  let dataCb: (bytes: Uint8Array) => void = () => undefined;
  let open = true;
  const close = (reason: string): void => {
    if (!open) return;
    open = false;
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
      return close(`reading ${label}: ${(e as Error).message}`);
    }
    if (chunk.length === 0) return close(`${label} reached end of file`);
    dataCb(chunk);
  });
  return {
    write: (bytes) => {
      if (!open) throw new Error(`writing ${label}: closed`);
      sys.write(fd, bytes);
    },
    onData: (cb) => {
      dataCb = cb;
    },
    onClose: (cb) => {
      closeCb = cb;
    },
    close: () => close(`${label} closed by us`),
  };
}
