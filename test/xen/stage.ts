// What a bed reads from the host's staging share (/mnt/bed in dom0): the stubdom image built for its
// release, laid out as an installed package lays it out, and the Linux guest that boots over the network.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { outputs } from "../../host/image/build.ts";
import type { BedRelease } from "./bedBuild.ts";
import { linuxGuest } from "./linuxGuest.ts";

/** The share as dom0 mounts it. */
export const BED_SHARE = "/mnt/bed";

/** The release's stubdom kernel and rootfs into `share`/xen-<release>/: their paths in dom0. */
export function stageStubdomImage(share: string, release: BedRelease): { kernel: string; rootfs: string } {
  const images = outputs.xen[release];
  for (const f of [images.kernel, images.rootfs]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npx tsx host/image/build.ts\` first`);
  }
  const dir = `xen-${release}`;
  mkdirSync(join(share, dir), { recursive: true });
  copyFileSync(images.kernel, join(share, dir, "qemu-stubdom-linux-kernel"));
  copyFileSync(images.rootfs, join(share, dir, "qemu-stubdom-linux-rootfs"));
  return { kernel: `${BED_SHARE}/${dir}/qemu-stubdom-linux-kernel`, rootfs: `${BED_SHARE}/${dir}/qemu-stubdom-linux-rootfs` };
}

/** The Linux guest's kernel and initramfs (served by serveGuests) and guest-sh, its shell's caller. */
export function stageLinuxGuest(share: string, log: (line: string) => void): void {
  const linux = linuxGuest(log);
  writeFileSync(join(share, "vmlinuz"), linux.vmlinuz);
  writeFileSync(join(share, "initrd.gz"), linux.initrd);
  copyFileSync("test/xen/dom0/guest-sh.sh", join(share, "guest-sh"));
}
