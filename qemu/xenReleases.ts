// The Xen releases the xen flavour is built for, as data. A host needs a rootfs carrying its own
// release's libraries: libxenctrl's domctl interface version changes with each release, and 4.17's
// library gets EACCES from Xen 4.20.

export const XEN_RELEASES = ["4.17", "4.20"] as const;
export type XenReleaseName = (typeof XEN_RELEASES)[number];

export interface XenRelease {
  release: XenReleaseName;
  /** The Debian suite that ships it. */
  suite: string;
  /**
   * Where the image's Debian files come from. "host": this host runs `suite`; Xen's packages are
   * unpacked from their .debs over the host's / (qemu/debianXen.ts), the lean QEMU is built on the
   * host. "chroot": a cached Debian root of `suite` with the packages installed
   * (buildkit/debianChroot.ts); the lean QEMU is built inside it and the image takes every file
   * from it, never from this host.
   */
  packagesFrom: "host" | "chroot";
  /** Where the suite's ipxe-qemu puts QEMU's NIC option ROMs (Debian 13 moved them to QEMU's own data dir). */
  nicRoms: string;
}

export const XEN_RELEASE_TABLE: Readonly<Record<XenReleaseName, XenRelease>> = {
  "4.17": { release: "4.17", suite: "bookworm", packagesFrom: "host", nicRoms: "/usr/lib/ipxe/qemu" },
  "4.20": { release: "4.20", suite: "trixie", packagesFrom: "chroot", nicRoms: "/usr/share/qemu" },
};

/**
 * Where Debian's xen-utils puts it: the stubdom end of libxl's QMP path (libxl itself runs
 * /usr/bin/vchan-socket-proxy in dom0).
 */
export const vchanSocketProxy = (release: XenReleaseName): string => `/usr/lib/xen-${release}/bin/vchan-socket-proxy`;

/** Xen's packages an image takes files from: vchan-socket-proxy and the libraries it and QEMU link. */
export const xenPackages = (release: XenReleaseName): string[] => [
  `xen-utils-${release}`,
  `libxenmisc${release}`, // libxenctrl, libxenvchan
  "libxencall1",
  "libxendevicemodel1",
  "libxenevtchn1",
  "libxenforeignmemory1",
  "libxengnttab1",
  "libxenstore4",
  "libxentoolcore1",
  "libxentoollog1",
];

/** Where QEMU's option ROMs come from, as for Debian's own QEMU. */
export const FIRMWARE_PACKAGES = [
  "seabios", // VGA BIOS images
  "ipxe-qemu", // NIC option ROMs
] as const;
