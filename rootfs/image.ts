// Turns a manifest into a cpio newc initramfs (gzip without a timestamp) and a per-file report.
import { readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { writeCpio, type CpioEntry } from "./cpio.ts";
import { libraryClosure } from "./libraryClosure.ts";
import type { Group, ManifestItem } from "./manifest.ts";

export interface ImageFile {
  path: string;
  size: number;
  group: Group;
  source: string;
}

export interface Image {
  cpio: Uint8Array;
  gz: Uint8Array;
  files: ImageFile[];
}

export class MissingLibraryError extends Error {}

/** Adds the shared libraries every ELF item needs; a library that cannot be found is an error. */
export function withLibraries(items: readonly ManifestItem[]): ManifestItem[] {
  const roots = items.flatMap((i) => (i.kind === "host" && i.elf ? [i.host] : []));
  const closure = libraryClosure(roots);
  if (closure.missing.length > 0) {
    throw new MissingLibraryError(`missing shared libraries: ${closure.missing.map((m) => `${m.lib} (needed by ${m.neededBy})`).join(", ")}`);
  }
  const present = new Set(items.map((i) => i.image));
  const libs: ManifestItem[] = [...closure.files]
    .filter(([image]) => !present.has(image))
    .map(([image, host]) => ({ kind: "host", image, host, group: "libraries", mode: 0o755 }));
  return [...items, ...libs];
}

export function buildImage(items: readonly ManifestItem[]): Image {
  const entries: CpioEntry[] = [];
  const files: ImageFile[] = [];
  for (const item of items) {
    switch (item.kind) {
      case "host": {
        const data = readFileSync(item.host);
        const mode = item.mode ?? statSync(item.host).mode & 0o777;
        entries.push({ path: item.image, kind: "file", mode, data });
        files.push({ path: item.image, size: data.length, group: item.group, source: item.host });
        break;
      }
      case "data":
        entries.push({ path: item.image, kind: "file", mode: item.mode ?? 0o644, data: item.data });
        files.push({ path: item.image, size: item.data.length, group: item.group, source: "build" });
        break;
      case "symlink":
        entries.push({ path: item.image, kind: "symlink", target: item.target });
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
  return { cpio, gz: gzipSync(cpio, { level: 9 }), files: files.sort((a, b) => (a.path < b.path ? -1 : 1)) };
}

/** Bytes per purpose group, largest first. */
export function sizeByGroup(files: readonly ImageFile[]): [Group, number][] {
  const totals = new Map<Group, number>();
  for (const f of files) totals.set(f.group, (totals.get(f.group) ?? 0) + f.size);
  return [...totals].sort((a, b) => b[1] - a[1]);
}
