// `stubdomctl run --guest IMAGE`: the dev stubdom has no disk frontend for a host file, so the
// image travels as a second initramfs archive appended to the rootfs (the kernel unpacks
// concatenated archives in order) and QEMU in the stubdom opens it from there.
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { writeCpio } from "../../rootfs/cpio.ts";
import { usageError } from "./args.ts";

/** Where the appended image lands inside the stubdom. */
export const GUEST_IMAGE_PATH = "/usr/share/stubdom/guest.img";

export interface GuestImage {
  /** The rootfs with the image appended, to boot instead of the plain one. */
  rootfs: string;
  /** QEMU's -drive format: qcow2 when the image says so, raw otherwise. */
  format: "raw" | "qcow2";
}

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

function imageFormat(path: string): "raw" | "qcow2" {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32BE(0) === QCOW2_MAGIC ? "qcow2" : "raw";
  } finally {
    closeSync(fd);
  }
}

/** Checks the image (it lives in the stubdom's RAM: at most a quarter of it) and writes the combined rootfs into `dir`. */
export function appendGuestImage(image: string, rootfs: string, dir: string, memoryMiB: number): GuestImage {
  let size: number;
  try {
    const st = statSync(image);
    if (!st.isFile()) throw usageError(`--guest ${image} is not a regular file`);
    size = st.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === undefined) throw e;
    throw usageError(`--guest ${image} cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
  if (size === 0) throw usageError(`--guest ${image} is empty`);
  if (size > (memoryMiB * 1048576) / 4) {
    throw usageError(`--guest ${image} is ${(size / 1048576).toFixed(1)} MiB; the dev stubdom holds it in RAM, so give --memory at least ${Math.ceil((size * 4) / 1048576)}`);
  }
  const base = readFileSync(rootfs);
  const pad = Buffer.alloc((4 - (base.length % 4)) % 4);
  const extra = gzipSync(writeCpio([{ path: GUEST_IMAGE_PATH.slice(1), kind: "file", mode: 0o644, data: readFileSync(image) }]));
  const out = join(dir, "rootfs-with-guest.gz");
  writeFileSync(out, Buffer.concat([base, pad, extra]));
  return { rootfs: out, format: imageFormat(image) };
}
