// The image's description, /etc/stubdom/image.json: written by the build (host/image/flavours.ts),
// read by the init at boot. One contract, one source: the shape, the path and the check live here.

export interface ImageInfo {
  flavour: string;
  qemu: string;
  /** False when that QEMU has no seccomp, so `-sandbox` would stop it at once; absent means true. */
  sandbox?: boolean;
  /** vchan-socket-proxy, in images for Xen: libxl's QMP path into the stubdom. */
  qmpProxy?: string;
  /**
   * The Xen release ("4.17", "4.20") whose libraries (libxenctrl above all: its domctl interface
   * version changes with each release) this image carries; the init compares it with the running Xen.
   */
  xenRelease?: string;
  /**
   * QEMU finds a passed-through PCI device's address inside the stubdom itself (QEMU 9.1 and later
   * read pciback's vdev-N in XenStore); without it the init names pcifront's devices by host address
   * for QEMU (init/pciPassthrough.ts). Absent means false.
   */
  pcifrontLookup?: boolean;
}

export const IMAGE_INFO = "/etc/stubdom/image.json";

/** A Xen release as major.minor, the way Debian names its packages (xen-utils-4.20). */
export const XEN_RELEASE = /^\d+\.\d+$/;

/** The description from the file's text; throws a sentence naming the file when it is not one. */
export function parseImageInfo(text: string): ImageInfo {
  let raw: Partial<ImageInfo>;
  try {
    raw = JSON.parse(text) as Partial<ImageInfo>;
  } catch (e) {
    throw new Error(`${IMAGE_INFO} is not JSON: ${(e as Error).message}`);
  }
  if (typeof raw.flavour !== "string" || typeof raw.qemu !== "string") {
    throw new Error(`${IMAGE_INFO} lacks "flavour" or "qemu"`);
  }
  if (raw.qmpProxy !== undefined && typeof raw.qmpProxy !== "string") throw new Error(`${IMAGE_INFO}: "qmpProxy" is not a path`);
  if (raw.sandbox !== undefined && typeof raw.sandbox !== "boolean") throw new Error(`${IMAGE_INFO}: "sandbox" is not true or false`);
  if (raw.xenRelease !== undefined && (typeof raw.xenRelease !== "string" || !XEN_RELEASE.test(raw.xenRelease))) {
    throw new Error(`${IMAGE_INFO}: "xenRelease" is not a release like "4.20"`);
  }
  if (raw.pcifrontLookup !== undefined && typeof raw.pcifrontLookup !== "boolean") throw new Error(`${IMAGE_INFO}: "pcifrontLookup" is not true or false`);
  return { flavour: raw.flavour, qemu: raw.qemu, sandbox: raw.sandbox, qmpProxy: raw.qmpProxy, xenRelease: raw.xenRelease, pcifrontLookup: raw.pcifrontLookup };
}
