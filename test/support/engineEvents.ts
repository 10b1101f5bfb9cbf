// What PID 1's event loop waits on in the engine world, as quickjs-libc keeps it: timers (fired in
// creation order once due), read handlers (in registration order), signal dispositions and the
// signals pending for handlers; plus the host's own queued reactions (a fake program's next move).

export type Disposition = "handler" | "ignore" | "default";

export class LoopState {
  private readonly timers = new Map<number, { due: number; seq: number }>();
  private seq = 0;
  private readonly readFds: number[] = [];
  /** Every endpoint takes whatever is written, so a write handler is always ready. */
  private readonly writeFds: number[] = [];
  private readonly dispositions = new Map<number, Disposition>();
  private readonly pending = new Set<number>();
  private readonly soonQueue: (() => void)[] = [];

  setTimer(id: number, due: number): void {
    this.timers.set(id, { due, seq: this.seq++ });
  }

  clearTimer(id: number): void {
    this.timers.delete(id);
  }

  /** The first timer (in creation order) whose time has come, removed. */
  takeDueTimer(now: number): number | undefined {
    let best: [number, number] | undefined;
    for (const [id, t] of this.timers) if (t.due <= now && (!best || t.seq < best[1])) best = [id, t.seq];
    if (best) this.timers.delete(best[0]);
    return best?.[0];
  }

  nextDue(): number | undefined {
    const dues = [...this.timers.values()].map((t) => t.due);
    return dues.length ? Math.min(...dues) : undefined;
  }

  get timerCount(): number {
    return this.timers.size;
  }

  setReadHandler(fd: number, on: boolean): void {
    const i = this.readFds.indexOf(fd);
    if (on && i < 0) this.readFds.push(fd);
    else if (!on && i >= 0) this.readFds.splice(i, 1);
  }

  setWriteHandler(fd: number, on: boolean): void {
    const i = this.writeFds.indexOf(fd);
    if (on && i < 0) this.writeFds.push(fd);
    else if (!on && i >= 0) this.writeFds.splice(i, 1);
  }

  writableFd(): number | undefined {
    return this.writeFds[0];
  }

  hasWriteHandler(fd: number): boolean {
    return this.writeFds.includes(fd);
  }

  hasReadHandler(fd: number): boolean {
    return this.readFds.includes(fd);
  }

  readyFd(readable: (fd: number) => boolean): number | undefined {
    return this.readFds.find(readable);
  }

  setDisposition(signo: number, d: Disposition): void {
    this.dispositions.set(signo, d);
    if (d !== "handler") this.pending.delete(signo);
  }

  hasHandler(signo: number): boolean {
    return this.dispositions.get(signo) === "handler";
  }

  /** Marks a signal pending for its handler; false when PID 1 has none (the kernel drops it). */
  raise(signo: number): boolean {
    if (!this.hasHandler(signo)) return false;
    this.pending.add(signo);
    return true;
  }

  /** The lowest pending signal, as quickjs-libc scans its pending mask. */
  takeSignal(): number | undefined {
    const s = [...this.pending].sort((a, b) => a - b)[0];
    if (s !== undefined) this.pending.delete(s);
    return s;
  }

  soon(fn: () => void): void {
    this.soonQueue.push(fn);
  }

  takeSoon(): (() => void) | undefined {
    return this.soonQueue.shift();
  }
}
