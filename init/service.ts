// Carries out what the service state machine decides: spawns, timers, signals. Events are queued
// so an action that produces an event (a spawn that fails at once) never re-enters `step`.
import type { ExitStatus, Sys, TimerHandle } from "../runtime/sys.ts";
import type { Reaper } from "./reaper.ts";
import { initialRecord, signalFor, step, type Action, type RestartPolicy, type ServiceEvent, type ServiceRecord } from "./serviceMachine.ts";

export interface ServiceSpec {
  name: string;
  policy: RestartPolicy;
  /** Starts one run and returns its pid; throws (with a sentence) when it cannot. */
  launch(): number;
  /** The graceful stop request (QEMU: QMP quit). */
  quit?(): void;
  /** What the run that just ended said last (QEMU's last line of output). */
  lastWords?(): string | undefined;
  /** Called after every change of record, with the one before. */
  onChange?(rec: ServiceRecord, before: ServiceRecord): void;
}

export class Service {
  private rec: ServiceRecord;
  private timer: TimerHandle | undefined;
  private readonly queue: ServiceEvent[] = [];
  private draining = false;
  private settled: (() => void)[] = [];

  constructor(
    private readonly sys: Sys,
    private readonly reaper: Reaper,
    readonly spec: ServiceSpec,
  ) {
    this.rec = initialRecord(sys.now());
  }

  get record(): ServiceRecord {
    return this.rec;
  }

  start(): void {
    this.dispatch({ type: "start", at: this.sys.now() });
  }

  /** Stops the service; resolves once it is down (or failed). */
  stop(): Promise<void> {
    const done = new Promise<void>((r) => this.settled.push(r));
    this.dispatch({ type: "stop", at: this.sys.now() });
    this.resolveIfSettled();
    return done;
  }

  private resolveIfSettled(): void {
    if (this.rec.state !== "down" && this.rec.state !== "failed") return;
    for (const r of this.settled.splice(0)) r();
  }

  private dispatch(ev: ServiceEvent): void {
    this.queue.push(ev);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const before = this.rec;
        const { rec, actions } = step(before, next, this.spec.policy);
        this.rec = rec;
        if (rec.state !== before.state) this.cancelTimer();
        for (const a of actions) this.perform(a);
        if (rec !== before) this.spec.onChange?.(rec, before);
      }
    } finally {
      this.draining = false;
    }
    this.resolveIfSettled();
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private later(ms: number, ev: () => ServiceEvent): void {
    this.cancelTimer();
    this.timer = this.sys.setTimer(ms, () => {
      this.timer = undefined;
      this.dispatch(ev());
    });
  }

  private perform(a: Action): void {
    const now = (): number => this.sys.now();
    switch (a.type) {
      case "spawn": {
        let pid: number;
        try {
          pid = this.spec.launch();
        } catch (e) {
          this.dispatch({ type: "spawnFailed", error: (e as Error).message, at: now() });
          return;
        }
        this.reaper.own(pid, (status: ExitStatus) => this.dispatch({ type: "exited", status, said: this.spec.lastWords?.(), at: now() }));
        this.dispatch({ type: "spawned", pid, at: now() });
        return;
      }
      case "startBackoff":
        return this.later(a.ms, () => ({ type: "backoffElapsed", at: now() }));
      case "cancelBackoff":
        return this.cancelTimer();
      case "stopStep": {
        const pid = this.rec.pid;
        if (a.how === "quit") this.spec.quit?.();
        else if (pid !== undefined) {
          try {
            this.sys.kill(pid, signalFor(a.how));
          } catch {
            // Already gone: its exit is on the way to the reaper.
          }
        }
        return this.later(a.timeoutMs, () => ({ type: "stopTimeout", at: now() }));
      }
    }
  }
}
