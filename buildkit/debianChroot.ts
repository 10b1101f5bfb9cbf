// A Debian root of one suite with the packages asked for (mmdebstrap --variant=minbase), made once
// per input hash (suite, sources, packages, this file) into <cache>/debian-root/<hash>/root. It is a
// build root for a Debian release other than this host's, and a tree an image takes files from,
// whose own dpkg database says which package owns each. Its package lists (deb-src ones included)
// are kept, so `apt-get source` works inside without an update. Nothing writes into it afterwards:
// a command run inside sees its work directory, a host directory, at /mnt.
//   tsx buildkit/debianChroot.ts SUITE PACKAGE...   makes one (or finds it cached) and prints where
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runLogged } from "./buildProcess.ts";
import { pathInside, type BuildRoot } from "./buildRoot.ts";
import { cacheEntry, inputHash } from "./cache.ts";
import { installedVersions, parseInstalled } from "./debianPackages.ts";

export interface DebianChrootSpec {
  suite: string;
  /** sources.list lines written into the root ("deb URI SUITE COMPONENT", "deb-src ..."). */
  sources: readonly string[];
  packages: readonly string[];
}

export interface DebianChroot {
  /** The root directory. */
  dir: string;
  suite: string;
  /** Every installed package's version, from the root's dpkg database when it was made. */
  versions: ReadonlyMap<string, string>;
}

/** Debian's archive and security archive for a suite (main, with its -updates), as binaries and sources. */
export function debianSources(suite: string): string[] {
  const archives = [
    `http://deb.debian.org/debian ${suite} main`,
    `http://deb.debian.org/debian ${suite}-updates main`,
    `http://deb.debian.org/debian-security ${suite}-security main`,
  ];
  return [...archives.map((a) => `deb ${a}`), ...archives.map((a) => `deb-src ${a}`)];
}

const SELF = fileURLToPath(import.meta.url);

/** The cache key: what decides the root's contents, apart from the archive's state on the day it is made. */
export const debianChrootHash = (spec: DebianChrootSpec, script: Uint8Array | string = readFileSync(SELF)): string =>
  inputHash(["debian-root/1", spec.suite, ...spec.sources, "--", ...spec.packages, "--", script]);

/** Where a command inside sees its work directory: base-files' empty /mnt. */
const WORK_MOUNT = "/mnt";

/**
 * Run by unshare in a private mount and PID namespace (everything mounted goes away with it, and the
 * cached root stays as it was): the work dir at /mnt, the host's resolv.conf for apt's downloads
 * (the root's copy is of the day it was made), then the command in the directory asked for.
 */
const ENTER = [
  `mount --bind "$1" "$2${WORK_MOUNT}"`,
  `mount --bind /etc/resolv.conf "$2/etc/resolv.conf"`,
  `root=$2 && dir=$3 && shift 3`,
  `exec chroot "$root" env --chdir="$dir" "$@"`,
].join(" && ");

/** The root as a build root: commands run inside it, with their own /proc. */
export function chrootBuildRoot(chroot: DebianChroot): BuildRoot {
  return {
    suite: chroot.suite,
    where: chroot.dir,
    at: (work) => (cmd, args, dir) => ({
      cmd: "unshare",
      args: ["--mount", "--pid", "--fork", "--kill-child", `--mount-proc=${join(chroot.dir, "proc")}`, "--",
        "sh", "-c", ENTER, "enter", work, chroot.dir, pathInside(work, dir, WORK_MOUNT), cmd, ...args],
      cwd: "/",
    }),
  };
}

/** Makes the root, or finds it in the cache. */
export async function debianChroot(spec: DebianChrootSpec, log: (line: string) => void = () => undefined): Promise<DebianChroot> {
  const entry = cacheEntry("debian-root", debianChrootHash(spec));
  const dir = join(entry.dir, "root");
  const versionsFile = join(entry.dir, "packages.tsv");
  if (entry.hit) {
    log(`debian-root: ${spec.suite} (cached, ${entry.dir})`);
  } else {
    const t0 = Date.now();
    rmSync(dir, { recursive: true, force: true });
    log(`debian-root: mmdebstrap ${spec.suite} with ${spec.packages.join(", ")} (minutes; cached afterwards in ${entry.dir})`);
    const args = ["--variant=minbase", `--include=${spec.packages.join(",")}`, "--skip=cleanup/apt/lists", spec.suite, dir, ...spec.sources];
    await runLogged({ cmd: "mmdebstrap", args, cwd: entry.dir, logFile: join(entry.dir, "mmdebstrap.log"), label: "debian-root: mmdebstrap", every: 200 }, log);
    const all = installedVersions("all", dir);
    const missing = spec.packages.filter((p) => !all.has(p));
    if (missing.length > 0) throw new Error(`debian-root: mmdebstrap ${spec.suite} into ${dir} left ${missing.join(", ")} uninstalled`);
    writeFileSync(versionsFile, [...all].map(([name, version]) => `${name}\t${version}\tinstalled\n`).join(""));
    writeFileSync(entry.stamp, `${spec.suite}\n${spec.packages.join(" ")}\n`);
    log(`debian-root: ${spec.suite} made in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  return { dir, suite: spec.suite, versions: parseInstalled(readFileSync(versionsFile, "utf8")) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [suite, ...packages] = process.argv.slice(2);
  if (!suite) {
    console.error("usage: tsx buildkit/debianChroot.ts SUITE PACKAGE...");
    process.exit(2);
  }
  debianChroot({ suite, sources: debianSources(suite), packages }, console.log).then(
    (c) => console.log(c.dir),
    (e: Error) => {
      console.error(`debian-root: ${e.message}`);
      process.exit(1);
    },
  );
}
