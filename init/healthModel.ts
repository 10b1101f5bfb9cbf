// What health says, computed from the supervisor's state: a flat map of key -> value under
// /local/domain/<S>/data/stubdom/. Pure; health.ts writes only the keys that changed.
import type { MemoryFigures } from "./memoryFigures.ts";
import type { ServiceRecord } from "./serviceMachine.ts";

export type Phase = "booting" | "running" | "stopping";
export type HealthState = "booting" | "running" | "degraded" | "failed" | "stopping";

export interface HealthInput {
  phase: Phase;
  /** A boot step failed for good: the sentence. */
  bootError?: string;
  /** The device model service, once configured. */
  qemu?: ServiceRecord;
  other: Record<string, ServiceRecord>;
  /** Last QMP query-status answer, or undefined when it did not answer in time. */
  qmpStatus?: string;
  qmpChecked: boolean;
  bootMs: Record<string, number>;
  /** Unknown figures are published as "". */
  memory: MemoryFigures;
  /** Wall-clock ms at monotonic 0, to print `since` as a date. */
  wallOffsetMs: number;
  configProblems: string[];
}

export function overallState(h: HealthInput): HealthState {
  if (h.phase === "stopping") return "stopping";
  if (h.bootError !== undefined) return "failed";
  const q = h.qemu;
  if (!q) return "booting";
  switch (q.state) {
    case "failed":
    case "down":
      return "failed";
    case "up":
      return h.qmpChecked && h.qmpStatus === undefined ? "degraded" : "running";
    default:
      return q.restarts === 0 && q.starts.length <= 1 && h.phase === "booting" ? "booting" : "degraded";
  }
}

function serviceKeys(name: string, r: ServiceRecord, wallOffsetMs: number): [string, string][] {
  return [
    [`${name}/state`, r.state],
    [`${name}/pid`, r.pid === undefined ? "" : String(r.pid)],
    [`${name}/restarts`, String(r.restarts)],
    [`${name}/last-exit`, r.lastExit ?? ""],
    [`${name}/since`, new Date(wallOffsetMs + r.since).toISOString()],
  ];
}

const kb = (n: number | undefined): string => (n === undefined ? "" : String(n));

export function healthKeys(h: HealthInput): Map<string, string> {
  const state = overallState(h);
  const qemuError = (state === "failed" || state === "degraded") && h.qemu?.error ? `QEMU ${h.qemu.error}` : undefined;
  const out = new Map<string, string>([
    ["state", state],
    ["error", h.bootError ?? qemuError ?? ""],
    ["mem-free-kb", kb(h.memory.freeKb)],
    ["mem-available-kb", kb(h.memory.availableKb)],
    ["config-problems", h.configProblems.join("\n")],
  ]);
  if (h.qemu) {
    for (const [k, v] of serviceKeys("qemu", h.qemu, h.wallOffsetMs)) out.set(k, v);
    out.set("qemu/status", h.qmpStatus ?? (h.qmpChecked ? "no answer" : ""));
    out.set("qemu/rss-kb", h.qemu.state === "up" ? kb(h.memory.qemuRssKb) : "");
  }
  for (const [name, r] of Object.entries(h.other)) for (const [k, v] of serviceKeys(name, r, h.wallOffsetMs)) out.set(k, v);
  for (const [step, ms] of Object.entries(h.bootMs)) out.set(`boot-ms/${step}`, String(ms));
  return out;
}
