// The end of every passthrough guest: xl destroy, the device back with pciback, the logs saved.
import type { Dom0 } from "./dom0.ts";
import { cleanUp, saveLogs } from "./guestRun.ts";

/**
 * The last two lines of what xl said about a passthrough device, without the line every assign of a
 * device without a reset (edu) brings: "The kernel doesn't support reset from sysfs".
 */
export const xlLastLines = (out: string): string => out.trim().split("\n").filter((l) => !/doesn't support reset/.test(l)).slice(-2).join(" | ");

/** xl destroy of guest `g` must give `device` back to pciback. */
export async function destroyAndGiveBack(dom0: Dom0, check: (w: string, ok: boolean, d: string) => boolean, g: string, device: string, saveDir: string): Promise<void> {
  const destroyed = await dom0.sh(`timeout 60 xl destroy ${g} 2>&1; echo rc=$?`, 80);
  const gone = await dom0.waitFor(`! xl list ${g} >/dev/null 2>&1 && ! xl list ${g}-dm >/dev/null 2>&1`, 30);
  const back = (await dom0.sh(`xl pci-assignable-list | grep -q ${device}`, 20)).rc === 0;
  check("xl destroy takes the guest down and the device back to pciback", /rc=0/.test(destroyed.out) && gone !== undefined && back, xlLastLines(destroyed.out));
  await saveLogs(dom0, g, saveDir);
  if (gone === undefined) await cleanUp(dom0, check, g);
}
