// Which Xen the stubdom runs on, against the Xen release whose libraries its image carries.
// libxenctrl is built for one release: its domctls carry that release's interface version, and
// Xen refuses any other with EACCES, so a 4.17 image on Xen 4.20 runs emulation but every domctl
// (PCI passthrough's memory and interrupt mappings) fails. The kernel shows the hypervisor's
// version under /sys/hypervisor (CONFIG_XEN_SYS_HYPERVISOR); dev mode has none.
import type { Sys } from "../runtime/sys.ts";

export const HYPERVISOR_DIR = "/sys/hypervisor";

export interface RunningXen {
  /** major.minor, as Debian and image.json name a release: "4.20". */
  release: string;
  /** With the extra version: "4.20.4", or "4.17.6-pre". */
  version: string;
}

/** The running Xen from the texts of /sys/hypervisor's type and version/{major,minor,extra}; undefined if not Xen. */
export function parseRunningXen(files: { type?: string; major?: string; minor?: string; extra?: string }): RunningXen | undefined {
  if (files.type?.trim() !== "xen") return undefined;
  const major = files.major?.trim() ?? "";
  const minor = files.minor?.trim() ?? "";
  if (!/^\d+$/.test(major) || !/^\d+$/.test(minor)) return undefined;
  const release = `${major}.${minor}`;
  return { release, version: `${release}${files.extra?.trim() ?? ""}` };
}

export function readRunningXen(sys: Sys): RunningXen | undefined {
  const read = (name: string): string | undefined => {
    try {
      return sys.readText(`${HYPERVISOR_DIR}/${name}`);
    } catch {
      return undefined;
    }
  };
  return parseRunningXen({ type: read("type"), major: read("version/major"), minor: read("version/minor"), extra: read("version/extra") });
}

/** A sentence when the image's Xen libraries are not the running Xen's; undefined when they match or one side is unknown. */
export function releaseMismatch(imageRelease: string | undefined, running: RunningXen | undefined): string | undefined {
  if (imageRelease === undefined || running === undefined || imageRelease === running.release) return undefined;
  return `this image carries Xen ${imageRelease}'s libraries but runs on Xen ${running.version}: ` +
    `Xen refuses their domctls (EACCES), so PCI passthrough cannot work; install the image built for Xen ${running.release} ` +
    `(/usr/lib/xen-${running.release}/boot/)`;
}
