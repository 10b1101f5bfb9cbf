// Turns a manifest into a cpio newc initramfs (compressed reproducibly) and the list of its files
// with their sizes, groups and packages.
import { readFileSync, realpathSync, statSync } from "node:fs";
import { compress, type Compression } from "./compress.ts";
import { writeCpio, type CpioEntry } from "./cpio.ts";
import { dpkgOwners, installedVersions, isUnder, type Layer } from "../buildkit/debianPackages.ts";
import { libraryClosure } from "./libraryClosure.ts";
import { BUILD, manifestFs, type Group, type Manifest, type ManifestItem } from "./manifest.ts";

export interface ImageFile {
  path: string;
  size: number;
  group: Group;
  /** The Debian package it came from, or "build". */
  package: string;
  /** The host file it was copied from (absent for bytes made by the build). */
  host?: string;
}

export interface Image {
  cpio: Uint8Array;
  compressed: Uint8Array;
  compression: Compression;
  files: ImageFile[];
  symlinks: { path: string; target: string }[];
}

export class MissingLibraryError extends Error {}

/**
 * The manifest's items plus the shared libraries every ELF item needs, searched through the
 * manifest's layers over its Debian root as ld.so will search the image; a library not found is an error.
 */
export function withLibraries(manifest: Manifest): ManifestItem[] {
  const fs = manifestFs(manifest.layers, manifest.root);
  const elves = manifest.items.flatMap((i) => (i.kind === "host" && i.elf ? [i] : []));
  for (const item of elves) {
    const found = fs.exists(`/${item.image}`) ? fs.hostPath(fs.realpath(`/${item.image}`)) : undefined;
    if (found === undefined || realpathSync(found) !== realpathSync(item.host)) {
      throw new Error(`${item.image}: its libraries are searched from /${item.image} in the layers, which is ${found ?? "absent"}, not ${item.host}`);
    }
  }
  const closure = libraryClosure(elves.map((i) => `/${i.image}`), fs);
  if (closure.missing.length > 0) {
    throw new MissingLibraryError(`missing shared libraries: ${closure.missing.map((m) => `${m.lib} (needed by ${m.neededBy})`).join(", ")}`);
  }
  const present = new Set(manifest.items.map((i) => i.image));
  const libs: ManifestItem[] = [...closure.files]
    .filter(([image]) => !present.has(image))
    .map(([image, host]) => ({ kind: "host", image, host, group: "libraries", mode: 0o755 }));
  return [...manifest.items, ...libs];
}

export function buildImage(items: readonly ManifestItem[], compression: Compression = "gzip"): Image {
  const entries: CpioEntry[] = [];
  const files: Omit<ImageFile, "package">[] = [];
  const explicit = new Map<string, string>();
  const symlinks: Image["symlinks"] = [];
  for (const item of items) {
    switch (item.kind) {
      case "host": {
        const data = readFileSync(item.host);
        const mode = item.mode ?? statSync(item.host).mode & 0o777;
        entries.push({ path: item.image, kind: "file", mode, data });
        files.push({ path: item.image, size: data.length, group: item.group, host: item.host });
        if (item.package) explicit.set(item.image, item.package);
        break;
      }
      case "data":
        entries.push({ path: item.image, kind: "file", mode: item.mode ?? 0o644, data: item.data });
        files.push({ path: item.image, size: item.data.length, group: item.group });
        explicit.set(item.image, BUILD);
        break;
      case "symlink":
        entries.push({ path: item.image, kind: "symlink", target: item.target });
        symlinks.push({ path: item.image, target: item.target });
        break;
      case "dir":
        entries.push({ path: item.image, kind: "dir", mode: item.mode });
        break;
      case "char":
        entries.push({ path: item.image, kind: "char", mode: item.mode, major: item.major, minor: item.minor });
        break;
    }
  }
  const cpio = writeCpio(entries);
  const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    cpio,
    compressed: compress(cpio, compression),
    compression,
    files: files.map((f) => ({ ...f, package: explicit.get(f.path) ?? "" })).sort(byPath),
    symlinks: symlinks.sort(byPath),
  };
}

/** A host file's path in the Debian tree at `root` (symlinks resolved), or undefined when it lies outside. */
export function pathInRoot(hostFile: string, root: string): string | undefined {
  const real = realpathSync(hostFile);
  if (root === "/") return real;
  const base = realpathSync(root);
  return isUnder(real, base) ? real.slice(base.length) : undefined;
}

/**
 * Fills in each file's package: the one named by its item, else the layer it lies in (an unpacked
 * .deb, the kernel's modules), else the package owning it in the Debian tree at `root` (`dpkg -S`
 * against that tree's database); a file outside all of them keeps "". Returns the version of
 * every package named.
 */
export function attributePackages(files: ImageFile[], layers: readonly Layer[], root = "/"): Map<string, string> {
  const versions = new Map<string, string>();
  const inRoot = new Map<ImageFile, string>();
  for (const f of files) {
    if (f.package !== "" || f.host === undefined) continue;
    const layer = layers.find((l) => isUnder(f.host!, l.dir));
    if (layer) {
      f.package = layer.package;
      versions.set(layer.package, layer.version);
      continue;
    }
    const path = pathInRoot(f.host, root);
    if (path !== undefined) inRoot.set(f, path);
  }
  const owners = dpkgOwners([...inRoot.values()], root);
  for (const [f, path] of inRoot) f.package = owners.get(path) ?? "";
  for (const [name, version] of installedVersions([...new Set(owners.values())], root)) versions.set(name, version);
  return new Map([...versions].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Bytes per purpose group, largest first. */
export function sizeByGroup(files: readonly ImageFile[]): [Group, number][] {
  const totals = new Map<Group, number>();
  for (const f of files) totals.set(f.group, (totals.get(f.group) ?? 0) + f.size);
  return [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}
