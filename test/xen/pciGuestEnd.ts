// The two ends of every passthrough guest: a timed xl create that says why it failed, and xl destroy
// with the device back with pciback, the logs saved.
import { seconds } from "./checks.ts";
import { q, sinceT0, type Dom0 } from "./dom0.ts";
import { cleanUp, diagnose, saveLogs } from "./guestRun.ts";

type Check = (what: string, ok: boolean, detail: string) => boolean;

/**
 * The last two lines of what xl said about a passthrough device, without the line every assign of a
 * device without a reset (edu) brings: "The kernel doesn't support reset from sysfs".
 */
export const xlLastLines = (out: string): string => out.trim().split("\n").filter((l) => !/doesn't support reset/.test(l)).slice(-2).join(" | ");

/**
 * xl create of guest `g` from `cfg`, within `limitS`, after `stage` (a shell command that puts the
 * guest's files in place), checked as `what`; its time whether or not it succeeded. A failure says
 * why from xl's and the stubdom's logs, and what the create left is saved and destroyed.
 */
export async function createPassthroughGuest(dom0: Dom0, check: Check, g: string, cfg: string, what: string, limitS: number, saveDir: string, stage = "true"): Promise<{ ok: boolean; ms: number }> {
  const r = await dom0.values(
    [
      `${stage} && printf '%s' ${q(cfg)} > /tmp/${g}.cfg || exit 1`,
      "t0=$(date +%s%N)",
      `timeout ${limitS} xl create /tmp/${g}.cfg > /tmp/${g}-create.log 2>&1; echo create-rc=$?`,
      `echo create-ms=${sinceT0}`,
    ].join("\n"),
    limitS + 30,
  );
  const ms = Number(r.values["create-ms"]);
  if (r.values["create-rc"] === "0") return { ok: check(what, true, seconds(ms)), ms };
  const logs = (await dom0.sh(`cat /tmp/${g}-create.log /var/log/xen/qemu-dm-${g}.log 2>/dev/null`, 30)).out;
  const pciLines = [...logs.matchAll(/^.*\bpci: .*$/gm)].map((m) => m[0].trim()).slice(-2).join(" / ");
  check(what, false, `exit ${r.values["create-rc"] ?? "?"}: ${diagnose(logs)}${pciLines ? `; ${pciLines}` : ""}; ${r.out.trim().split("\n").slice(-3).join(" | ")}`);
  await saveLogs(dom0, g, saveDir);
  await cleanUp(dom0, check, g);
  return { ok: false, ms };
}

/** xl destroy of guest `g` must give `device` back to pciback. */
export async function destroyAndGiveBack(dom0: Dom0, check: Check, g: string, device: string, saveDir: string): Promise<void> {
  const destroyed = await dom0.sh(`timeout 60 xl destroy ${g} 2>&1; echo rc=$?`, 80);
  const gone = await dom0.waitFor(`! xl list ${g} >/dev/null 2>&1 && ! xl list ${g}-dm >/dev/null 2>&1`, 30);
  const back = (await dom0.sh(`xl pci-assignable-list | grep -q ${device}`, 20)).rc === 0;
  check("xl destroy takes the guest down and the device back to pciback", /rc=0/.test(destroyed.out) && gone !== undefined && back, xlLastLines(destroyed.out));
  await saveLogs(dom0, g, saveDir);
  if (gone === undefined) await cleanUp(dom0, check, g);
}
