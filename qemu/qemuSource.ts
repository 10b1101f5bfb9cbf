// Which QEMU goes into an image is an input: a binary, the modules it dlopens, the firmware and
// data files it opens, and the host trees (layers) holding them and its libraries. Debian's
// packages are one source; a QEMU built from source is another (its install prefix is a layer).
import type { Layer } from "../buildkit/debianPackages.ts";
import type { Group, ManifestItem } from "../rootfs/manifest.ts";
import type { LayeredFs } from "../rootfs/closureFs.ts";

export interface QemuSource {
  /** What it is, for the manifest, e.g. "Debian qemu-system-xen 1:7.2+dfsg-7+deb12u18+b3". */
  description: string;
  /** Absolute image path of the binary; the init execs it (image.json "qemu"). */
  binary: string;
  /** ELF objects QEMU dlopens (accelerator and device modules), absolute image paths. */
  modules: string[];
  /** Firmware and data files QEMU opens for the machines it will run, absolute image paths. */
  data: string[];
  /** Host trees, searched before the host's own / for these paths and the libraries. */
  layers: Layer[];
  /** Built with seccomp, so it takes `-sandbox` (image.json "sandbox"). */
  seccomp: boolean;
  /** Finds a passed-through device's pcifront address itself (qemuRelease.ts; image.json "pcifrontLookup"). */
  pcifrontLookup: boolean;
}

/**
 * The manifest items of a QEMU source. Each path is looked up through `fs` (the layers of the whole
 * image over /), so the binary sits at the same image path as on its source tree and finds its
 * modules and firmware relative to itself, as Debian's QEMU does (<bindir>/../share/qemu, ...).
 */
export function qemuItems(source: QemuSource, fs: LayeredFs, groups: { binary: Group; data: Group }): ManifestItem[] {
  const host = (path: string): string => fs.hostPath(fs.realpath(path));
  return [
    ...[source.binary, ...source.modules].map((path, i): ManifestItem => ({
      kind: "host", image: path.slice(1), host: host(path), group: groups.binary, mode: i === 0 ? 0o755 : 0o644, elf: true,
    })),
    ...source.data.map((path): ManifestItem => ({ kind: "host", image: path.slice(1), host: host(path), group: groups.data, mode: 0o644 })),
  ];
}
