// A Debian source package of any suite as a build input, whatever this host's own suite: apt
// fetches it (checking the archive's signature, then each file's hash against the signed index) and
// dpkg-source unpacks it with Debian's patch series, into <cache>/debian-source/<hash>/src once per
// suite, package and version. apt runs on its own lists of the suite's deb-src entries, fetched
// once into the cache (like a chroot's, they are the archive as on the day they were fetched), so
// this host's apt sources stay as they are and a warm build needs no network.
//   tsx buildkit/debianSource.ts SUITE PACKAGE    fetches one (or finds it cached) and prints where
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { hostBuildRoot, runIn } from "./buildRoot.ts";
import { cacheEntry, inputHash } from "./cache.ts";
import { debianSources } from "./debianChroot.ts";

export interface DebianSourceTree {
  /** The unpacked tree, Debian's patches applied. */
  dir: string;
  suite: string;
  package: string;
  version: string;
}

/** Every Version: of `apt-cache showsrc` output for one source package. */
export function showsrcVersions(text: string, pkg: string): string[] {
  return text.split(/\n\n+/).flatMap((stanza) => {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    return name === pkg && version ? [version] : [];
  });
}

/** The newest of Debian versions (dpkg's ordering), or undefined for none. */
export const newestVersion = (versions: readonly string[]): string | undefined =>
  versions.length === 0
    ? undefined
    : versions.reduce((best, v) => (spawnSync("dpkg", ["--compare-versions", v, "gt", best]).status === 0 ? v : best));

/** apt's options for a private state: its sources, lists and caches in `dir`, nothing of the host's. */
export const privateAptOptions = (dir: string): string[] =>
  [
    `Dir::Etc::SourceList=${join(dir, "sources.list")}`,
    `Dir::Etc::SourceParts=${join(dir, "sources.list.d")}`,
    `Dir::State::Lists=${join(dir, "lists")}`,
    `Dir::Cache=${join(dir, "cache")}`,
    // The files land in our own work directory, which the _apt user may not enter.
    "APT::Sandbox::User=root",
  ].flatMap((o) => ["-o", o]);

/** A command on this host, in `cwd`; its stdout, or an error naming it and quoting its stderr. */
const run = (cmd: string, args: readonly string[], cwd: string): string => runIn(hostBuildRoot().at(cwd), cmd, args, cwd);

/** The suite's deb-src lists in the cache, fetched once; apt's options to use them. */
function suiteLists(suite: string, log: (line: string) => void): string[] {
  const sources = debianSources(suite).filter((line) => line.startsWith("deb-src "));
  const entry = cacheEntry("debian-source-lists", inputHash(["debian-source-lists/1", suite, ...sources]));
  const options = privateAptOptions(entry.dir);
  if (!entry.hit) {
    for (const d of ["sources.list.d", "lists/partial", "cache/archives/partial"]) mkdirSync(join(entry.dir, d), { recursive: true });
    writeFileSync(join(entry.dir, "sources.list"), sources.join("\n") + "\n");
    log(`debian-source: apt-get update of ${suite}'s deb-src lists into ${entry.dir}`);
    run("apt-get", [...options, "--error-on=any", "-q", "update"], entry.dir);
    writeFileSync(entry.stamp, `${suite}\n`);
  }
  return options;
}

/** The newest `pkg` source of `suite`, fetched and unpacked (or found in the cache). */
export function debianSourceTree(suite: string, pkg: string, log: (line: string) => void = () => undefined): DebianSourceTree {
  const options = suiteLists(suite, log);
  const version = newestVersion(showsrcVersions(run("apt-cache", [...options, "showsrc", "--only-source", pkg], "/"), pkg));
  if (!version) throw new Error(`debian-source: ${suite}'s deb-src lists have no source package ${pkg}`);
  const entry = cacheEntry("debian-source", inputHash(["debian-source/1", suite, pkg, version]));
  const tree: DebianSourceTree = { dir: join(entry.dir, "src"), suite, package: pkg, version };
  if (entry.hit) return tree;
  const work = join(entry.dir, ".work");
  rmSync(work, { recursive: true, force: true });
  rmSync(tree.dir, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(`debian-source: apt-get source ${pkg}=${version} from ${suite}`);
  run("apt-get", [...options, "-q", "source", "--download-only", `${pkg}=${version}`], work);
  const dsc = readdirSync(work).find((f) => f.endsWith(".dsc"));
  if (!dsc) throw new Error(`debian-source: apt-get source ${pkg}=${version} left no .dsc in ${work}`);
  run("dpkg-source", ["-x", dsc, tree.dir], work);
  rmSync(work, { recursive: true, force: true });
  writeFileSync(entry.stamp, `${suite} ${pkg} ${version}\n`);
  return tree;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [suite, pkg] = process.argv.slice(2);
  if (!suite || !pkg) {
    console.error("usage: tsx buildkit/debianSource.ts SUITE PACKAGE");
    process.exit(2);
  }
  try {
    const tree = debianSourceTree(suite, pkg, console.log);
    console.log(`${tree.dir} (${suite} ${pkg} ${tree.version})`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
