// The scripted world the init bundle runs against in the engine tier: a filesystem, PID 1's file
// descriptors, fake child processes, a virtual clock with timers, signals, read handlers, and a
// log of every effect in order. engineSyscalls.ts maps the shim modules' calls (engineShims.ts)
// onto it; the event loop that drives it is engineVm.ts. Nothing here knows the init's logic.
import { strerror } from "./engineErrno.ts";
import { LoopState } from "./engineEvents.ts";
import { FileEndpoint, NullEndpoint, Ref, TtyEndpoint, type Endpoint } from "./engineFds.ts";
import { FakeFs, FullError, WorldError } from "./engineFs.ts";
import { ProcessTable, rawStatus, type ExitHow, type FakeProcess, type Program } from "./engineProcesses.ts";
import { LINUX, SIGNAL_NUMBERS } from "./engineShims.ts";

export interface Effect {
  at: number;
  what: string;
}

const DEFAULT_PATH = "/bin:/usr/bin:/sbin:/usr/sbin";
const signalName = (n: number): string => Object.entries(SIGNAL_NUMBERS).find(([, v]) => v === n)?.[0] ?? `SIG${n}`;
export const describeExitHow = (e: ExitHow): string => ("code" in e ? `code:${e.code}` : `signal:${signalName(e.signal)}`);

export class World {
  readonly fs = new FakeFs();
  /** Virtual monotonic milliseconds; only the event loop moves it, when nothing else is due. */
  clock = 0;
  env: Record<string, string> = {};
  readonly console = new TtyEndpoint("/dev/console");
  readonly procs = new ProcessTable();
  readonly effects: Effect[] = [];
  /** Misuse the real kernel or runtime would punish (a read handler left on a closed fd, a blocking wait). */
  readonly problems: string[] = [];
  readonly programs = new Map<string, Program>();
  /** Device nodes: what opening `/dev/...` of that device name yields. */
  readonly devices = new Map<string, (path: string) => Endpoint>();
  poweredOff: string | undefined;
  /** How often each call was made. */
  readonly callCounts = new Map<string, number>();

  /** Timers, read handlers, signals: what the event loop (engineVm.ts) takes its next event from. */
  readonly loop = new LoopState();
  hostname = "(none)";
  /** Kernel state the calls keep: mount points, loaded modules, and what mounting shows. */
  readonly mounted = new Map<string, string>();
  readonly mountHooks = new Map<string, () => void>();
  readonly loadedModules = new Set<string>();
  private readonly fds = new Map<number, Ref>();
  private readonly programOf = new Map<number, Program>();

  constructor() {
    this.fds.set(0, new Ref(this.console));
    this.fds.set(1, new Ref(this.console));
    this.fds.set(2, new Ref(this.console));
    this.devices.set("null", () => new NullEndpoint());
  }

  effect(what: string): void {
    this.effects.push({ at: this.clock, what });
  }

  /** Effects whose text matches, in order. */
  effectsMatching(re: RegExp): string[] {
    return this.effects.filter((e) => re.test(e.what)).map((e) => e.what);
  }

  /** An executable at `path` that behaves like `program`. */
  install(path: string, program: Program): void {
    this.fs.file(path, "\x7fELF");
    this.programs.set(path, program);
  }

  /** What mounting something on `target` makes appear (proc's files, sysfs, devtmpfs's nodes). */
  onMount(target: string, populate: () => void): void {
    this.mountHooks.set(target, populate);
  }

  /** Host work to do before the guest's next event (a program's reaction). */
  soon(fn: () => void): void {
    this.loop.soon(fn);
  }

  // ---- processes and signals, from the test's side ----

  /** Ends a child; `announce: false` loses the SIGCHLD (only a waitpid sweep finds the zombie). */
  exitProcess(p: FakeProcess, how: ExitHow, o: { announce?: boolean } = {}): void {
    if (!this.procs.end(p, how)) return;
    this.programOf.get(p.pid)?.exited?.(p);
    this.effect(`exit ${p.pid} ${describeExitHow(how)}`);
    if (o.announce ?? true) this.raise(SIGNAL_NUMBERS.SIGCHLD);
  }

  /** A process PID 1 did not start: an orphan the kernel reparented to it. */
  adopt(argv: string[]): FakeProcess {
    const p = this.procs.create(argv, undefined, [], this.clock);
    this.effect(`adopt ${p.pid} ${argv.join(" ")}`);
    return p;
  }

  /** A signal for PID 1. Like the kernel, PID 1 gets only the signals it has a handler for. */
  raise(signo: number): void {
    if (!this.loop.raise(signo) && signo !== SIGNAL_NUMBERS.SIGCHLD) this.effect(`signal ${signalName(signo)} not handled by PID 1`);
  }

  hasHandler(signo: number): boolean {
    return this.loop.hasHandler(signo);
  }

  /** The fd a read handler waits on that has something to read. */
  readyFd(): number | undefined {
    return this.loop.readyFd((fd) => this.fds.get(fd)?.endpoint.readable() ?? false);
  }

  get pendingTimers(): number {
    return this.loop.timerCount;
  }

  endpoint(fd: number): Endpoint | undefined {
    return this.fds.get(fd)?.endpoint;
  }

  // ---- what the shim calls do (engineSyscalls.ts maps the calls onto these) ----

  addFd(ref: Ref): number {
    let fd = 0;
    while (this.fds.has(fd)) fd++;
    this.fds.set(fd, ref);
    return fd;
  }

  open(path: string, flags: number): number {
    // /proc/self/fd/N opens a new description of what fd N points at.
    const self = /^\/proc\/self\/fd\/([0-9]+)$/.exec(path);
    if (self && this.mounted.has("/proc")) {
      const ref = this.fds.get(Number(self[1]));
      if (!ref) throw new WorldError("ENOENT", path);
      return this.addFd(new Ref(ref.endpoint));
    }
    let node = this.fs.get(path);
    const writing = (flags & 3) !== LINUX.O_RDONLY;
    if (!node) {
      if (!(flags & LINUX.O_CREAT)) throw new WorldError("ENOENT", path);
      this.fs.create(path, { kind: "file", data: new Uint8Array(0) });
      node = this.fs.need(path);
    }
    switch (node.kind) {
      case "dir":
        if (writing) throw new WorldError("EISDIR", path);
        return this.addFd(new Ref(new NullEndpoint()));
      case "socket":
        throw new WorldError("ENXIO", path);
      case "device": {
        const make = this.devices.get(node.device);
        if (!make) throw new WorldError("ENXIO", `${path}: no driver for ${node.device}`);
        return this.addFd(new Ref(make(path)));
      }
      case "file":
        if (flags & LINUX.O_TRUNC) this.fs.put(path, { kind: "file", data: new Uint8Array(0) });
        return this.addFd(new Ref(new FileEndpoint(this.fs, path)));
    }
  }

  close(fd: number): void {
    const ref = this.fds.get(fd);
    if (!ref) throw new WorldError("EBADF", `fd ${fd}`);
    if (this.loop.hasReadHandler(fd)) {
      this.problems.push(`fd ${fd} (${ref.endpoint.label}) closed with its read handler still set`);
      this.loop.setReadHandler(fd, false);
    }
    if (this.loop.hasWriteHandler(fd)) {
      this.problems.push(`fd ${fd} (${ref.endpoint.label}) closed with its write handler still set`);
      this.loop.setWriteHandler(fd, false);
    }
    this.fds.delete(fd);
    ref.drop();
  }

  private resolveExecutable(file: string, env: string[] | undefined): string | undefined {
    if (file.includes("/")) return this.fs.get(file)?.kind === "file" ? file : undefined;
    const path = env?.find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
    return path
      .split(":")
      .map((d) => `${d}/${file}`)
      .find((p) => this.fs.get(p)?.kind === "file");
  }

  spawn(argv: string[], opts: { fds?: number[]; env?: string[]; file?: string }): number {
    const fdMap = opts.fds ?? [0, 1, 2];
    for (const fd of fdMap) if (fd >= 0 && !this.fds.has(fd)) throw new FullError("EBADF", `spawn(${JSON.stringify(argv)}): fd ${fd}: ${strerror(9)}`);
    const file = opts.file ?? argv[0];
    const path = this.resolveExecutable(file, opts.env);
    if (!path) throw new FullError("ENOENT", `spawn(${JSON.stringify(argv)}): execve(${JSON.stringify(file)}): ${strerror(2)}`);
    const program = this.programs.get(path);
    if (!program) {
      this.problems.push(`no fake program for ${path}`);
      throw new FullError("ENOEXEC", `spawn(${JSON.stringify(argv)}): execve(${JSON.stringify(path)}): Exec format error`);
    }
    const p = this.procs.create(argv, opts.env, fdMap.map((fd) => (fd < 0 ? undefined : this.fds.get(fd)!.dup())), this.clock);
    this.programOf.set(p.pid, program);
    this.effect(`spawn ${p.pid} ${argv.slice(0, 8).join(" ")}${argv.length > 8 ? " ..." : ""}`);
    this.soon(() => program.start(p));
    return p.pid;
  }

  kill(pid: number, sig: number): void {
    const p = this.procs.get(pid);
    if (!p || p.reaped) throw new WorldError("ESRCH", `pid ${pid}`);
    p.signals.push({ signal: sig, at: this.clock });
    this.effect(`kill ${pid} ${signalName(sig)}`);
    if (!p.alive || sig === 0) return;
    if (sig !== SIGNAL_NUMBERS.SIGKILL && this.programOf.get(pid)?.signal?.(p, sig)) return;
    if (sig === SIGNAL_NUMBERS.SIGCHLD || sig === SIGNAL_NUMBERS.SIGCONT || sig === SIGNAL_NUMBERS.SIGWINCH) return;
    this.soon(() => this.exitProcess(p, { signal: sig }));
  }

  waitpid(pid: number, flags: number): [number, number] | null {
    const z = this.procs.reap(pid);
    if (z) return [z.pid, rawStatus(z.exit!)];
    if (!(flags & LINUX.WNOHANG) && this.procs.running().length > 0) this.problems.push(`blocking waitpid(${pid}) in PID 1`);
    return null;
  }
}
