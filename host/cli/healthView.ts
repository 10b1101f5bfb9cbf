// A stubdom's health as dom0 reads it (the keys of init/healthSchema.ts, under
// /local/domain/<S>/data/stubdom/), shaped for `status` and printed as a table or JSON.
import { healthDir } from "../../init/healthPaths.ts";
import type { DisplayHealthKey, HealthKey, QemuHealthKey, ServiceHealthKey } from "../../init/healthSchema.ts";
import type { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { CliError, EXIT } from "./args.ts";
import { requireDomain } from "./stubdomRef.ts";
import { domainIds, isMissing, listOptional, readOptional } from "./xenstoreOptional.ts";

/** Every leaf under `dir`, by path relative to it (`state`, `qemu/pid`, `boot-ms/mounts`). */
export async function readTree(xs: XenStoreClient, dir: string, prefix = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const children = await listOptional(xs, dir);
  const parts = await Promise.all(
    children.map(async (child): Promise<[string, string, Map<string, string>]> => {
      const path = `${dir}/${child}`;
      const [value, below] = await Promise.all([readOptional(xs, path).then((v) => v ?? ""), readTree(xs, path, `${prefix}${child}/`)]);
      return [`${prefix}${child}`, value, below];
    }),
  );
  for (const [key, value, below] of parts) {
    if (below.size === 0) out.set(key, value);
    for (const [k, v] of below) out.set(k, v);
  }
  return out;
}

export interface ServiceView {
  state: string;
  pid: number | null;
  restarts: number | null;
  lastExit: string;
  since: string;
  /** Seconds in the current state (uptime while `up`), or null when `since` is not a date. */
  secondsInState: number | null;
  /** QMP query-status, for qemu only. */
  status?: string;
  /** Resident set in kB, for qemu only (null while it is not up). */
  rssKb?: number | null;
  /** What the display bridge draws, for display only: the guest's mode, frames copied, its last problem. */
  mode?: string;
  frames?: number | null;
  problem?: string;
}

export interface HealthView {
  domid: number;
  name: string;
  guest: number | null;
  state: string;
  error: string;
  memFreeKb: number | null;
  /** MemAvailable: what the stubdom can still spend. */
  memAvailableKb: number | null;
  configProblems: string[];
  /** The Xen it runs on and the Xen release of its image's libraries; "" when not reported. */
  xenVersion: string;
  imageXenRelease: string;
  bootMs: Record<string, number>;
  services: Record<string, ServiceView>;
}

const num = (s: string | undefined): number | null => (s !== undefined && /^[0-9]+$/.test(s) ? Number(s) : null);

/** Pure: the flat keys of one stubdom → the view `status` prints. Services are found by their
 *  `<name>/state` key, so a service this stubdomctl does not know is shown too. */
export function healthView(domid: number, name: string, guest: number | null, keys: ReadonlyMap<string, string>, nowMs: number): HealthView {
  const top = (k: HealthKey): string | undefined => keys.get(k);
  const field = (service: string, k: ServiceHealthKey | QemuHealthKey | DisplayHealthKey): string | undefined => keys.get(`${service}/${k}`);
  const bootMs: Record<string, number> = {};
  const services: Record<string, ServiceView> = {};
  for (const [k, v] of keys) {
    const [head, leaf, ...rest] = k.split("/");
    if (rest.length > 0 || leaf === undefined) continue;
    if (head === "boot-ms") {
      const n = num(v);
      if (n !== null) bootMs[leaf] = n;
    } else if (leaf === ("state" satisfies ServiceHealthKey)) {
      const since = field(head, "since") ?? "";
      const t = Date.parse(since);
      const status = field(head, "status");
      const rss = field(head, "rss-kb");
      const mode = field(head, "mode");
      const frames = field(head, "frames");
      const problem = field(head, "error");
      services[head] = {
        state: v,
        pid: num(field(head, "pid")),
        restarts: num(field(head, "restarts")),
        lastExit: field(head, "last-exit") ?? "",
        since,
        secondsInState: Number.isNaN(t) ? null : Math.max(0, Math.round((nowMs - t) / 1000)),
        ...(status !== undefined ? { status } : {}),
        ...(rss !== undefined ? { rssKb: num(rss) } : {}),
        ...(mode !== undefined ? { mode } : {}),
        ...(frames !== undefined ? { frames: num(frames) } : {}),
        ...(problem !== undefined ? { problem } : {}),
      };
    }
  }
  const problems = top("config-problems") ?? "";
  return {
    domid,
    name,
    guest,
    state: top("state") ?? "",
    error: top("error") ?? "",
    memFreeKb: num(top("mem-free-kb")),
    memAvailableKb: num(top("mem-available-kb")),
    configProblems: problems === "" ? [] : problems.split("\n"),
    xenVersion: top("xen-version") ?? "",
    imageXenRelease: top("image-xen-release") ?? "",
    bootMs,
    services,
  };
}

/** Reads one stubdom; a domain that is not there, or reports no health, is exit 4. */
export async function readStubdom(xs: XenStoreClient, domid: number, nowMs = Date.now()): Promise<HealthView> {
  await requireDomain(xs, domid);
  const dom = `/local/domain/${domid}`;
  const [name, target, state] = await Promise.all([`${dom}/name`, `${dom}/target`, `${healthDir(domid)}/state`].map((p) => readOptional(xs, p)));
  if (state === undefined) throw new CliError(`domain ${domid} reports no stubdom health: ${healthDir(domid)}/state does not exist`, EXIT.noStubdom);
  return healthView(domid, name ?? "", num(target), await readTree(xs, healthDir(domid)), nowMs);
}

/** Every domain with a health `state` key, in domid order. */
export async function listStubdoms(xs: XenStoreClient): Promise<number[]> {
  const ids = await domainIds(xs);
  const has = await Promise.all(ids.map((d) => xs.read(`${healthDir(d)}/state`).then(() => true, (e) => (isMissing(e) ? false : Promise.reject(e)))));
  return ids.filter((_, i) => has[i]).sort((a, b) => a - b);
}

/** `45s`, `3m05s`, `2h07m`, `3d04h`. */
export function formatDuration(s: number): string {
  const pad = (n: number): string => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

const COLUMNS: { title: string; right?: boolean; cell: (v: HealthView) => string }[] = [
  { title: "Name", cell: (v) => v.name || "-" },
  { title: "ID", right: true, cell: (v) => String(v.domid) },
  { title: "Guest", right: true, cell: (v) => (v.guest === null ? "-" : String(v.guest)) },
  { title: "State", cell: (v) => v.state || "-" },
  { title: "QEMU", cell: (v) => v.services.qemu?.state ?? "-" },
  { title: "PID", right: true, cell: (v) => (v.services.qemu?.pid == null ? "-" : String(v.services.qemu.pid)) },
  { title: "Restarts", right: true, cell: (v) => (v.services.qemu?.restarts == null ? "-" : String(v.services.qemu.restarts)) },
  { title: "Last exit", cell: (v) => v.services.qemu?.lastExit || "-" },
  { title: "Uptime", right: true, cell: (v) => (v.services.qemu?.state === "up" && v.services.qemu.secondsInState !== null ? formatDuration(v.services.qemu.secondsInState) : "-") },
  { title: "RSS kB", right: true, cell: (v) => (v.services.qemu?.rssKb == null ? "-" : String(v.services.qemu.rssKb)) },
  { title: "Avail kB", right: true, cell: (v) => (v.memAvailableKb === null ? "-" : String(v.memAvailableKb)) },
];

/** Pure: one row per stubdom, columns aligned as `xl list` does. */
export function formatTable(views: readonly HealthView[]): string {
  const rows = [COLUMNS.map((c) => c.title), ...views.map((v) => COLUMNS.map((c) => c.cell(v)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (COLUMNS[i].right ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ").trimEnd()).join("\n") + "\n";
}

/** Pure: the lines under the table: boot timings, QMP status, error and config problems. */
export function formatDetails(v: HealthView, withBoot: boolean): string {
  const lines: string[] = [];
  const steps = Object.entries(v.bootMs);
  if (withBoot && steps.length > 0) {
    const total = steps.reduce((n, [, ms]) => n + ms, 0);
    lines.push(`boot: ${steps.map(([s, ms]) => `${s} ${ms} ms`).join(", ")} (total ${total} ms)`);
  }
  const qemu = v.services.qemu;
  if (withBoot && qemu?.status) lines.push(`QMP status: ${qemu.status}`);
  // Said on Xen only: in dev mode there is no hypervisor to compare with.
  if (withBoot && v.xenVersion) lines.push(`Xen: ${v.xenVersion}; the image's Xen libraries: ${v.imageXenRelease || "unnamed"}`);
  for (const [name, s] of Object.entries(v.services)) {
    const screen = s.mode === undefined ? "" : `; screen ${s.mode || "not yet drawn"}, ${s.frames ?? 0} frames copied${s.problem ? `; problem: ${s.problem}` : ""}`;
    if (name !== "qemu") lines.push(`service ${name}: ${s.state}${s.pid === null ? "" : `, pid ${s.pid}`}${s.restarts ? `, ${s.restarts} restarts` : ""}${screen}`);
  }
  if (v.error) lines.push(`error: ${v.error}`);
  for (const p of v.configProblems) lines.push(`config problem: ${p}`);
  const prefix = withBoot ? "" : `${v.name || v.domid}: `;
  return lines.map((l) => `${prefix}${l}\n`).join("");
}
