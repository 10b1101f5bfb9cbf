// One HVM guest with our stubdom, through stock xl in the bed's dom0: create, the guest's first
// serial line, our health keys, optionally a QEMU crash and restart, then xl shutdown or destroy,
// and a look for leftovers. Every wait is bounded; a failure is a sentence with what the logs say.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Checks } from "./checks.ts";
import { Dom0, parseXenstoreLs, q, sinceT0 } from "./dom0.ts";
import { GUEST_HELLO } from "./heartbeatGuest.ts";
import { crashAndRestart, KILLABLE_SETTING, setRestart } from "./qemuRestart.ts";
import { xlConfig } from "./xlConfig.ts";
import { healthDir } from "../../init/healthPaths.ts";
import { configDir } from "../../init/stubdomPaths.ts";

export interface GuestPlan {
  name: string;
  /** MiB; undefined = no stubdomain_memory line (libxl's default). */
  stubdomMemory?: number;
  /** Printed in front of every check of this guest. */
  label: string;
  restart: boolean;
  end: "shutdown" | "destroy";
}

export interface StagedFiles {
  kernel: string;
  rootfs: string;
  disk: string;
  cmdline: string;
}

export interface GuestFigures {
  plan: GuestPlan;
  createMs?: number;
  firstSerialMs?: number;
  /** Health mem-available-kb and qemu/rss-kb once QMP has answered (QEMU a few seconds up). */
  memAvailableKb?: number;
  qemuRssKb?: number;
  /** The stubdom kernel's "Memory: avail/total" line. */
  kernelMemory?: string;
  stubdomMiB?: number;
  restartMs?: number;
  endMs?: number;
  failure?: string;
}

/** QEMU's own complaints (it names the bad argument), each once. */
const qemuSays = (logs: string): string =>
  `QEMU: ${[...new Set([...logs.matchAll(/^xen-qemu-system-i386: (.*)$/gm)].map((m) => m[1]!.trim()))].slice(0, 3).join(" / ")}`;

/** Lines in the stubdom console or xl's output that explain a failed create. */
const FAILURE_SIGNS: [RegExp, (m: RegExpExecArray, logs: string) => string][] = [
  [/Initramfs unpacking failed: (.*)/, (m) => `the stubdom kernel could not unpack the rootfs (${m[1]}): it does not fit in the stubdom's memory`],
  [/segment module0 too large.*/, (m) => `Xen's domain builder refused the rootfs as larger than the stubdom's memory (${m[0].trim()})`],
  [/Kernel panic - not syncing: (.*)/, (m) => `stubdom kernel panic: ${m[1]}`],
  [/^xen-qemu-system-i386: (.*)$/m, (_, logs) => qemuSays(logs)],
  [/error: (qemu: .*)/, (m) => `init: ${m[1]!.replace(/spawn\(\[.*?\]\)/, "spawn(...)")}`],
  [/startup timed out/, () => "libxl saw no device-model state 'running' within its 30 s"],
];

export function diagnose(logs: string): string {
  const reasons: string[] = [];
  for (const [re, say] of FAILURE_SIGNS) {
    const m = re.exec(logs);
    if (m) reasons.push(say(m, logs).slice(0, 300));
  }
  return reasons.length ? reasons.join("; ") : "no known sign in xl's output or the stubdom console";
}

const seconds = (ms: number | undefined): string => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);

export async function runGuest(dom0: Dom0, checks: Checks, plan: GuestPlan, files: StagedFiles, saveDir: string): Promise<GuestFigures> {
  const g = plan.name;
  const check = (what: string, ok: boolean, detail: string): boolean => checks.record(`${plan.label}: ${what}`, ok, detail);
  const fig: GuestFigures = { plan };
  const cfg = xlConfig({
    name: g, disk: `/tmp/${g}.img`, serialFile: `/tmp/${g}-serial.log`, stubdomKernel: files.kernel,
    stubdomRootfs: files.rootfs, stubdomMemory: plan.stubdomMemory, stubdomCmdline: plan.restart ? `${files.cmdline} ${KILLABLE_SETTING}` : files.cmdline,
  });
  const prep = await dom0.sh(`cp ${q(files.disk)} /tmp/${g}.img && printf '%s' ${q(cfg)} > /tmp/${g}.cfg`, 30);
  if (prep.rc !== 0) {
    fig.failure = `could not stage the guest in dom0: ${prep.out.trim()}`;
    check("xl create succeeds", false, fig.failure);
    return fig;
  }

  // 1. xl create, then the guest's first serial line (both timed from the start of xl create).
  const created = await dom0.values(
    [
      "t0=$(date +%s%N)",
      `timeout 120 xl create /tmp/${g}.cfg > /tmp/${g}-create.log 2>&1; rc=$?`,
      "echo create-rc=$rc",
      `echo create-ms=${sinceT0}`,
      '[ "$rc" = 0 ] || exit 0',
      "end=$((SECONDS + 90))",
      `until grep -qF ${q(GUEST_HELLO)} /tmp/${g}-serial.log 2>/dev/null || [ "$SECONDS" -ge "$end" ]; do sleep 0.1; done`,
      `grep -qF ${q(GUEST_HELLO)} /tmp/${g}-serial.log 2>/dev/null && echo serial-ms=${sinceT0}`,
      `echo stubdom-mib=$(xl list ${g}-dm 2>/dev/null | awk 'NR == 2 { print $3 }')`,
    ].join("\n"),
    240,
  );
  const v = created.values;
  fig.createMs = Number(v["create-ms"]);
  if (v["create-rc"] !== "0") {
    const logs = (await dom0.sh(`cat /tmp/${g}-create.log /var/log/xen/qemu-dm-${g}.log 2>/dev/null`, 30)).out;
    fig.failure = diagnose(logs);
    check("xl create succeeds", false, `exit ${v["create-rc"] ?? "?"} after ${seconds(fig.createMs)}: ${fig.failure}`);
    await saveLogs(dom0, g, saveDir);
    await cleanUp(dom0, check, g);
    return fig;
  }
  check("xl create succeeds", true, seconds(fig.createMs));
  fig.stubdomMiB = Number(v["stubdom-mib"]) || undefined;
  fig.firstSerialMs = v["serial-ms"] === undefined ? undefined : Number(v["serial-ms"]);
  check("the guest's serial line arrives", fig.firstSerialMs !== undefined, fig.firstSerialMs !== undefined ? `${seconds(fig.firstSerialMs)} after xl create started` : `no "${GUEST_HELLO}" in the serial file within 90 s`);

  // 2. Our health keys, as dom0 sees them with xenstore-ls.
  const s = (await dom0.sh(`xl domid ${g}-dm`, 20)).out.trim();
  const health = healthDir(Number(s));
  await dom0.waitFor(`[ "$(xenstore-read ${health}/state 2>/dev/null)" = running ]`, 30);
  // The first QMP answer (qmp-interval-s after QEMU started) republishes the memory figures.
  await dom0.waitFor(`[ "$(xenstore-read ${health}/qemu/status 2>/dev/null)" = running ]`, 30);
  const ls = await dom0.sh(`xenstore-ls -f ${health}; grep -m1 'Memory:' /var/log/xen/qemu-dm-${g}.log`, 30);
  const keys = parseXenstoreLs(ls.out);
  const state = keys.get(`${health}/state`);
  const pid = keys.get(`${health}/qemu/pid`);
  fig.memAvailableKb = Number(keys.get(`${health}/mem-available-kb`)) || undefined;
  fig.qemuRssKb = Number(keys.get(`${health}/qemu/rss-kb`)) || undefined;
  fig.kernelMemory = /Memory: (\d+K\/\d+K) available/.exec(ls.out)?.[1];
  check(`xenstore-ls shows health state = "running"`, state === "running", state === undefined ? `no ${health}/state` : `state = "${state}", error = "${keys.get(`${health}/error`) ?? ""}"`);
  check(`xenstore-ls shows QEMU's pid`, /^\d+$/.test(pid ?? ""), pid ? `qemu/pid = ${pid}` : `no ${health}/qemu/pid`);

  // 3. A setting dom0 writes is applied live; then QEMU dies inside the stubdom, the supervisor
  // restarts it, and the guest keeps its device model.
  if (plan.restart && state === "running") {
    const config = `${configDir(Number(s))}/debug-shell`;
    await dom0.sh(`xenstore-write ${config} 1`, 20);
    const up = await dom0.waitFor(`[ "$(xenstore-read ${health}/debug-shell/state 2>/dev/null)" = up ]`, 20);
    check("dom0's stubdom/config/debug-shell = 1 starts the debug shell live (health debug-shell/state)", up !== undefined, up !== undefined ? `up ${seconds(up)} after the write` : "no debug-shell/state = up within 20 s");
    await dom0.sh(`xenstore-write ${config} 0`, 20);
    const set = await setRestart(dom0, g, s, "on-failure", "no");
    check("dom0's stubdom/config/restart = on-failure is applied live (the supervisor says so on its console)", "ms" in set, "ms" in set ? `said ${seconds(set.ms)} after the write` : set.why);
    fig.restartMs = await crashAndRestart(dom0, check, g, health, saveDir);
  }

  // 4. The guest goes away through xl; the stubdom must go with it and leave nothing in dom0.
  fig.endMs = plan.end === "shutdown" ? await shutdown(dom0, check, g) : await destroy(dom0, check, g);
  await saveLogs(dom0, g, saveDir);
  const left = await dom0.sh(
    [
      `pgrep -af -- '-xen-domid ${s} ' | grep -v pgrep`,
      `pgrep -af -- 'device-model/${s}/qmp-proxy-state' | grep -v pgrep`,
      `xenstore-exists /local/domain/${s} && echo "/local/domain/${s} still in XenStore"`,
      `xl list | grep -E '^${g}(-dm)? ' `,
      "true",
    ].join("\n"),
    30,
  );
  check("no leftovers in dom0 (domains, the stubdom's dom0 QEMU and QMP proxy, XenStore)", left.out.trim() === "", left.out.trim().split("\n").join("; "));
  return fig;
}

async function shutdown(dom0: Dom0, check: (w: string, ok: boolean, d: string) => boolean, g: string): Promise<number | undefined> {
  const r = await dom0.values(
    ["t0=$(date +%s%N)", `timeout 60 xl shutdown -F -w ${g} > /tmp/${g}-shutdown.log 2>&1; echo rc=$?`, `echo ms=${sinceT0}`].join("\n"),
    80,
  );
  const gone = await dom0.waitFor(`! xl list ${g} >/dev/null 2>&1 && ! xl list ${g}-dm >/dev/null 2>&1`, 30);
  const ms = Number(r.values.ms);
  if (r.values.rc === "0" && gone !== undefined) {
    check("xl shutdown -F takes the guest and its stubdom down", true, `${seconds(ms)}; the guest saw the ACPI power button`);
    return ms;
  }
  const out = (await dom0.sh(`cat /tmp/${g}-shutdown.log; tail -3 /tmp/${g}-serial.log`, 20)).out.trim().replace(/\s*\n\s*/g, " | ");
  check("xl shutdown -F takes the guest and its stubdom down", false, `xl shutdown exit ${r.values.rc ?? "?"}${gone === undefined ? ", domains still there after 30 s" : ""}: ${out}`);
  await cleanUp(dom0, check, g);
  return undefined;
}

async function destroy(dom0: Dom0, check: (w: string, ok: boolean, d: string) => boolean, g: string): Promise<number | undefined> {
  const r = await dom0.values(["t0=$(date +%s%N)", `timeout 60 xl destroy ${g} 2>&1; echo rc=$?`, `echo ms=${sinceT0}`].join("\n"), 80);
  const gone = await dom0.waitFor(`! xl list ${g} >/dev/null 2>&1 && ! xl list ${g}-dm >/dev/null 2>&1`, 30);
  const ms = Number(r.values.ms);
  check("xl destroy takes the guest and its stubdom down", r.values.rc === "0" && gone !== undefined, r.values.rc === "0" ? seconds(ms) : r.out.trim().split("\n")[0] ?? "");
  if (gone === undefined) await cleanUp(dom0, check, g);
  return ms;
}

/** A failed create can leave the guest or a paused `<guest>-dm` behind: destroy both. */
export async function cleanUp(dom0: Dom0, check: (w: string, ok: boolean, d: string) => boolean, g: string): Promise<void> {
  const r = await dom0.sh(`for d in ${g} ${g}-dm; do xl list "$d" >/dev/null 2>&1 && echo "destroying $d" && timeout 30 xl destroy "$d"; done; xl list | grep -E '^${g}(-dm)? ' || true`, 90);
  const destroyed = r.out.split("\n").filter((l) => l.startsWith("destroying")).map((l) => l.slice(11));
  const still = r.out.split("\n").filter((l) => l.startsWith(g));
  if (destroyed.length > 0 || still.length > 0) check("leftovers destroyed", still.length === 0, still.length ? `still there: ${still.join("; ")}` : `destroyed ${destroyed.join(", ")}`);
}

/** The stubdom's console (our init's log), the guest's serial, xl's logs, into saveDir/<guest>/. */
export async function saveLogs(dom0: Dom0, g: string, saveDir: string): Promise<void> {
  const dir = join(saveDir, g);
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    "stubdom-console.log": `/var/log/xen/qemu-dm-${g}.log`,
    "stubdom-dom0-qemu.log": `/var/log/xen/qemu-dm-${g}-dm.log`,
    "xl.log": `/var/log/xen/xl-${g}.log`,
    "xl-create.log": `/tmp/${g}-create.log`,
    "guest-serial.log": `/tmp/${g}-serial.log`,
    "xl.cfg": `/tmp/${g}.cfg`,
  };
  for (const [name, path] of Object.entries(files)) writeFileSync(join(dir, name), await dom0.read(path));
}
