// The effects of packaging: the file list written out as a tree (modes set, every mtime the
// build's epoch), its DEBIAN/ directory, and `dpkg-deb --build --root-owner-group` of it.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TreeEntry } from "./fileList.ts";
import type { ScriptName } from "./maintainerScripts.ts";

const inTree = (root: string, path: string): string => join(root, path);

/** Writes every entry under `root` (which must not exist yet) with its mode; directories first, as the list is sorted. */
export function writeTree(root: string, entries: readonly TreeEntry[]): void {
  mkdirSync(root, { mode: 0o755 });
  chmodSync(root, 0o755);
  for (const e of entries) {
    const at = inTree(root, e.path);
    if (e.kind === "dir") mkdirSync(at, { recursive: true });
    else if ("host" in e.content) copyFileSync(e.content.host, at);
    else writeFileSync(at, e.content.data);
    chmodSync(at, e.mode);
  }
}

/** DEBIAN/md5sums: each regular file's md5 and path without the leading slash, as dpkg reads it. */
export function md5sums(root: string, entries: readonly TreeEntry[]): string {
  return entries
    .filter((e) => e.kind === "file")
    .map((e) => `${createHash("md5").update(readFileSync(inTree(root, e.path))).digest("hex")}  ${e.path.slice(1)}\n`)
    .join("");
}

export interface ControlFiles {
  control: string;
  md5sums: string;
  scripts: Partial<Record<ScriptName, string>>;
}

/** DEBIAN/: control and md5sums (0644), the maintainer scripts (0755). */
export function writeControlDir(root: string, c: ControlFiles): string[] {
  const dir = join(root, "DEBIAN");
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const files: [string, string, number][] = [
    ["control", c.control, 0o644],
    ["md5sums", c.md5sums, 0o644],
    ...Object.entries(c.scripts).map(([name, text]): [string, string, number] => [name, text, 0o755]),
  ];
  for (const [name, text, mode] of files) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), mode);
  }
  return ["/DEBIAN", ...files.map(([name]) => `/DEBIAN/${name}`)];
}

/** Every path's mtime to `epoch`, deepest first so that setting a file's does not touch its directory's afterwards. */
export function setMtimes(root: string, paths: readonly string[], epoch: number): void {
  for (const p of [...paths].sort((a, b) => b.split("/").length - a.split("/").length || (a < b ? 1 : -1))) utimesSync(inTree(root, p), epoch, epoch);
  utimesSync(root, epoch, epoch);
}

/**
 * `dpkg-deb --build --root-owner-group`: every file root:root, entries sorted, member and file
 * times no later than SOURCE_DATE_EPOCH. xz at its fastest preset: nearly all the bytes are the
 * kernel and the gzip'd rootfs, already compressed, where -6 takes 5 times as long for 0.1 % less.
 */
export function dpkgDebBuild(root: string, deb: string, epoch: number): void {
  const r = spawnSync("dpkg-deb", ["--build", "--root-owner-group", "-Zxz", "-z0", root, deb], {
    encoding: "utf8",
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch), LC_ALL: "C.UTF-8" },
  });
  if (r.status !== 0) throw new Error(`dpkg-deb --build ${root} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim()}`);
}
