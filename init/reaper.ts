// PID 1 reaps every child. Exits go to whoever spawned the pid; anything else is an orphan that
// was reparented to us. QuickJS can miss a SIGCHLD that lands just before it blocks, so a periodic
// sweep backs the signal up; that timer also keeps the event loop from ever running dry.
import { describeExit, SIGNALS, type ExitStatus, type Sys } from "../runtime/sys.ts";
import type { Log } from "./log.ts";

export const SWEEP_MS = 1000;

export class Reaper {
  private readonly owners = new Map<number, (e: ExitStatus) => void>();

  constructor(
    private readonly sys: Sys,
    private readonly log: Log,
  ) {}

  start(): void {
    this.sys.onSignal(SIGNALS.SIGCHLD, () => this.sweep());
    const tick = (): void => {
      this.sweep();
      this.sys.setTimer(SWEEP_MS, tick);
    };
    this.sys.setTimer(SWEEP_MS, tick);
  }

  /** Routes the exit of `pid` to `onExit`. */
  own(pid: number, onExit: (e: ExitStatus) => void): void {
    this.owners.set(pid, onExit);
  }

  sweep(): void {
    for (;;) {
      const e = this.sys.reapOne();
      if (!e) return;
      const owner = this.owners.get(e.pid);
      this.owners.delete(e.pid);
      if (owner) owner(e);
      else this.log.debug(`reaped orphan ${e.pid} (${describeExit(e)})`);
    }
  }
}
