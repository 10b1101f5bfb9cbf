// manifest-<flavour>.json, written next to each image: every file with its size, purpose group and
// Debian package, the packages' versions, and the totals. Host paths are left out, so the file
// depends only on the inputs, not on where the cache lives.
import type { Image } from "./image.ts";
import { GROUPS, type Group, type Manifest } from "./manifest.ts";

export interface ManifestFile {
  flavour: string;
  imageInfo: Manifest["imageInfo"];
  sources: Record<string, string>;
  compression: string;
  /** Bytes of the cpio archive (what Xen <= 4.19 puts in stubdom RAM) and of the compressed file. */
  unpacked: number;
  compressed: number;
  groups: Partial<Record<Group, { files: number; bytes: number }>>;
  packages: Record<string, string>;
  files: { path: string; size: number; group: Group; package: string }[];
  symlinks: { path: string; target: string }[];
}

export function manifestFile(manifest: Manifest, image: Image, versions: ReadonlyMap<string, string>): ManifestFile {
  const groups: ManifestFile["groups"] = {};
  for (const g of GROUPS) {
    const files = image.files.filter((f) => f.group === g);
    if (files.length > 0) groups[g] = { files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
  }
  return {
    flavour: manifest.flavour,
    imageInfo: manifest.imageInfo,
    sources: manifest.sources,
    compression: image.compression,
    unpacked: image.cpio.length,
    compressed: image.compressed.length,
    groups,
    packages: Object.fromEntries(versions),
    files: image.files.map(({ path, size, group, package: pkg }) => ({ path, size, group, package: pkg })),
    symlinks: image.symlinks,
  };
}
