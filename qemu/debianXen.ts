// Debian 12's Xen device model and tools, unpacked from their .debs (not installed on the host):
// qemu-system-xen's QEMU (Debian installs it as /usr/libexec/xen-qemu-system-i386), the firmware
// its devices load, and xen-utils' vchan-socket-proxy (the stubdom end of libxl's QMP path), with
// the Xen libraries both link. Their other libraries (glib, pixman, spice, ...) come from the host.
import type { Layer } from "../buildkit/debianPackages.ts";
import { unpackDebs } from "../buildkit/debianPackages.ts";
import type { QemuSource } from "./qemuSource.ts";

export const XEN_VERSION = "4.17";

/** Where Debian's xen-utils puts it; libxl itself expects /usr/bin/vchan-socket-proxy in dom0. */
export const VCHAN_SOCKET_PROXY = `/usr/lib/xen-${XEN_VERSION}/bin/vchan-socket-proxy`;

export const XEN_QEMU = "/usr/libexec/xen-qemu-system-i386";

/** The packages unpacked; their trees stack over the host's, so these Xen libraries win over installed ones. */
export const XEN_PACKAGES = [
  "qemu-system-xen",
  `xen-utils-${XEN_VERSION}`,
  `libxenmisc${XEN_VERSION}`, // libxenctrl, libxenvchan
  "libxencall1",
  "libxendevicemodel1",
  "libxenevtchn1",
  "libxenforeignmemory1",
  "libxengnttab1",
  "libxenstore4",
  "libxentoolcore1",
  "libxentoollog1",
  "seabios", // VGA BIOS images
  "ipxe-qemu", // NIC option ROMs
] as const;

/**
 * Files QEMU opens for libxl's HVM argv (`-machine xenfv`, no -kernel): with xenfv, hvmloader (not
 * QEMU) loads the system BIOS, so bios-256k.bin and kvmvapic.bin stay unused. What remains is the
 * option ROM of each emulated PCI device libxl can ask for, found relative to the binary
 * (<bindir>/../share/seabios, <bindir>/../lib/ipxe/qemu; seen with strace on Debian's QEMU 7.2):
 * `vga="stdvga"` and `vga="cirrus"`, and NIC `model=rtl8139` (libxl's default) and `model=e1000`.
 * A device whose ROM is missing fails to realize ("failed to find romfile"), unless given romfile=.
 * Not included: keymaps (only for -vnc/-k, which a Linux stubdom's QEMU does not get from libxl),
 * vgabios-qxl.bin (qxl), other NIC models' ROMs.
 */
export const XEN_QEMU_DATA = [
  "/usr/share/seabios/vgabios-stdvga.bin",
  "/usr/share/seabios/vgabios-cirrus.bin",
  "/usr/lib/ipxe/qemu/efi-rtl8139.rom",
  "/usr/lib/ipxe/qemu/efi-e1000.rom",
] as const;

export interface DebianXen {
  layers: Layer[];
  qemu: QemuSource;
}

export function debianXen(log: (line: string) => void = () => undefined): DebianXen {
  const layers = unpackDebs(XEN_PACKAGES, log);
  const qemuDeb = layers[0]!;
  return {
    layers,
    qemu: {
      description: `Debian ${qemuDeb.package} ${qemuDeb.version}`,
      binary: XEN_QEMU,
      modules: [],
      data: [...XEN_QEMU_DATA],
      layers,
      // Debian builds qemu-system-xen without libseccomp.
      seccomp: false,
    },
  };
}
