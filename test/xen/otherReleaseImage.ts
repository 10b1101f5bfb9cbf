// The image built for another Xen release, booted once on this bed: what an admin who installed the
// wrong flavour sees. Its libxenctrl's domctls are refused by this Xen, so the init must say so on
// the stubdom's console and in health (init/xenRelease.ts), and never report `running`.
import type { Checks } from "./checks.ts";
import { q, sinceT0, type Dom0 } from "./dom0.ts";
import { cleanUp, saveLogs, type StagedFiles } from "./guestRun.ts";
import { xlConfig } from "./xlConfig.ts";
import { HEALTH_DIR } from "../../init/healthSchema.ts";

export async function otherReleaseImage(dom0: Dom0, checks: Checks, files: StagedFiles, imageRelease: string, bedRelease: string, saveDir: string): Promise<void> {
  const g = `hvm-image-${imageRelease.replace(".", "")}`;
  const cfg = xlConfig({ name: g, disk: `/tmp/${g}.img`, serialFile: `/tmp/${g}-serial.log`, stubdomKernel: files.kernel, stubdomRootfs: files.rootfs, stubdomCmdline: files.cmdline });
  await dom0.sh(`cp ${q(files.disk)} /tmp/${g}.img && printf '%s' ${q(cfg)} > /tmp/${g}.cfg`, 30);
  const r = await dom0.values(
    [
      "t0=$(date +%s%N)",
      `timeout 120 xl create /tmp/${g}.cfg > /tmp/${g}-create.log 2>&1; echo create-rc=$?; echo create-ms=${sinceT0}`,
      `S=$(xl domid ${g}-dm 2>/dev/null) && H=/local/domain/$S/${HEALTH_DIR} && {`,
      "  end=$((SECONDS + 30))",
      '  until [ "$(xenstore-read $H/state 2>/dev/null)" != booting ] || [ "$SECONDS" -ge "$end" ]; do sleep 0.2; done',
      '  echo state=$(xenstore-read $H/state 2>/dev/null); echo error=$(xenstore-read $H/error 2>/dev/null)',
      '  echo xen=$(xenstore-read $H/xen-version 2>/dev/null); echo image=$(xenstore-read $H/image-xen-release 2>/dev/null)',
      "}",
      `grep -m1 -o "carries Xen ${imageRelease}'s libraries but runs on Xen ${bedRelease}[^:]*" /var/log/xen/qemu-dm-${g}.log | sed 's/^/console=/'`,
    ].join("\n"),
    200,
  );
  const v = r.values;
  const said = `carries Xen ${imageRelease}'s libraries but runs on Xen ${bedRelease}`;
  const healthSays = v.state !== undefined && v.state !== "running" && (v.error ?? "").includes(said);
  // A QEMU that this Xen stops at once ends the create in libxl's timeout, which takes the stubdom
  // and its health away: then the console is where the admin reads it.
  const ok = (v.console ?? "").startsWith(said) && (healthSays || v["create-rc"] !== "0");
  checks.record(`the image built for Xen ${imageRelease}: the stubdom says on its console and in health that its libraries are not this Xen's`, ok,
    `xl create ${v["create-rc"] === "0" ? "succeeded" : `exit ${v["create-rc"]}`}; health state ${v.state ?? "gone"}, xen-version ${v.xen ?? "-"}, image-xen-release ${v.image ?? "-"}, error "${v.error ?? ""}"; console: ${v.console ? "says so" : "silent"}`);
  await saveLogs(dom0, g, saveDir);
  await dom0.sh(`timeout 60 xl destroy ${g} >/dev/null 2>&1; rm -f /tmp/${g}.img; true`, 80);
  await cleanUp(dom0, (w, ok, d) => checks.record(`the image built for Xen ${imageRelease}: ${w}`, ok, d), g);
}
