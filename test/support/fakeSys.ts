// A scripted Sys for unit tests of the supervisor's decisions: a virtual clock with timers that
// run only when a test advances it, fds whose writes a test can stall or fail, spawns that are
// recorded and exit when a test says so, and files in a map. What a test does not script fails
// loudly (FakeSysError), so a decision that reaches for an effect nobody expected is caught.
import { SysError, type ExitStatus, type SpawnOptions, type Sys, type TimerHandle } from "../../runtime/sys.ts";

export class FakeSysError extends Error {}

interface Timer {
  due: number;
  seq: number;
  cb: () => void;
  live: boolean;
}

export interface Spawned {
  pid: number;
  argv: string[];
  opts: SpawnOptions;
  signals: number[];
}

export class FakeSys implements Sys {
  clock = 0;
  private seq = 0;
  private readonly timers: Timer[] = [];
  readonly files = new Map<string, string>();
  /** Bytes each fd took, in order. */
  readonly written = new Map<number, Uint8Array[]>();
  /** Per socket fd, each fd sent with SCM_RIGHTS and the offset in its written bytes it went with. */
  readonly attached = new Map<number, { fd: number; at: number }[]>();
  /** How many more bytes an fd takes before it would block (absent: all of them). */
  readonly room = new Map<number, number>();
  /** An fd whose next write fails with this errno name. */
  readonly failing = new Map<number, string>();
  readonly nonblocking = new Set<number>();
  readonly readHandlers = new Map<number, () => void>();
  readonly writeHandlers = new Map<number, () => void>();
  readonly signalHandlers = new Map<number, () => void>();
  readonly spawned: Spawned[] = [];
  private readonly exits: ExitStatus[] = [];
  /** Bytes waiting to be read, per fd; an fd in `ended` reads as end of file once they are gone. */
  private readonly incoming = new Map<number, Uint8Array[]>();
  private readonly ended = new Set<number>();
  /** What accept() hands out next, per listening fd. */
  readonly connections = new Map<number, number[]>();
  /** What unixConnect() returns, per path (absent: ECONNREFUSED). */
  readonly sockets = new Map<string, number[]>();
  readonly closed = new Set<number>();
  private nextPid = 100;
  private nextFd = 10;
  readonly effects: string[] = [];

  now(): number {
    return this.clock;
  }

  setTimer(ms: number, cb: () => void): TimerHandle {
    const t: Timer = { due: this.clock + Math.max(0, ms), seq: this.seq++, cb, live: true };
    this.timers.push(t);
    return { cancel: () => void (t.live = false) };
  }

  /** Moves the clock forward by `ms`, running every timer that comes due, in order; then lets promises settle. */
  async advance(ms: number): Promise<void> {
    const until = this.clock + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.live && t.due <= until).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.clock = Math.max(this.clock, due.due);
      due.cb();
    }
    this.clock = until;
    await settle();
  }

  /** Gives an fd `bytes` more room and, as the kernel would, runs its write handler. */
  makeRoom(fd: number, bytes = Infinity): void {
    this.room.set(fd, bytes);
    this.writeHandlers.get(fd)?.();
  }

  bytesWritten(fd: number): string {
    return (this.written.get(fd) ?? []).map((b) => Buffer.from(b).toString("utf8")).join("");
  }

  writeSome(fd: number, bytes: Uint8Array): number {
    const err = this.failing.get(fd);
    if (err) throw new SysError(err, `write fd ${fd}: ${err}`);
    if (!this.nonblocking.has(fd)) throw new FakeSysError(`writeSome on fd ${fd}, which is blocking`);
    const room = this.room.get(fd) ?? Infinity;
    const n = Math.min(room, bytes.length);
    if (n === 0) return 0;
    if (room !== Infinity) this.room.set(fd, room - n);
    const list = this.written.get(fd) ?? [];
    list.push(bytes.slice(0, n));
    this.written.set(fd, list);
    return n;
  }

  writeSomeWithFd(fd: number, bytes: Uint8Array, attach: number): number {
    const at = (this.written.get(fd) ?? []).reduce((n, b) => n + b.length, 0);
    const n = this.writeSome(fd, bytes);
    if (n > 0) this.attached.set(fd, [...(this.attached.get(fd) ?? []), { fd: attach, at }]);
    return n;
  }

  write(fd: number, bytes: Uint8Array): void {
    const err = this.failing.get(fd);
    if (err) throw new SysError(err, `write fd ${fd}: ${err}`);
    const list = this.written.get(fd) ?? [];
    list.push(bytes.slice());
    this.written.set(fd, list);
  }

  setNonblocking(fd: number): void {
    this.nonblocking.add(fd);
  }

  onReadable(fd: number, cb: (() => void) | null): void {
    if (cb) this.readHandlers.set(fd, cb);
    else this.readHandlers.delete(fd);
  }

  onWritable(fd: number, cb: (() => void) | null): void {
    if (cb) this.writeHandlers.set(fd, cb);
    else this.writeHandlers.delete(fd);
  }

  onSignal(signal: number, cb: () => void): void {
    this.signalHandlers.set(signal, cb);
  }

  readText(path: string): string {
    const v = this.files.get(path);
    if (v === undefined) throw new SysError("ENOENT", `open ${path}: No such file or directory`);
    return v;
  }

  readBytes(path: string): Uint8Array {
    return new TextEncoder().encode(this.readText(path));
  }

  writeText(path: string, text: string): void {
    this.files.set(path, text);
  }

  exists(path: string): boolean {
    return this.files.has(path);
  }

  open(path: string): number {
    this.effects.push(`open ${path}`);
    return this.nextFd++;
  }

  close(fd: number): void {
    this.closed.add(fd);
    this.effects.push(`close ${fd}`);
  }

  /** Bytes arrive on `fd`: its read handler runs, as the event loop would run it. */
  feed(fd: number, bytes: Uint8Array | string): void {
    const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    this.incoming.set(fd, [...(this.incoming.get(fd) ?? []), b]);
    this.readHandlers.get(fd)?.();
  }

  /** The peer of `fd` goes away: once its bytes are read, it reads as end of file. */
  hangUp(fd: number): void {
    this.ended.add(fd);
    this.readHandlers.get(fd)?.();
  }

  read(fd: number, max: number): Uint8Array {
    const q = this.incoming.get(fd) ?? [];
    const head = q.shift();
    if (head) {
      if (head.length > max) q.unshift(head.subarray(max));
      return head.subarray(0, max);
    }
    if (this.ended.has(fd)) return new Uint8Array(0);
    throw new SysError("EAGAIN", `read fd ${fd}: Resource temporarily unavailable`);
  }

  accept(fd: number): number | undefined {
    return this.connections.get(fd)?.shift();
  }

  unixConnect(path: string): number {
    const fd = this.sockets.get(path)?.shift();
    if (fd === undefined) throw new SysError("ECONNREFUSED", `unixConnect ${path}: Connection refused`);
    return fd;
  }

  unixListen(path: string): number {
    this.effects.push(`listen ${path}`);
    return this.nextFd++;
  }

  mkdir(path: string): void {
    this.effects.push(`mkdir ${path}`);
  }

  symlink(target: string, path: string): void {
    this.effects.push(`symlink ${path} -> ${target}`);
  }

  /** [read end, write end], fresh fds. */
  pipe(): [number, number] {
    return [this.nextFd++, this.nextFd++];
  }

  /** [master, slave], fresh fds. */
  openpty(): [number, number] {
    this.effects.push("openpty");
    return [this.nextFd++, this.nextFd++];
  }

  spawn(argv: string[], opts: SpawnOptions = {}): number {
    const pid = this.nextPid++;
    this.spawned.push({ pid, argv, opts, signals: [] });
    this.effects.push(`spawn ${pid} ${argv[0]}`);
    return pid;
  }

  /** A child ends; the reaper finds it at its next sweep (or at SIGCHLD, which this also raises). */
  exit(pid: number, how: { code: number } | { signal: number }): void {
    this.exits.push({ pid, ...how });
    this.signalHandlers.get(17)?.();
  }

  reapOne(): ExitStatus | undefined {
    return this.exits.shift();
  }

  kill(pid: number, signal: number): void {
    const p = this.spawned.find((x) => x.pid === pid);
    if (!p) throw new SysError("ESRCH", `kill ${pid}: No such process`);
    p.signals.push(signal);
    this.effects.push(`kill ${pid} ${signal}`);
  }

  getenv(): string | undefined {
    return undefined;
  }

  sync(): void {
    this.effects.push("sync");
  }

  poweroff(): void {
    this.effects.push("poweroff");
  }

  isSocket(): boolean {
    return false;
  }

  private unscripted(what: string): never {
    throw new FakeSysError(`${what} is not scripted in this test`);
  }

  unlink(path: string): void {
    this.unscripted(`unlink ${path}`);
  }
  readdir(path: string): string[] {
    return this.unscripted(`readdir ${path}`);
  }
  mount(source: string, target: string): void {
    this.unscripted(`mount ${source} ${target}`);
  }
  loadModule(path: string): void {
    this.unscripted(`loadModule ${path}`);
  }
  sethostname(name: string): void {
    this.unscripted(`sethostname ${name}`);
  }
  klogClear(): void {
    this.effects.push("klogClear");
  }
  /** A network call (as effects shows it) that throws, with this errno name. */
  readonly netFailures = new Map<string, string>();
  private net(what: string): void {
    this.effects.push(what);
    const code = this.netFailures.get(what);
    if (code) throw Object.assign(new Error(`${what}: ${code}`), { code });
  }
  linkUp(dev: string, up: boolean): void {
    this.net(`linkUp ${dev} ${up}`);
  }
  linkSetMac(dev: string, mac: string): void {
    this.net(`linkSetMac ${dev} ${mac}`);
  }
  linkClearIpv4(dev: string): void {
    this.net(`linkClearIpv4 ${dev}`);
  }
  bridgeCreate(name: string): void {
    this.net(`bridgeCreate ${name}`);
  }
  bridgeAddPort(bridge: string, dev: string): void {
    this.net(`bridgeAddPort ${bridge} ${dev}`);
  }
  /** What ttyPending reports per fd (absent: 0, all passed on). */
  readonly pendingOut = new Map<number, number>();
  openRawTty(path: string): number {
    this.effects.push(`openRawTty ${path}`);
    return this.nextFd++;
  }
  ttyPending(fd: number): number {
    return this.pendingOut.get(fd) ?? 0;
  }
  truncate(fd: number): void {
    this.effects.push(`truncate ${fd}`);
  }
  /** What writeAt put where, per fd, in order. */
  readonly writesAt = new Map<number, { offset: number; bytes: Uint8Array }[]>();
  writeAt(fd: number, bytes: Uint8Array, offset: number): void {
    const list = this.writesAt.get(fd) ?? [];
    list.push({ offset, bytes: bytes.slice() });
    this.writesAt.set(fd, list);
  }
  fbSetMode(fd: number, width: number, height: number): void {
    this.effects.push(`fbSetMode ${fd} ${width}x${height}`);
  }
}

/** Lets every queued promise job run (a few macrotask turns cover chains of awaits). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
