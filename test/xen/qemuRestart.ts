// QEMU dies inside the stubdom and the supervisor brings it back. dom0 cannot type into the stubdom's
// console (libxl gives console 0 to its dom0 QEMU as an output-only file, so the debug shell is out
// of reach), so the kill goes through libxl's own path into the stubdom: QMP over vchan. The HMP
// command `migrate -d "exec:kill -9 $PPID"` makes QEMU spawn a shell that kills QEMU with SIGKILL.
// QEMU's seccomp sandbox forbids spawning: QEMU 7.2's kills QEMU with SIGSYS at the spawn, but from
// QEMU 9.0 on (commit e79f8b8b2d) the spawn fails with EPERM and QEMU carries on, so the guests the
// tier kills QEMU in run without the sandbox (KILLABLE_SETTING).
// The kill is sent just after a guest beat: a Xen I/O request in flight when the device model dies
// is never answered, so the test keeps the restart inside the quiet time between beats.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Dom0, q, sinceT0 } from "./dom0.ts";
import { BEAT_SECONDS, GUEST_BEAT } from "./heartbeatGuest.ts";
import { healthDir } from "../../init/healthPaths.ts";
import { configDir } from "../../init/stubdomPaths.ts";

type Check = (what: string, ok: boolean, detail: string) => boolean;

/** x86-64 numbers of the signals the kill can end in: SIGKILL from the shell, SIGSYS from seccomp. */
const SIGNAL_NAMES: Record<string, string> = { "9": "SIGKILL", "31": "SIGSYS: the sandbox forbade the spawn", "7": "SIGBUS" };

export const KILL_COMMAND = 'migrate -d "exec:kill -9 $PPID"';
/** On the stubdom's command line of a guest whose QEMU the tier kills. */
export const KILLABLE_SETTING = "stubdom.sandbox=0";

/** The bound on the supervisor saying a setting dom0 wrote: usually under a second, longer when the stubdom's memory is tight. */
const SETTING_SAID_S = 60;

/**
 * Sets `restart` for stubdom S from dom0, as an admin would (it defaults to `no`), and waits for the
 * supervisor to say so on its console, the log file stock libxl writes. The ms it took, or why not:
 * what XenStore holds, health's state, and the console's last lines.
 */
export async function setRestart(dom0: Dom0, g: string, s: string, mode: "on-failure" | "no", before: string): Promise<{ ms: number } | { why: string }> {
  const line = `settings: restart ${JSON.stringify(before)} -> ${JSON.stringify(mode)}`;
  const stubdomLog = `/var/log/xen/qemu-dm-${g}.log`;
  const key = `${configDir(Number(s))}/restart`;
  await dom0.sh(`xenstore-write ${key} ${mode}`, 20);
  const ms = await dom0.waitFor(`grep -qF ${q(line)} ${stubdomLog}`, SETTING_SAID_S);
  if (ms !== undefined) return { ms };
  const health = healthDir(Number(s));
  const r = await dom0.sh(`echo "config/restart=$(xenstore-read ${key} 2>&1), state=$(xenstore-read ${health}/state 2>&1)"; tail -n 3 ${stubdomLog} | tr -d '\\r'`, 20);
  return { why: `no "${line}" on the stubdom console within ${SETTING_SAID_S} s; ${r.out.trim().split("\n").join(" | ")}` };
}

const beats = (g: string): string => `$(grep -c '^${GUEST_BEAT}' /tmp/${g}-serial.log 2>/dev/null)`;

/** Returns the ms from the kill to QEMU being up again, or undefined. */
export async function crashAndRestart(dom0: Dom0, check: Check, g: string, health: string, saveDir: string): Promise<number | undefined> {
  const waitBeat = Math.ceil(BEAT_SECONDS) + 15;
  const r = await dom0.values(
    [
      `echo old-pid=$(xenstore-read ${health}/qemu/pid)`,
      `old=$(xenstore-read ${health}/qemu/restarts)`,
      "echo old-restarts=$old",
      `n=${beats(g)}; end=$((SECONDS + ${waitBeat}))`,
      `until [ "${beats(g)}" -gt "$n" ] || [ "$SECONDS" -ge "$end" ]; do sleep 0.1; done`,
      "t0=$(date +%s%N)",
      `timeout 20 xl qemu-monitor-command ${g} ${q(KILL_COMMAND)} > /tmp/${g}-kill.log 2>&1; echo kill-rc=$?`,
      `end=$((SECONDS + 60))`,
      `until [ "$(xenstore-read ${health}/qemu/restarts)" -gt "$old" ] && [ "$(xenstore-read ${health}/qemu/state)" = up ]; do`,
      '  [ "$SECONDS" -ge "$end" ] && break',
      "  sleep 0.1",
      "done",
      `echo up-ms=${sinceT0}`,
      // Read at once: the init writes a service's state key after its others (init/health.ts).
      `echo last-exit=$(xenstore-read ${health}/qemu/last-exit)`,
      `echo restarts=$(xenstore-read ${health}/qemu/restarts)`,
      `echo new-pid=$(xenstore-read ${health}/qemu/pid)`,
      `echo beats-at-restart=${beats(g)}`,
      `xenstore-ls -f ${health}/qemu`,
    ].join("\n"),
    waitBeat + 120,
  );
  mkdirSync(join(saveDir, g), { recursive: true });
  writeFileSync(join(saveDir, g, "restart.log"), r.out);
  const v = r.values;
  const restarted = Number(v.restarts) > Number(v["old-restarts"]) && v["new-pid"] !== v["old-pid"] && /^\d+$/.test(v["new-pid"] ?? "");
  const upMs = Number(v["up-ms"]);
  if (!check("QEMU killed inside the stubdom is restarted (health qemu/restarts)", restarted,
    restarted
      ? `pid ${v["old-pid"]} -> ${v["new-pid"]}, restarts ${v["old-restarts"]} -> ${v.restarts}, up again ${(upMs / 1000).toFixed(1)} s after the kill`
      : `after 60 s: restarts ${v["old-restarts"]} -> ${v.restarts ?? "?"}, pid ${v["old-pid"]} -> ${v["new-pid"] ?? "?"}, last-exit "${v["last-exit"] ?? ""}"; kill: ${(await dom0.read(`/tmp/${g}-kill.log`)).trim()}`)) {
    return undefined;
  }

  const lastExit = v["last-exit"] ?? "";
  const unnamed = /^signal:SIG(\d+)$/.exec(lastExit)?.[1];
  check("health qemu/last-exit names the signal that ended QEMU, as soon as qemu/state is up again", /^signal:SIG[A-Z]+$/.test(lastExit),
    !lastExit ? "qemu/last-exit was still empty when qemu/restarts and qemu/state said up"
      : unnamed ? `last-exit = ${lastExit}: signal ${unnamed}${SIGNAL_NAMES[unnamed] ? ` (${SIGNAL_NAMES[unnamed]})` : ""} has no name in the init's signal table`
      : `last-exit = ${lastExit}`);

  const beat = await dom0.waitFor(`[ "${beats(g)}" -gt "${v["beats-at-restart"]}" ]`, Math.ceil(BEAT_SECONDS) * 2 + 20);
  check("the guest still answers on serial after the restart", beat !== undefined,
    beat !== undefined ? `a new "${GUEST_BEAT}" line ${(beat / 1000).toFixed(1)} s after QEMU was up again` : `no "${GUEST_BEAT}" line within ${Math.ceil(BEAT_SECONDS) * 2 + 20} s`);
  const qmp = await dom0.sh(`timeout 30 xl qemu-monitor-command ${g} 'info status'`, 40);
  check("libxl reaches the restarted QEMU over vchan (xl qemu-monitor-command)", /VM status: running/.test(qmp.out), qmp.out.trim() || `exit ${qmp.rc}`);
  // Up again, but not the QEMU the guest booted with: degraded, saying why, never plain running.
  const degraded = await dom0.waitFor(`[ "$(xenstore-read ${health}/state)" = degraded ]`, 30);
  const said = (await dom0.sh(`xenstore-read ${health}/state ${health}/error`, 20)).out.trim().replace(/\n/g, ", error: ");
  check(`health state is "degraded" after the restart, saying the devices started again from reset`, degraded !== undefined && /started again from reset/.test(said), `state: ${said}`);
  return upMs;
}
