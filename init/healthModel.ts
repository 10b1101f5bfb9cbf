// What health says, computed from the supervisor's state: a flat map of key -> value under
// /local/domain/<S>/data/stubdom/, by the names of the contract (healthSchema.ts). Pure;
// health.ts writes only the keys that changed.
import type { DisplayView } from "../display/bridgeReport.ts";
import { bootKey, displayKey, qemuKey, serviceKey } from "./healthPaths.ts";
import type { BootStep, HealthKey, ServiceName } from "./healthSchema.ts";
import type { MemoryFigures } from "./memoryFigures.ts";
import type { ServiceRecord } from "./serviceMachine.ts";

export type Phase = "booting" | "running" | "stopping";
export type HealthState = "booting" | "running" | "degraded" | "failed" | "stopping";

export interface HealthInput {
  phase: Phase;
  /** What the boot is doing while booting ("reading the guest configuration"). */
  bootStep?: string;
  /** Why the stubdom is stopping ("control/shutdown = poweroff"). */
  stopReason?: string;
  /** A boot step failed for good: the sentence. */
  bootError?: string;
  /** The device model service, once configured. */
  qemu?: ServiceRecord;
  other: Partial<Record<Exclude<ServiceName, "qemu">, ServiceRecord>>;
  /** What the display bridge reported, while it is a service (other.display). */
  display?: DisplayView;
  /** Last QMP query-status answer, or undefined when it did not answer in time. */
  qmpStatus?: string;
  qmpChecked: boolean;
  /** Why the last QMP check failed ("no answer to query-status within 5 s"). */
  qmpProblem?: string;
  /** A restore that failed, QEMU running without the saved state (restore-failure = fresh-start). */
  restoreProblem?: string;
  bootMs: Partial<Record<BootStep, number>>;
  /** Unknown figures are published as "". */
  memory: MemoryFigures;
  /** Wall-clock ms at monotonic 0, to print `since` as a date. */
  wallOffsetMs: number;
  configProblems: string[];
  /** The running Xen's version and the image's Xen release, "" when unknown. */
  xenVersion: string;
  imageXenRelease: string;
  /** The image's Xen libraries are another release's than the running Xen's: the sentence. */
  xenMismatch?: string;
}

export interface Assessment {
  state: HealthState;
  /** A sentence for every state but `running`; "" while running. */
  error: string;
}

/**
 * The overall state and, unless it is `running`, the sentence that says why. Images whose Xen
 * libraries are another release's never say `running`, and a failure's sentence names that too.
 */
export function assess(h: HealthInput): Assessment {
  const a = assessServices(h);
  if (!h.xenMismatch) return a;
  if (a.state === "running") return { state: "degraded", error: h.xenMismatch };
  return a.state === "failed" || a.state === "degraded" ? { state: a.state, error: `${a.error}; ${h.xenMismatch}` } : a;
}

function assessServices(h: HealthInput): Assessment {
  if (h.phase === "stopping") return { state: "stopping", error: `stopping: ${h.stopReason ?? "shutdown requested"}` };
  if (h.bootError !== undefined) return { state: "failed", error: h.bootError };
  const q = h.qemu;
  if (!q) return { state: "booting", error: `booting: ${h.bootStep ?? "starting"}` };
  const why = q.error ?? (q.lastExit ? `exited with ${q.lastExit}` : q.state);
  switch (q.state) {
    case "failed":
    case "down":
      return { state: "failed", error: `QEMU ${why}` };
    case "up": {
      if (h.qmpChecked && h.qmpStatus === undefined) return { state: "degraded", error: `QEMU pid ${q.pid} ${h.qmpProblem ?? "does not answer QMP"}` };
      if (h.restoreProblem) return { state: "degraded", error: h.restoreProblem };
      const broken = Object.entries(h.other).find(([, r]) => r.state !== "up");
      if (broken) return { state: "degraded", error: `${broken[0]} is ${broken[1].state}${broken[1].error ? `: ${broken[1].error}` : ""}` };
      if (h.display?.error) return { state: "degraded", error: `display: ${h.display.error}` };
      // A restarted QEMU is not the one the guest booted with: its devices began again from reset.
      if (q.restarts > 0) return { state: "degraded", error: `QEMU was restarted (restart ${q.restarts}, after it exited with ${q.lastExit ?? "an unknown status"}): the guest's emulated devices started again from reset` };
      return { state: "running", error: "" };
    }
    default: {
      const first = q.restarts === 0 && q.starts.length <= 1 && h.phase === "booting";
      const doing = q.state === "backoff" ? `QEMU ${why}; restarting after a backoff` : `QEMU is ${q.state}`;
      return first ? { state: "booting", error: `booting: ${doing}` } : { state: "degraded", error: doing };
    }
  }
}

function serviceKeys(name: ServiceName, r: ServiceRecord, wallOffsetMs: number): [string, string][] {
  return [
    [serviceKey(name, "state"), r.state],
    [serviceKey(name, "pid"), r.pid === undefined ? "" : String(r.pid)],
    [serviceKey(name, "restarts"), String(r.restarts)],
    [serviceKey(name, "last-exit"), r.lastExit ?? ""],
    [serviceKey(name, "since"), new Date(wallOffsetMs + r.since).toISOString()],
  ];
}

const kb = (n: number | undefined): string => (n === undefined ? "" : String(n));

export function healthKeys(h: HealthInput): Map<string, string> {
  const { state, error } = assess(h);
  const overall: Record<HealthKey, string> = {
    state,
    error,
    "mem-free-kb": kb(h.memory.freeKb),
    "mem-available-kb": kb(h.memory.availableKb),
    "config-problems": h.configProblems.join("\n"),
    "xen-version": h.xenVersion,
    "image-xen-release": h.imageXenRelease,
  };
  const out = new Map<string, string>(Object.entries(overall));
  if (h.qemu) {
    for (const [k, v] of serviceKeys("qemu", h.qemu, h.wallOffsetMs)) out.set(k, v);
    out.set(qemuKey("status"), h.qmpStatus ?? (h.qmpChecked ? "no answer" : ""));
    out.set(qemuKey("rss-kb"), h.qemu.state === "up" ? kb(h.memory.qemuRssKb) : "");
  }
  for (const [name, r] of Object.entries(h.other) as [ServiceName, ServiceRecord][]) for (const [k, v] of serviceKeys(name, r, h.wallOffsetMs)) out.set(k, v);
  if (h.other.display && h.display) {
    out.set(displayKey("mode"), h.display.mode);
    out.set(displayKey("frames"), String(h.display.frames));
    out.set(displayKey("error"), h.display.error);
  }
  for (const [step, ms] of Object.entries(h.bootMs) as [BootStep, number][]) out.set(bootKey(step), String(ms));
  return out;
}
