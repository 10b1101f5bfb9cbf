// What the rootfs build recorded about this image (flavour, where QEMU is), /etc/stubdom/image.json.
import type { Sys } from "../runtime/sys.ts";

export interface ImageInfo {
  flavour: string;
  qemu: string;
  /** False when that QEMU has no seccomp, so `-sandbox` would stop it at once; absent means true. */
  sandbox?: boolean;
  /** vchan-socket-proxy, in images for Xen: libxl's QMP path into the stubdom. */
  qmpProxy?: string;
}

export const IMAGE_INFO = "/etc/stubdom/image.json";

export function readImageInfo(sys: Sys): ImageInfo {
  const raw = JSON.parse(sys.readText(IMAGE_INFO)) as Partial<ImageInfo>;
  if (typeof raw.flavour !== "string" || typeof raw.qemu !== "string") {
    throw new Error(`${IMAGE_INFO} lacks "flavour" or "qemu"`);
  }
  if (raw.qmpProxy !== undefined && typeof raw.qmpProxy !== "string") throw new Error(`${IMAGE_INFO}: "qmpProxy" is not a path`);
  if (raw.sandbox !== undefined && typeof raw.sandbox !== "boolean") throw new Error(`${IMAGE_INFO}: "sandbox" is not true or false`);
  return { flavour: raw.flavour, qemu: raw.qemu, sandbox: raw.sandbox, qmpProxy: raw.qmpProxy };
}
