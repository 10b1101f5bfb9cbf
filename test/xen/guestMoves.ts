// A running HVM guest moved the ways a Xen admin moves one: xl save then xl restore, xl migrate to
// the same host, and xl migrate to a second host (another bed VM on a point-to-point link). The
// guest beats about once a second and checks the UART scratch register it set at boot on every beat,
// so the serial file shows, with dom0's timestamps, whether the guest went on (no second hello),
// whether its device state survived (no "scratch register lost"), and how long the beat stopped.
// Every case runs with our stubdom and, as the control, with the device model in dom0.
import { seconds, type Checks } from "./checks.ts";
import { Dom0, q, sinceT0 } from "./dom0.ts";
import { cleanUp, diagnose, saveLogs, type StagedFiles } from "./guestRun.ts";
import { GUEST_BEAT, GUEST_HELLO, GUEST_LOST } from "./heartbeatGuest.ts";
import { xlConfig } from "./xlConfig.ts";
import { healthDir } from "../../init/healthPaths.ts";

export type MoveKind = "save-restore" | "migrate-localhost" | "migrate-hosts";

export interface MovePlan {
  name: string;
  label: string;
  kind: MoveKind;
  dm: "stubdom" | "dom0";
}

export interface MoveFigures {
  plan: MovePlan;
  createMs?: number;
  /** xl save, xl restore, or xl migrate: until the command returned. */
  saveMs?: number;
  restoreMs?: number;
  migrateMs?: number;
  /** The longest gap between two beats across the move, less one beat period. */
  gapMs?: number;
  failure?: string;
}

/** The second bed, for migrate-hosts: its dom0, its address on the link, its clock against A's. */
export interface SecondHost {
  dom0: Dom0;
  address: string;
  /** B's clock minus A's, in ms (measured through both agents). */
  clockSkewMs: number;
}

export interface FastGuestFiles extends StagedFiles {
  /** The heartbeat disk that beats once a second. */
  fastDisk: string;
}

export const BEAT_PERIOD_MS = 989;
const RECEIVER_PORT = 5000;

type Check = (what: string, ok: boolean, detail: string) => boolean;

/** Starts stamping each serial line with dom0's clock (ns) into <g>-stamped.log; follows truncation. */
const stamp = (g: string): string =>
  `nohup sh -c 'tail -n +1 -F /tmp/${g}-serial.log 2>/dev/null | while IFS= read -r l; do echo "$(date +%s%N) $l"; done' > /tmp/${g}-stamped.log 2>/dev/null &`;

/** A shell test: three beats stamped at or after `ms` (this host's clock). */
const threeBeatsSince = (g: string, ms: number): string =>
  `[ "$(awk -v t=${Math.floor(ms * 1e6)} '$1 >= t && $2 ~ /^${GUEST_BEAT}/' /tmp/${g}-stamped.log 2>/dev/null | wc -l)" -ge 3 ]`;

/** The stamped lines of `g` on this host, as [ms, text]. */
async function stamped(dom0: Dom0, g: string): Promise<[number, string][]> {
  const out = await dom0.read(`/tmp/${g}-stamped.log`);
  return out.split("\n").flatMap((l) => {
    const m = /^(\d+) (.*?)\r?$/.exec(l);
    return m ? [[Number(m[1]) / 1e6, m[2]!] as [number, string]] : [];
  });
}

/** Measures B's clock against A's: each `date` read between two host clock readings. */
export async function clockSkew(a: Dom0, b: Dom0): Promise<number> {
  const read = async (d: Dom0): Promise<number> => {
    const before = Date.now();
    const t = Number((await d.sh("date +%s%N", 10)).out.trim()) / 1e6;
    return t - (before + Date.now()) / 2;
  };
  return (await read(b)) - (await read(a));
}

export async function runMove(a: Dom0, b: SecondHost | undefined, checks: Checks, plan: MovePlan, files: FastGuestFiles, saveDir: string): Promise<MoveFigures> {
  const g = plan.name;
  const check: Check = (what, ok, detail) => checks.record(`${plan.label}: ${what}`, ok, detail);
  const fig: MoveFigures = { plan };
  const stub = plan.dm === "stubdom";
  const cfg = xlConfig({
    name: g, disk: `/tmp/${g}.img`, serialFile: `/tmp/${g}-serial.log`, stubdomKernel: files.kernel,
    stubdomRootfs: files.rootfs, stubdomCmdline: files.cmdline, dom0Dm: !stub,
  });
  const stage = `cp ${q(files.fastDisk)} /tmp/${g}.img && printf '%s' ${q(cfg)} > /tmp/${g}.cfg`;
  await a.sh(stage, 30);

  // 1. The guest runs and beats, with its device state in place.
  const created = await a.values(
    [
      stamp(g),
      "t0=$(date +%s%N)",
      `timeout 120 xl create /tmp/${g}.cfg > /tmp/${g}-create.log 2>&1; echo create-rc=$?`,
      `echo create-ms=${sinceT0}`,
      "end=$((SECONDS + 90))",
      `until [ "$(grep -c '^${GUEST_BEAT}' /tmp/${g}-serial.log 2>/dev/null)" -ge 3 ] || [ "$SECONDS" -ge "$end" ]; do sleep 0.2; done`,
      `echo beats=$(grep -c '^${GUEST_BEAT}' /tmp/${g}-serial.log 2>/dev/null)`,
      stub ? `echo stubdom=$(xl domid ${g}-dm 2>/dev/null)` : "true",
      `echo guest=$(xl domid ${g} 2>/dev/null)`,
    ].join("\n"),
    240,
  );
  fig.createMs = Number(created.values["create-ms"]);
  if (created.values["create-rc"] !== "0" || Number(created.values.beats) < 3) {
    fig.failure = created.values["create-rc"] !== "0" ? diagnose(await a.read(`/tmp/${g}-create.log`)) : `the guest did not beat three times within 90 s`;
    check("xl create succeeds and the guest beats", false, fig.failure);
    await saveLogs(a, g, saveDir);
    await cleanUp(a, check, g);
    return fig;
  }
  check("xl create succeeds and the guest beats", true, `${seconds(fig.createMs)}; 3 beats`);
  const old = { guest: created.values.guest ?? "", stubdom: created.values.stubdom ?? "" };
  if (stub) {
    const up = await a.waitFor(`[ "$(xenstore-read ${healthDir(Number(old.stubdom))}/state 2>/dev/null)" = running ]`, 30);
    if (up === undefined) check("health state is running before the move", false, "not within 30 s");
  }

  // 2. The move.
  const moveStart = Number((await a.sh("date +%s%N", 10)).out.trim()) / 1e6;
  let there = a;
  let moved = false;
  if (plan.kind === "save-restore") {
    const saved = await a.values(["t0=$(date +%s%N)", `timeout 180 xl save ${g} /tmp/${g}.save > /tmp/${g}-save.log 2>&1; echo rc=$?`, `echo ms=${sinceT0}`, `cp /tmp/${g}.save /tmp/${g}.keep 2>/dev/null`].join("\n"), 200);
    fig.saveMs = Number(saved.values.ms);
    const savedOk = check("xl save succeeds", saved.values.rc === "0", saved.values.rc === "0" ? seconds(fig.saveMs) : (await a.read(`/tmp/${g}-save.log`)).trim().split("\n").slice(-3).join(" | "));
    if (savedOk) {
      const restored = await a.values(["t0=$(date +%s%N)", `timeout 180 xl restore /tmp/${g}.save > /tmp/${g}-restore.log 2>&1; echo rc=$?`, `echo ms=${sinceT0}`].join("\n"), 200);
      fig.restoreMs = Number(restored.values.ms);
      moved = check("xl restore succeeds", restored.values.rc === "0", restored.values.rc === "0" ? seconds(fig.restoreMs) : (await a.read(`/tmp/${g}-restore.log`)).trim().split("\n").slice(-3).join(" | "));
    }
  } else {
    const target = plan.kind === "migrate-localhost" ? "xl migrate-receive" : `socat - TCP:${b!.address}:${RECEIVER_PORT}`;
    if (plan.kind === "migrate-hosts") {
      const listening = await b!.dom0.values(
        [
          `${stage} && ${stamp(g)}`,
          `nohup socat TCP-LISTEN:${RECEIVER_PORT},reuseaddr EXEC:'xl migrate-receive' > /tmp/${g}-receive.log 2>&1 &`,
          "end=$((SECONDS + 20))",
          `until ss -ltn | grep -q ':${RECEIVER_PORT} '; do [ "$SECONDS" -ge "$end" ] && break; sleep 0.1; done`,
          `ss -ltn | grep -q ':${RECEIVER_PORT} ' && echo listening=1`,
        ].join("\n"),
        40,
      );
      if (listening.values.listening !== "1") check("the second host listens for the migration", false, (await b!.dom0.read(`/tmp/${g}-receive.log`)).trim() || "socat did not listen within 20 s");
      there = b!.dom0;
    }
    const r = await a.values(["t0=$(date +%s%N)", `timeout 240 xl migrate -s '' ${g} ${q(target)} > /tmp/${g}-migrate.log 2>&1; echo rc=$?`, `echo ms=${sinceT0}`].join("\n"), 260);
    fig.migrateMs = Number(r.values.ms);
    moved = check(`xl migrate ${plan.kind === "migrate-hosts" ? "to the second host" : "to localhost"} succeeds`, r.values.rc === "0",
      r.values.rc === "0" ? seconds(fig.migrateMs) : (await a.read(`/tmp/${g}-migrate.log`)).trim().split("\n").slice(-4).join(" | "));
  }

  // 3. The guest goes on where it now is: the same beat, the same device state, no reboot.
  if (moved) {
    const beatsAfter = await there.waitFor(threeBeatsSince(g, moveStart + (there === a ? 0 : b!.clockSkewMs)), 60);
    const lines = [...(plan.kind === "migrate-hosts" ? (await stamped(a, g)).map(([t, l]): [number, string] => [t, l]) : []), ...(await stamped(there, g)).map(([t, l]): [number, string] => [t - (there === a ? 0 : b!.clockSkewMs), l])];
    const after = lines.filter(([t]) => t >= moveStart);
    const hellos = after.filter(([, l]) => l.includes(GUEST_HELLO)).length;
    const lost = after.filter(([, l]) => l === GUEST_LOST).length;
    const beats = lines.filter(([, l]) => l === GUEST_BEAT || l === GUEST_LOST).map(([t]) => t).sort((x, y) => x - y);
    let gap = 0;
    for (let i = 1; i < beats.length; i++) if (beats[i]! >= moveStart && beats[i - 1]! <= moveStart + 600_000) gap = Math.max(gap, beats[i]! - beats[i - 1]!);
    fig.gapMs = gap > 0 ? Math.max(0, gap - BEAT_PERIOD_MS) : undefined;
    check("the guest beats on after the move, without a second hello (no reboot)", beatsAfter !== undefined && hellos === 0,
      beatsAfter === undefined ? "no three beats within 60 s" : hellos ? `${hellos} hello line(s) after the move: the guest booted again` : `heartbeat gap ${seconds(fig.gapMs)} beyond the beat itself`);
    check("the guest's device state survived (UART scratch register)", beatsAfter !== undefined && lost === 0, lost ? `${lost} beat(s) found the scratch register reset` : "every beat found its value");
    if (stub) {
      const s = (await there.sh(`xl domid ${g}-dm`, 20)).out.trim();
      const up = /^\d+$/.test(s) ? await there.waitFor(`[ "$(xenstore-read ${healthDir(Number(s))}/state 2>/dev/null)" = running ]`, 30) : undefined;
      const said = up === undefined && /^\d+$/.test(s) ? (await there.sh(`xenstore-read ${healthDir(Number(s))}/state ${healthDir(Number(s))}/error`, 20)).out.trim().replace(/\n/g, ", error: ") : "";
      check("health on the new side says running", up !== undefined, up !== undefined ? `stubdom ${s}` : /^\d+$/.test(s) ? `state: ${said}` : `no ${g}-dm domain`);
    }
  }

  // 4. Nothing of the old domains is left where the guest was (a guest that did not move is still there).
  const leftovers = !moved ? ["true"] : [
    `xenstore-exists /local/domain/${old.guest} && echo "/local/domain/${old.guest} (the old guest) still in XenStore"`,
    ...(stub ? [
      `pgrep -af -- '-xen-domid ${old.stubdom} ' | grep -v pgrep`,
      `pgrep -af -- 'device-model/${old.stubdom}/qmp-proxy-state' | grep -v pgrep`,
      `xenstore-exists /local/domain/${old.stubdom} && echo "/local/domain/${old.stubdom} (the old stubdom) still in XenStore"`,
    ] : [`pgrep -af -- '-xen-domid ${old.guest} ' | grep -v pgrep`]),
    ...(plan.kind === "migrate-hosts" ? [`xl list | grep -E '^${g}(-dm)? '`] : []),
    "true",
  ];
  const left = (await a.sh(leftovers.join("\n"), 30)).out.trim();
  if (moved) check(`nothing is left of the old domains on ${plan.kind === "migrate-hosts" ? "the first host" : "the host"}`, left === "", left.split("\n").join("; "));
  if (!moved) there = a;

  await saveLogs(there, g, saveDir);
  await there.sh(`timeout 60 xl destroy ${g} >/dev/null 2>&1; pkill -f 'tail -n \\+1 -F /tmp/${g}-serial.log'; true`, 80);
  await cleanUp(there, check, g);
  if (there !== a) await a.sh(`pkill -f 'tail -n \\+1 -F /tmp/${g}-serial.log'; true`, 20);
  return fig;
}

/**
 * A saved state whose device part is not QEMU's (its magic overwritten): xl restore fails, and the
 * stubdom says why, in QEMU's words, rather than booting the guest afresh with reset devices.
 */
export async function corruptRestore(a: Dom0, checks: Checks, g: string, saveDir: string): Promise<void> {
  const check: Check = (what, ok, detail) => checks.record(`a damaged device state: ${what}`, ok, detail);
  const r = await a.values(
    [
      `[ -f /tmp/${g}.keep ] || { echo missing=1; exit 0; }`,
      `off=$(grep -a -b -o QEVM /tmp/${g}.keep | head -1 | cut -d: -f1)`,
      `[ -n "$off" ] || { echo no-magic=1; exit 0; }`,
      `cp /tmp/${g}.keep /tmp/${g}.bad && printf XXXX | dd of=/tmp/${g}.bad bs=1 seek=$off conv=notrunc 2>/dev/null`,
      "t0=$(date +%s%N)",
      `timeout 120 xl restore /tmp/${g}.bad > /tmp/${g}-bad-restore.log 2>&1; echo rc=$?`,
      `echo ms=${sinceT0}`,
    ].join("\n"),
    150,
  );
  if (r.values.missing || r.values["no-magic"]) {
    check("xl restore fails", false, r.values.missing ? "no state saved by the save/restore case to damage" : "no QEVM magic in the saved state");
    return;
  }
  check("xl restore fails", r.values.rc !== "0", `exit ${r.values.rc} after ${seconds(Number(r.values.ms))}`);
  const console = await a.read(`/var/log/xen/qemu-dm-${g}.log`);
  const sentence = /error: (restoring the device state from hvc2 failed: .*)$/m.exec(console)?.[1];
  check("the stubdom says why, in QEMU's words, and does not boot the guest afresh", sentence !== undefined && /Not a migration stream|load of migration failed/.test(console) && /not started again/.test(sentence),
    sentence ?? `no such sentence in the stubdom console (${console.trim().split("\n").slice(-2).join(" | ")})`);
  await saveLogs(a, g, `${saveDir}/damaged-restore`);
  await cleanUp(a, check, g);
}
