// The engine world's processes: what sys.spawn starts is a fake program (a few lines of host code
// per executable), a pid, and the endpoints it inherited. Exits become zombies that waitpid
// collects, each announced by a SIGCHLD to PID 1, the way the kernel does it.
import type { Endpoint, Ref } from "./engineFds.ts";

export type ExitHow = { code: number } | { signal: number };

export interface FakeProcess {
  readonly pid: number;
  readonly argv: string[];
  readonly env: string[] | undefined;
  /** Child fd i -> the endpoint it inherited (undefined: closed). */
  readonly fds: (Ref | undefined)[];
  readonly startedAt: number;
  alive: boolean;
  /** Collected by waitpid: the pid no longer exists. */
  reaped: boolean;
  exit?: ExitHow;
  /** Signals sent to it, in order, with the virtual time. */
  readonly signals: { signal: number; at: number }[];
  endpoint(fd: number): Endpoint | undefined;
}

export interface Program {
  /** Runs just after the spawn returned (the child is "exec'd"). */
  start(p: FakeProcess): void;
  /** A signal from kill(); return true when the program dealt with it itself. */
  signal?(p: FakeProcess, signal: number): boolean;
  /** After it ended (its inherited fds are already closed). */
  exited?(p: FakeProcess): void;
}

/** Raw wait(2) status. */
export const rawStatus = (e: ExitHow): number => ("code" in e ? (e.code & 0xff) << 8 : e.signal & 0x7f);

export class ProcessTable {
  private nextPid = 100;
  readonly all: FakeProcess[] = [];
  private readonly zombies: FakeProcess[] = [];

  create(argv: string[], env: string[] | undefined, fds: (Ref | undefined)[], at: number): FakeProcess {
    const p: FakeProcess = {
      pid: this.nextPid++,
      argv,
      env,
      fds,
      startedAt: at,
      alive: true,
      reaped: false,
      signals: [],
      endpoint: (fd) => fds[fd]?.endpoint,
    };
    this.all.push(p);
    return p;
  }

  get(pid: number): FakeProcess | undefined {
    return this.all.find((p) => p.pid === pid);
  }

  /** Ends a process: its fds close, it becomes a zombie. Returns false if it had already ended. */
  end(p: FakeProcess, how: ExitHow): boolean {
    if (!p.alive) return false;
    p.alive = false;
    p.exit = how;
    for (const r of p.fds) r?.drop();
    p.fds.length = 0;
    this.zombies.push(p);
    return true;
  }

  /** waitpid(pid, WNOHANG): a zombie (any for -1), or undefined. */
  reap(pid: number): FakeProcess | undefined {
    const i = this.zombies.findIndex((z) => pid === -1 || z.pid === pid);
    if (i < 0) return undefined;
    const [z] = this.zombies.splice(i, 1);
    z.reaped = true;
    return z;
  }

  get unreaped(): number {
    return this.zombies.length;
  }

  running(): FakeProcess[] {
    return this.all.filter((p) => p.alive);
  }
}
