// `npm run package`: one Debian package per supported Xen release into build/deb/, from the images
// `npm run build` wrote (host/image/build.ts outputs.xen) and stubdomctl bundled for Debian's node.
// Reproducible: every date and mtime is SOURCE_DATE_EPOCH, else the git commit's date.
//   tsx host/package/build.ts [--version V] [--out DIR] [--images DIR]
// --version replaces package.json's version (the package's is V+xen<release>); --out writes the
// .debs somewhere else; --images takes the images from another build directory.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { outputsIn, STUBDOM_DIR } from "../image/build.ts";
import { XEN_RELEASES, type XenReleaseName } from "../../qemu/xenReleases.ts";
import { changelogText, copyrightYears, isoDay, type BuildOrigin } from "./changelog.ts";
import { controlText, installedSizeKiB } from "./control.ts";
import { copyrightText, type BundledPackage, type RootfsContents } from "./copyright.ts";
import { debFileName, debSpec } from "./debSpec.ts";
import { dpkgDebBuild, md5sums, setMtimes, writeControlDir, writeTree } from "./debTree.ts";
import { fileList } from "./fileList.ts";
import { gzipMax } from "./gzipMax.ts";
import { lintianOverridesText } from "./lintianOverrides.ts";
import { maintainerScripts } from "./maintainerScripts.ts";
import { manPage } from "./manPage.ts";
import { bundleStubdomctl, helpTexts, packagedCommandNames, ROOT, type HelpTexts } from "./stubdomctlBundle.ts";

export const DEB_DIR = "build/deb";

export interface DebOptions {
  /** The upstream part of the version (default: package.json's); each package's is `<version>+xen<release>`. */
  version?: string;
  /** Where the .debs go (default build/deb, under the checkout). */
  outDir?: string;
  /** The `npm run build` output directory to take the images from (default build/stubdom). */
  imageDir?: string;
  log?: (line: string) => void;
}

const git = (args: string[]): string | undefined => {
  const r = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

/** The commit, whether the tree has changes beyond it, and the epoch every date comes from. */
export function buildOrigin(env: NodeJS.ProcessEnv = process.env): BuildOrigin {
  const commit = git(["rev-parse", "HEAD"]) ?? "unknown";
  const dirty = (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
  const fromEnv = env.SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined && !/^[0-9]+$/.test(fromEnv)) throw new Error(`SOURCE_DATE_EPOCH ${JSON.stringify(fromEnv)} is not a number of seconds`);
  const epoch = Number(fromEnv ?? git(["log", "-1", "--format=%ct"]) ?? NaN);
  if (!Number.isFinite(epoch)) throw new Error("no SOURCE_DATE_EPOCH and no git commit to take the packages' date from");
  const firstYear = Number(git(["log", "--max-parents=0", "--format=%ad", "--date=format:%Y", "HEAD"])?.split("\n").sort()[0] ?? NaN);
  return { commit, dirty, epoch, firstYear: Number.isFinite(firstYear) ? firstYear : new Date(epoch * 1000).getUTCFullYear() };
}

const packageJsonVersion = (): string => (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

interface Shared {
  upstream: string;
  origin: BuildOrigin;
  help: HelpTexts;
  bundle: Uint8Array;
  bundled: BundledPackage[];
}

function buildOne(release: XenReleaseName, imageDir: string, outDir: string, work: string, s: Shared): string {
  const spec = debSpec(release, s.upstream);
  const images = outputsIn(imageDir).xen[release];
  for (const f of [images.kernel, images.rootfs, images.manifest]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: build the images first (npm run build)`);
  }
  const rootfs = JSON.parse(readFileSync(images.manifest, "utf8")) as RootfsContents;
  const entries = fileList(spec, {
    kernel: { host: images.kernel, size: statSync(images.kernel).size },
    rootfs: { host: images.rootfs, size: statSync(images.rootfs).size },
    bundle: s.bundle,
    manPage: gzipMax(manPage({ spec, usage: s.help.usage, commands: s.help.commands, date: isoDay(s.origin.epoch) })),
    copyright: copyrightText({ spec, years: copyrightYears(s.origin), bundled: s.bundled, rootfs }),
    changelog: gzipMax(changelogText(spec, s.origin)),
    lintianOverrides: lintianOverridesText(spec),
  });
  const tree = join(work, `tree-${release}`);
  writeTree(tree, entries);
  const control = writeControlDir(tree, {
    control: controlText(spec, installedSizeKiB(entries)),
    md5sums: md5sums(tree, entries),
    scripts: maintainerScripts(spec),
  });
  setMtimes(tree, [...entries.map((e) => e.path), ...control], s.origin.epoch);
  const deb = join(outDir, debFileName(spec));
  dpkgDebBuild(tree, `${deb}.tmp`, s.origin.epoch);
  renameSync(`${deb}.tmp`, deb);
  return deb;
}

/** Builds one .deb per Xen release; returns each one's path. The images must be built already. */
export async function buildDebs(o: DebOptions = {}): Promise<Record<XenReleaseName, string>> {
  const log = o.log ?? console.log;
  const outDir = resolve(ROOT, o.outDir ?? DEB_DIR);
  const imageDir = resolve(ROOT, o.imageDir ?? STUBDOM_DIR);
  const upstream = o.version ?? packageJsonVersion();
  for (const r of XEN_RELEASES) debSpec(r, upstream); // a bad version fails before any work
  const origin = buildOrigin();
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "stubdom-deb-"));
  try {
    const names = packagedCommandNames();
    const bundlePath = join(work, "stubdomctl.cjs");
    const bundled = await bundleStubdomctl(bundlePath, names);
    const help = helpTexts(bundlePath);
    const listed = help.commands.map((c) => c.name);
    if (listed.join(",") !== names.join(",")) throw new Error(`the bundled stubdomctl lists ${listed.join(", ")}, its source ${names.join(", ")}`);
    log(`package: stubdomctl bundle ${statSync(bundlePath).size} bytes (commands: ${names.join(", ")})`);
    const shared: Shared = { upstream, origin, help, bundle: readFileSync(bundlePath), bundled };
    const debs = {} as Record<XenReleaseName, string>;
    for (const release of XEN_RELEASES) {
      debs[release] = buildOne(release, imageDir, outDir, work, shared);
      log(`package: ${debs[release]} ${statSync(debs[release]).size} bytes`);
    }
    return debs;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  let values: { version?: string; out?: string; images?: string };
  try {
    ({ values } = parseArgs({ options: { version: { type: "string" }, out: { type: "string" }, images: { type: "string" } } }));
  } catch (e) {
    console.error(`package failed: ${(e as Error).message}`);
    process.exit(2);
  }
  buildDebs({ version: values.version, outDir: values.out, imageDir: values.images }).catch((e: Error) => {
    console.error(`package failed: ${e.message}`);
    process.exit(1);
  });
}
