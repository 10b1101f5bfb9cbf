// Bytes for a nonblocking fd whose reader may stall (xenstored, QEMU's monitor, a console nobody
// reads): what the fd does not take at once waits here, bounded, and is written as the fd turns
// writable. Writing never waits, so a stalled reader cannot stop PID 1's event loop.
import type { Sys } from "./sys.ts";

/** Bytes to write; `attach`, when set, is an fd that goes with their first byte (SCM_RIGHTS). */
interface Chunk {
  bytes: Uint8Array;
  attach?: number;
}

export class WriteQueue {
  private readonly queue: Chunk[] = [];
  private queued = 0;
  private closed = false;
  /** Called when the queue has emptied after having to wait. */
  onDrained: () => void = () => undefined;

  /** `fd` must be nonblocking; `onError` hears a failed write once, after which nothing is written. */
  constructor(
    private readonly sys: Sys,
    private readonly fd: number,
    readonly maxBytes: number,
    private readonly onError: (e: Error) => void,
  ) {}

  get queuedBytes(): number {
    return this.queued;
  }

  /**
   * Queues `bytes` (written at once when nothing waits); false, queuing nothing, when they do not
   * fit. `attach` is an fd sent with them (the caller keeps it open until the peer has answered).
   */
  offer(bytes: Uint8Array, attach?: number): boolean {
    if (this.closed) return false;
    if (this.queued + bytes.length > this.maxBytes) return false;
    if (attach !== undefined && bytes.length === 0) throw new RangeError("an attached fd needs at least one byte to go with");
    const idle = this.queue.length === 0;
    this.queue.push(attach === undefined ? { bytes } : { bytes, attach });
    this.queued += bytes.length;
    if (idle && !this.flush() && !this.closed) this.sys.onWritable(this.fd, () => this.drain());
    return true;
  }

  /** Drops what waits and writes nothing more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queued = 0;
    this.sys.onWritable(this.fd, null);
  }

  private drain(): void {
    if (!this.flush() || this.closed) return;
    this.sys.onWritable(this.fd, null);
    this.onDrained();
  }

  /** Writes from the head of the queue until the fd would block; true when it emptied. */
  private flush(): boolean {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      let n: number;
      try {
        n = head.attach === undefined ? this.sys.writeSome(this.fd, head.bytes) : this.sys.writeSomeWithFd(this.fd, head.bytes, head.attach);
      } catch (e) {
        if ((e as { code?: string }).code === "EINTR") continue;
        this.close();
        this.onError(e as Error);
        return false;
      }
      if (n === 0) return false;
      this.queued -= n;
      // The fd went with the first byte written; the rest of the chunk carries none.
      if (n < head.bytes.length) this.queue[0] = { bytes: head.bytes.subarray(n) };
      else this.queue.shift();
    }
    return true;
  }
}
