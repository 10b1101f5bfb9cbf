// A byte stream over a file descriptor driven by the event loop: the XenStore device, a QMP
// socket. Reads are whatever the kernel hands over; framing is the caller's job. The fd is made
// nonblocking and what the peer does not take at once waits in a bounded WriteQueue: a peer that
// stops reading can never stop PID 1's event loop.
import { SysError, type Sys } from "./sys.ts";
import { WriteQueue } from "./writeQueue.ts";

export interface ByteStream {
  /**
   * Queues `bytes` for the peer; throws ENOBUFS when the queue is full, EPIPE once closed.
   * `attach` (a unix socket's only) is an fd sent with them, kept open by the caller until answered.
   */
  write(bytes: Uint8Array, attach?: number): void;
  onData(cb: (bytes: Uint8Array) => void): void;
  onClose(cb: (reason: string) => void): void;
  close(): void;
}

/** Enough for hundreds of XenStore requests or QMP commands; past it the peer is not reading. */
export const DEFAULT_QUEUE_BYTES = 256 * 1024;

export function fdStream(sys: Sys, fd: number, label: string, maxQueuedBytes = DEFAULT_QUEUE_BYTES): ByteStream {
  let closeCb: (reason: string) => void = () => undefined;
  let dataCb: (bytes: Uint8Array) => void = () => undefined;
  let open = true;
  const close = (reason: string): void => {
    if (!open) return;
    open = false;
    out.close();
    sys.onReadable(fd, null);
    sys.close(fd);
    closeCb(reason);
  };
  sys.setNonblocking(fd);
  const out = new WriteQueue(sys, fd, maxQueuedBytes, (e) => close(`writing ${label}: ${e.message}`));
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
    write: (bytes, attach) => {
      if (!open) throw new SysError("EPIPE", `writing ${label}: closed`);
      if (!out.offer(bytes, attach) && open) {
        throw new SysError("ENOBUFS", `writing ${label}: ${out.queuedBytes} bytes already wait for the peer to read (limit ${maxQueuedBytes})`);
      }
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
