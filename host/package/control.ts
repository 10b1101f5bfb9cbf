// DEBIAN/control of one package, as text, and the Installed-Size it declares.
import { MAINTAINER, PACKAGE_NAME, type DebSpec } from "./debSpec.ts";
import type { TreeEntry } from "./fileList.ts";
import { wrap } from "./wrap.ts";

export const SYNOPSIS = "Xen device-model stub domain with a supervised QEMU";

/** The long description: paragraphs of words, wrapped at 72 columns, " ." between paragraphs. */
export function longDescription(spec: DebSpec): string[] {
  const paragraphs = [
    "A Linux-based stub domain for Xen HVM guests: each guest's QEMU runs in a small PV domain of its own instead of in dom0. " +
      "Its PID 1 is a supervisor (TypeScript run by a static QuickJS) that reads the device-model arguments libxl writes to XenStore, " +
      "starts QEMU, restarts it by policy and reports health under /local/domain/<stubdom>/data/stubdom.",
    `This package is built for Xen ${spec.release} (${spec.debian}). It installs the stubdom's kernel and rootfs ` +
      `where libxl looks for them (${spec.firmwareDir}), so an HVM guest's xl.cfg needs only ` +
      `device_model_version="qemu-xen" and device_model_stubdomain_override=1, ` +
      "and stubdomctl, the dom0 tool that shows each stubdom's health and changes its settings.",
  ];
  return paragraphs.flatMap((p, i) => [...(i > 0 ? ["."] : []), ...wrap(p, 72)]);
}

/**
 * Installed-Size in KiB, counted as dpkg-gencontrol does: each regular file's size rounded up to
 * a KiB, and 1 for each directory (the tree's root too).
 */
export const installedSizeKiB = (entries: readonly TreeEntry[]): number =>
  entries.reduce((kib, e) => kib + (e.kind === "file" ? Math.ceil(e.size / 1024) : 1), 1);

export function controlText(spec: DebSpec, installedSize: number): string {
  const fields: [string, string][] = [
    ["Package", PACKAGE_NAME],
    ["Version", spec.version],
    ["Architecture", "amd64"],
    ["Maintainer", MAINTAINER],
    ["Installed-Size", String(installedSize)],
    ["Depends", spec.depends.join(", ")],
    ["Section", "admin"],
    ["Priority", "optional"],
    ["Description", `${SYNOPSIS}\n${longDescription(spec).map((l) => ` ${l}`).join("\n")}`],
  ];
  return fields.map(([k, v]) => `${k}: ${v}\n`).join("");
}
