// Debian's Xen device model and tools for one Xen release: qemu-system-xen's QEMU (Debian installs
// it as /usr/libexec/xen-qemu-system-i386), the firmware its devices load, and xen-utils'
// vchan-socket-proxy (the stubdom end of libxl's QMP path), with the Xen libraries both link. For
// the release of this host's own suite they are unpacked from their .debs (not installed on the
// host), and their other libraries (glib, pixman, spice, ...) come from the host; another release's
// are installed in a Debian root of its suite (qemu/xenInputs.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Layer } from "../buildkit/debianPackages.ts";
import { unpackDebs } from "../buildkit/debianPackages.ts";
import { readElfDynamic } from "../rootfs/elf.ts";
import { findsPcifrontAddress } from "./qemuRelease.ts";
import type { QemuSource } from "./qemuSource.ts";
import { FIRMWARE_PACKAGES, xenPackages, type XenRelease } from "./xenReleases.ts";

export const XEN_QEMU = "/usr/libexec/xen-qemu-system-i386";
export const DEBIAN_QEMU_PACKAGE = "qemu-system-xen";

/**
 * Files QEMU opens for libxl's HVM argv (`-machine xenfv`, no -kernel): with xenfv, hvmloader (not
 * QEMU) loads the system BIOS, so bios-256k.bin and kvmvapic.bin stay unused. What remains is the
 * option ROM of each emulated PCI device libxl can ask for, found in QEMU's firmware path (seen
 * with strace on Debian's QEMU 7.2): `vga="stdvga"` and `vga="cirrus"`, and NIC `model=rtl8139`
 * (libxl's default) and `model=e1000`, from where the release's Debian suite puts them.
 * A device whose ROM is missing fails to realize ("failed to find romfile"), unless given romfile=.
 * The en-us keymap, for the VNC server the display bridge reads (QEMU exits without the one it loads).
 * Not included: vgabios-qxl.bin (qxl), other NIC models' ROMs.
 */
export const xenQemuData = (release: XenRelease): string[] => [
  "/usr/share/seabios/vgabios-stdvga.bin",
  "/usr/share/seabios/vgabios-cirrus.bin",
  `${release.nicRoms}/efi-rtl8139.rom`,
  `${release.nicRoms}/efi-e1000.rom`,
  ...QEMU_KEYMAPS.map((k) => `${KEYMAP_DIR}/${k}`),
];

/** Where QEMU (prefix /usr) finds keymaps. */
export const KEYMAP_DIR = "/usr/share/qemu/keymaps";
/** The one its VNC server loads when no `-k` is given (the init drops libxl's: qemu/dmArgv.ts withBridgeVnc). */
export const QEMU_KEYMAPS = ["en-us"] as const;

/** The packages unpacked for a release; their trees stack over the host's, so these Xen libraries win over installed ones. */
export const debianXenPackages = (release: XenRelease): string[] => [DEBIAN_QEMU_PACKAGE, ...xenPackages(release.release), ...FIRMWARE_PACKAGES];

/**
 * Debian's qemu-system-xen of the release's suite as the xen flavour's QemuSource. `hostBinary` is
 * its file here: whether it takes `-sandbox` is whether it links libseccomp (Debian 12's does not).
 */
export function debianQemu(release: XenRelease, description: string, version: string, layers: Layer[], hostBinary: string): QemuSource {
  return {
    description,
    binary: XEN_QEMU,
    modules: [],
    data: xenQemuData(release),
    layers,
    seccomp: readElfDynamic(readFileSync(hostBinary)).needed.some((lib) => lib.startsWith("libseccomp")),
    pcifrontLookup: findsPcifrontAddress(version),
  };
}

export interface DebianXen {
  layers: Layer[];
  qemu: QemuSource;
}

/** The release's packages from this host's apt, each unpacked into the cache once. */
export function debianXen(release: XenRelease, log: (line: string) => void = () => undefined): DebianXen {
  const layers = unpackDebs(debianXenPackages(release), log);
  const qemuDeb = layers[0]!;
  return { layers, qemu: debianQemu(release, `Debian ${qemuDeb.package} ${qemuDeb.version}`, qemuDeb.version, layers, join(qemuDeb.dir, XEN_QEMU)) };
}
