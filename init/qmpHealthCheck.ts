// The supervisor's QMP health check: query-status every qmp-interval-s on its own monitor; no
// answer within the interval means degraded. While one check is unanswered (a stopped QEMU) no
// other is sent, so nothing piles up on the socket.
import type { Sys, TimerHandle } from "../runtime/sys.ts";
import type { QmpClient } from "../qemu/qmpClient.ts";

export interface QmpFindings {
  /** A check has been answered or has failed since QEMU started. */
  checked: boolean;
  /** The last query-status answer; undefined when the last check got none. */
  status?: string;
  /** Why the last check got no answer. */
  problem?: string;
}

export class QmpHealthCheck {
  private found: QmpFindings = { checked: false };
  private timer: TimerHandle | undefined;
  private outstanding: QmpClient | undefined;

  constructor(
    private readonly sys: Sys,
    /** The seconds between checks, read at each one: a live change applies from the next. */
    private readonly intervalS: () => number,
    /** The monitor to ask, or undefined while QEMU is not up. */
    private readonly monitor: () => QmpClient | undefined,
    /** Called after every finding. */
    private readonly onFinding: (f: QmpFindings) => void,
  ) {}

  get findings(): QmpFindings {
    return this.found;
  }

  /** A new QEMU run: nothing is known of it yet. */
  reset(): void {
    this.found = { checked: false };
  }

  start(): void {
    this.timer = this.sys.setTimer(this.intervalS() * 1000, () => this.check());
  }

  stop(): void {
    this.timer?.cancel();
  }

  private record(f: QmpFindings): void {
    this.found = f;
    this.onFinding(f);
  }

  private check(): void {
    this.start();
    const qmp = this.monitor();
    if (!qmp) return;
    if (this.outstanding === qmp) return this.record({ checked: true, problem: `has not answered QMP query-status for over ${this.intervalS()} s` });
    this.outstanding = qmp;
    qmp.execute("query-status").then(
      (r) => {
        if (this.outstanding === qmp) this.outstanding = undefined;
        this.record({ checked: true, status: String((r as { status?: string }).status ?? "unknown") });
      },
      (e: Error) => {
        if (this.outstanding === qmp) this.outstanding = undefined;
        if (this.monitor() === qmp) this.record({ checked: true, problem: `failed QMP query-status: ${e.message}` });
      },
    );
  }
}
