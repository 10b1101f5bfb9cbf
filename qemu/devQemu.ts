// The dev flavour's device model: the host's own Debian qemu-system-x86 (installed by setup), run
// with TCG inside the dev-mode stubdom VM. It finds its TCG accelerator module and its firmware
// relative to its own path, so they keep their Debian paths in the image.
import { installedVersions } from "../buildkit/debianPackages.ts";
import { findsPcifrontAddress } from "./qemuRelease.ts";
import type { QemuSource } from "./qemuSource.ts";

export const DEV_QEMU = "/usr/bin/qemu-system-x86_64";
const PACKAGE = "qemu-system-x86";

export function devQemu(): QemuSource {
  const version = installedVersions([PACKAGE]).get(PACKAGE);
  if (!version) throw new Error(`${PACKAGE} is not installed (npm run setup installs it)`);
  return {
    description: `Debian ${PACKAGE} ${version} (installed)`,
    binary: DEV_QEMU,
    // Without it: "could not load module for type 'tcg-accel-ops'".
    modules: ["/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so"],
    // -machine pc under TCG: QEMU loads the system BIOS itself, and the vapic option ROM.
    data: ["/usr/share/seabios/bios-256k.bin", "/usr/share/qemu/kvmvapic.bin"],
    layers: [],
    seccomp: true,
    pcifrontLookup: findsPcifrontAddress(version),
  };
}
