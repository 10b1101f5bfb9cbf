// One supervised service as an explicit state machine (s6-supervise style): a pure function from
// (record, event) to (record, actions). The table below is the whole behaviour; effects happen in
// service.ts, which feeds events in and carries actions out.
import { describeExit, SIGNALS, type ExitStatus } from "../runtime/sys.ts";

export type ServiceState = "down" | "starting" | "up" | "backoff" | "stopping" | "failed";

export type ServiceEvent =
  | { type: "start"; at: number }
  | { type: "spawned"; pid: number; at: number }
  | { type: "spawnFailed"; error: string; at: number }
  /** `said`: the last line the program wrote, when it is known. */
  | { type: "exited"; status: ExitStatus; said?: string; at: number }
  | { type: "backoffElapsed"; at: number }
  | { type: "stop"; at: number }
  | { type: "stopTimeout"; at: number };

export type Action =
  | { type: "spawn" }
  | { type: "startBackoff"; ms: number }
  | { type: "cancelBackoff" }
  /** A stop step: `quit` is the service's own graceful request (QMP quit for QEMU). */
  | { type: "stopStep"; how: "quit" | "SIGTERM" | "SIGKILL"; timeoutMs: number };

export type RestartMode = "no" | "on-failure" | "always";

export interface RestartPolicy {
  restart: RestartMode;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** `burst` starts within `burstWindowMs` and a further failure means `failed`. */
  burst: number;
  burstWindowMs: number;
  /** A run at least this long resets the backoff to its initial delay. */
  healthyAfterMs: number;
  stopTimeoutsMs: { quit: number; term: number; kill: number };
  /** Whether the service has a graceful stop request before SIGTERM. */
  graceful: boolean;
}

export const defaultPolicy: RestartPolicy = {
  restart: "on-failure",
  backoffInitialMs: 100,
  backoffMaxMs: 10_000,
  burst: 5,
  burstWindowMs: 60_000,
  healthyAfterMs: 10_000,
  stopTimeoutsMs: { quit: 2_000, term: 3_000, kill: 2_000 },
  graceful: false,
};

export interface ServiceRecord {
  state: ServiceState;
  pid?: number;
  /** Starts after the first. */
  restarts: number;
  lastExit?: string;
  /** The last line the last run wrote, when known. */
  lastSaid?: string;
  /** When the current state began (monotonic ms). */
  since: number;
  /** Monotonic times of recent starts, for the burst limit. */
  starts: number[];
  consecutiveFailures: number;
  stopStage: number;
  error?: string;
}

export const initialRecord = (at: number): ServiceRecord => ({ state: "down", restarts: 0, since: at, starts: [], consecutiveFailures: 0, stopStage: 0 });

type Result = { rec: ServiceRecord; actions: Action[] };
type Handler<E extends ServiceEvent["type"]> = (rec: ServiceRecord, ev: Extract<ServiceEvent, { type: E }>, p: RestartPolicy) => Result;

const to = (rec: ServiceRecord, state: ServiceState, at: number, patch: Partial<ServiceRecord> = {}): ServiceRecord => ({ ...rec, ...patch, state, since: at });

const isFailure = (s: ExitStatus): boolean => s.signal !== undefined || s.code !== 0;

/** `exited with code:1, saying "..."`: how the last run ended, for sentences. */
export const howItEnded = (rec: ServiceRecord): string => `exited with ${rec.lastExit ?? "an unknown status"}${rec.lastSaid ? `, saying ${JSON.stringify(rec.lastSaid)}` : ""}`;

/** After a run (or a failed spawn) ended: restart after a backoff, settle down, or give up. */
function afterEnd(rec: ServiceRecord, at: number, failed: boolean, ranMs: number, p: RestartPolicy, why: string): Result {
  const wanted = p.restart === "always" || (p.restart === "on-failure" && failed);
  if (!wanted) return { rec: to(rec, "down", at, { pid: undefined, error: `${why}; restart is "${p.restart}", so it is not restarted` }), actions: [] };
  const recent = rec.starts.filter((t) => at - t < p.burstWindowMs);
  if (recent.length >= p.burst) {
    const error = `${why}; ${recent.length} starts within ${p.burstWindowMs / 1000} s, so it is not restarted again`;
    return { rec: to(rec, "failed", at, { pid: undefined, starts: recent, error }), actions: [] };
  }
  const consecutive = ranMs >= p.healthyAfterMs ? 1 : rec.consecutiveFailures + 1;
  const ms = Math.min(p.backoffInitialMs * 2 ** (consecutive - 1), p.backoffMaxMs);
  return { rec: to(rec, "backoff", at, { pid: undefined, starts: recent, consecutiveFailures: consecutive, error: why }), actions: [{ type: "startBackoff", ms }] };
}

const stopSteps = (p: RestartPolicy): Action[] => [
  ...(p.graceful ? [{ type: "stopStep", how: "quit", timeoutMs: p.stopTimeoutsMs.quit } as const] : []),
  { type: "stopStep", how: "SIGTERM", timeoutMs: p.stopTimeoutsMs.term },
  { type: "stopStep", how: "SIGKILL", timeoutMs: p.stopTimeoutsMs.kill },
];

const spawnNow: Handler<"start"> = (rec, ev) => ({ rec: to(rec, "starting", ev.at), actions: [{ type: "spawn" }] });

const table: { [S in ServiceState]: { [E in ServiceEvent["type"]]?: Handler<E> } } = {
  down: { start: (rec, ev, p) => spawnNow({ ...rec, error: undefined }, ev, p) },
  failed: { start: (rec, ev, p) => spawnNow({ ...rec, starts: [], consecutiveFailures: 0, error: undefined }, ev, p) },
  starting: {
    spawned: (rec, ev) => ({ rec: to(rec, "up", ev.at, { pid: ev.pid, starts: [...rec.starts, ev.at] }), actions: [] }),
    spawnFailed: (rec, ev, p) => afterEnd({ ...rec, starts: [...rec.starts, ev.at] }, ev.at, true, 0, p, `could not start: ${ev.error}`),
  },
  up: {
    exited: (rec, ev, p) => {
      // A program killed by a signal did not say why: its last line is from its ordinary run.
      const saidWhy = ev.status.code !== undefined && ev.status.code !== 0;
      const ended = { ...rec, lastExit: describeExit(ev.status), lastSaid: saidWhy ? ev.said : undefined };
      return afterEnd(ended, ev.at, isFailure(ev.status), ev.at - rec.since, p, howItEnded(ended));
    },
    stop: (rec, ev, p) => ({ rec: to(rec, "stopping", ev.at, { stopStage: 0 }), actions: [stopSteps(p)[0]] }),
  },
  backoff: {
    backoffElapsed: (rec, ev) => ({ rec: to(rec, "starting", ev.at, { restarts: rec.restarts + 1 }), actions: [{ type: "spawn" }] }),
    stop: (rec, ev) => ({ rec: to(rec, "down", ev.at), actions: [{ type: "cancelBackoff" }] }),
  },
  stopping: {
    exited: (rec, ev) => ({ rec: to(rec, "down", ev.at, { pid: undefined, lastExit: describeExit(ev.status) }), actions: [] }),
    stopTimeout: (rec, ev, p) => {
      const steps = stopSteps(p);
      const next = rec.stopStage + 1;
      if (next >= steps.length) {
        const reason = `pid ${rec.pid} did not exit after SIGKILL`;
        return { rec: to(rec, "down", ev.at, { error: reason }), actions: [] };
      }
      return { rec: { ...rec, stopStage: next }, actions: [steps[next]] };
    },
  },
};

/** Applies one event. An event the current state does not handle changes nothing. */
export function step(rec: ServiceRecord, ev: ServiceEvent, p: RestartPolicy): Result {
  const handler = table[rec.state][ev.type] as Handler<typeof ev.type> | undefined;
  return handler ? handler(rec, ev as never, p) : { rec, actions: [] };
}

export const signalFor = (how: "SIGTERM" | "SIGKILL"): number => SIGNALS[how];
