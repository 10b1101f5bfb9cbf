// Debian packages as build inputs: unpacked from their .deb into the cache (never installed on the
// host, so e.g. xen-utils does not drag a hypervisor and daemons in), and the package a host file
// belongs to (`dpkg -S`), which the manifest records for every file in an image.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheEntry, inputHash } from "./cache.ts";

/** A tree of files with one known origin: an unpacked .deb, a kernel's module dir, a build output. */
export interface Layer {
  dir: string;
  package: string;
  version: string;
}

const run = (cmd: string, args: string[], cwd?: string): string =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** The versions apt would install now (the candidates), so a build names exactly what it used. */
export function candidateVersions(packages: readonly string[]): Map<string, string> {
  const versions = new Map<string, string>();
  // One stanza per package, in no promised order; each names its package.
  for (const stanza of run("apt-cache", ["show", "--no-all-versions", ...packages]).split(/\n\n+/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    if (name && version && !versions.has(name)) versions.set(name, version);
  }
  const missing = packages.filter((p) => !versions.has(p));
  if (missing.length > 0) throw new Error(`apt-cache show gives no version for ${missing.join(", ")}; run apt-get update`);
  return versions;
}

/** Each package at its candidate version, `apt-get download`ed and `dpkg-deb -x`ed into the cache once. */
export function unpackDebs(packages: readonly string[], log: (line: string) => void = () => undefined): Layer[] {
  const versions = candidateVersions(packages);
  return packages.map((p) => unpackDeb(p, versions.get(p)!, log));
}

function unpackDeb(pkg: string, version: string, log: (line: string) => void): Layer {
  const entry = cacheEntry("deb", inputHash([pkg, version]));
  const dir = join(entry.dir, "root");
  if (entry.hit) return { dir, package: pkg, version };
  log(`deb: downloading ${pkg} ${version}`);
  const work = mkdtempSync(join(entry.dir, ".work-"));
  try {
    run("apt-get", ["download", "-q", `${pkg}=${version}`], work);
    const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download ${pkg}=${version} left no .deb`);
    run("dpkg-deb", ["-x", deb, "root"], work);
    // A concurrent build may have finished first; its tree is the same.
    if (!existsSync(dir)) renameSync(join(work, "root"), dir);
    writeFileSync(entry.stamp, `${pkg} ${version}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { dir, package: pkg, version };
}

const MERGED_USR = /^\/usr\/(bin|sbin|lib|lib32|lib64|libx32)\//;
const UNMERGED = /^\/(bin|sbin|lib|lib32|lib64|libx32)\//;

/**
 * The names dpkg may know a file by. On merged-/usr Debian, /lib is a symlink to usr/lib, and a
 * package that ships /lib/x86_64-linux-gnu/libc.so.6 is registered under that name only, while
 * realpath says /usr/lib/x86_64-linux-gnu/libc.so.6.
 */
export function dpkgNames(path: string): string[] {
  if (MERGED_USR.test(path)) return [path, path.slice("/usr".length)];
  if (UNMERGED.test(path)) return [path, `/usr${path}`];
  return [path];
}

/** A package name without dpkg's architecture qualifier ("libc6:amd64" -> "libc6"). */
const bareName = (pkg: string): string => pkg.replace(/:[a-z0-9-]+$/, "");

/** Parses `dpkg -S` output ("pkg[, pkg2]: /path"), ignoring diversion lines. */
export function parseDpkgSearch(text: string): Map<string, string> {
  const owners = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("diversion by ")) continue;
    const sep = line.indexOf(": /");
    if (sep < 0) continue;
    owners.set(line.slice(sep + 2), bareName(line.slice(0, sep).split(",")[0]!.trim()));
  }
  return owners;
}

/** dpkg's option naming the database of the Debian tree at `root`: none for this host's own. */
export const admindirArgs = (root: string): string[] => (root === "/" ? [] : [`--admindir=${join(root, "var/lib/dpkg")}`]);

/**
 * The installed package owning each file (absent when none does), by one `dpkg -S` call to the
 * database of the Debian tree at `root` (this host's, or a chroot's); paths are as in that tree.
 */
export function dpkgOwners(paths: readonly string[], root = "/"): Map<string, string> {
  const result = new Map<string, string>();
  if (paths.length === 0) return result;
  const names = [...new Set(paths.flatMap(dpkgNames))];
  // dpkg -S exits 1 when some name is unowned; the owned ones are still printed.
  const r = spawnSync("dpkg", [...admindirArgs(root), "-S", ...names], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`dpkg -S in the database of ${root}: ${r.error.message}`);
  const owners = parseDpkgSearch(r.stdout);
  for (const path of paths) {
    const owner = dpkgNames(path).map((n) => owners.get(n)).find((o) => o !== undefined);
    if (owner) result.set(path, owner);
  }
  return result;
}

/** Parses `dpkg-query -W` lines of "package\tversion\tstatus": the installed packages' versions. */
export function parseInstalled(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [name, version, status] = line.split("\t");
    if (name && version && status === "installed") result.set(name, version);
  }
  return result;
}

/** Every package of the Debian tree at `root`, or only those named, by one `dpkg-query` call. */
export function installedVersions(packages: readonly string[] | "all", root = "/"): Map<string, string> {
  // dpkg-query -W with no name lists every package.
  if (packages !== "all" && packages.length === 0) return new Map();
  const names = packages === "all" ? [] : packages;
  const r = spawnSync("dpkg-query", [...admindirArgs(root), "-W", "-f=${Package}\\t${Version}\\t${db:Status-Status}\\n", ...names], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`dpkg-query in the database of ${root}: ${r.error.message}`);
  return parseInstalled(r.stdout);
}

/** Whether `path` lies inside directory `dir`. */
export const isUnder = (path: string, dir: string): boolean => path.startsWith(`${dir.replace(/\/+$/, "")}/`);
