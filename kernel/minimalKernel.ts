// The stubdom's kernel (the build's default; `--kernel debian` takes Debian's cloud kernel instead):
// everything built in, from Debian's linux-source-6.1 and the fragments in kernel/config/.
//   tsx kernel/minimalKernel.ts [--config-only] [--no-dev] [--jobs N] [--out DIR]
// Steps: unpack the linux-source .deb into the cache and its tarball next to it, with our patches
// (kernel/patches/) applied; `make allnoconfig`
// with the fragments as KCONFIG_ALLCONFIG (so anything they do not name is off); check that
// Kconfig kept every setting; then `make bzImage`. Writes <out>/bzImage and <out>/config.
// minimalKernel() does the same once per input hash (source version + patches + fragments) into the cache.
// Needs: build-essential bc bison flex libelf-dev (objtool), xz-utils; ~1.5 GB of disk.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cacheEntry, inputHash } from "../buildkit/cache.ts";
import { runLogged } from "../buildkit/buildProcess.ts";
import type { KernelBuild } from "./debianKernel.ts";
import { unpackDebs } from "../buildkit/debianPackages.ts";
import { applyPatches, patchHashParts, readPatches } from "../buildkit/sourcePatches.ts";
import { droppedSettings, formatKconfig, mergeFragments, parseKconfig, readFragments, type Fragment } from "./configFragments.ts";

export const SOURCE_PACKAGE = "linux-source-6.1";
const TOOLS = ["gcc", "make", "bc", "bison", "flex", "patch"];
export const PATCH_DIR = join(dirname(fileURLToPath(import.meta.url)), "patches");

export interface MinimalKernelOptions {
  out: string;
  configOnly: boolean;
  dev: boolean;
  jobs: number;
  log: (line: string) => void;
}

/** Kconfig needs the compiler, flex and bison; the build also libelf (objtool). */
function requireTools(building: boolean): void {
  const missing = TOOLS.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (building && !existsSync("/usr/include/gelf.h")) missing.push("libelf-dev");
  if (missing.length > 0) throw new Error(`missing build tools: ${missing.join(" ")} (apt-get install build-essential bc bison flex libelf-dev)`);
}

/** The unpacked kernel tree for the package's candidate version with our patches, extracted once into the cache. */
function sourceTree(log: (line: string) => void): string {
  const [layer] = unpackDebs([SOURCE_PACKAGE], log);
  const tarball = readdirSync(join(layer!.dir, "usr/src")).find((f) => /^linux-source-.*\.tar\.(xz|bz2|gz)$/.test(f));
  if (!tarball) throw new Error(`${SOURCE_PACKAGE} has no tarball in /usr/src`);
  const patches = readPatches(PATCH_DIR);
  const entry = cacheEntry("linux-source", inputHash([layer!.package, layer!.version, ...patchHashParts(patches)]));
  const tree = join(entry.dir, "tree");
  if (entry.hit) return tree;
  log(`kernel-min: extracting ${tarball}`);
  const work = join(entry.dir, ".work");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  execFileSync("tar", ["-xf", join(layer!.dir, "usr/src", tarball), "-C", work], { stdio: "inherit" });
  const [top] = readdirSync(work);
  applyPatches(join(work, top!), patches, log, "kernel-min");
  rmSync(tree, { recursive: true, force: true });
  renameSync(join(work, top!), tree);
  rmSync(work, { recursive: true, force: true });
  writeFileSync(entry.stamp, `${layer!.package} ${layer!.version}\n`);
  return tree;
}

export function buildMinimalKernel(o: MinimalKernelOptions): { config: string; bzImage?: string } {
  requireTools(!o.configOnly);
  const tree = sourceTree(o.log);
  const fragments = readFragments(undefined, (name) => o.dev || !name.includes("-dev"));
  o.log(`kernel-min: fragments ${fragments.map((f) => f.name).join(" ")}`);
  const wanted = mergeFragments(fragments);
  const build = resolve(o.out, "obj");
  mkdirSync(build, { recursive: true });
  const allconfig = join(build, "stubdom.allconfig");
  writeFileSync(allconfig, formatKconfig(wanted));
  const make = (...args: string[]): void => {
    execFileSync("make", ["-C", tree, `O=${build}`, ...args], { stdio: ["ignore", "inherit", "inherit"] });
  };
  make(`KCONFIG_ALLCONFIG=${allconfig}`, "allnoconfig");
  const dropped = droppedSettings(wanted, parseKconfig(readFileSync(join(build, ".config"), "utf8")));
  if (dropped.length > 0) {
    throw new Error(`Kconfig did not keep: ${dropped.map((d) => `${d.symbol}=${d.wanted} (got ${d.actual})`).join(", ")}`);
  }
  const config = join(o.out, "config");
  copyFileSync(join(build, ".config"), config);
  o.log(`kernel-min: ${config} keeps all ${wanted.size} settings`);
  if (o.configOnly) return { config };
  make(`-j${o.jobs}`, "bzImage");
  const bzImage = join(o.out, "bzImage");
  copyFileSync(join(build, "arch/x86/boot/bzImage"), bzImage);
  o.log(`kernel-min: ${bzImage}`);
  return { config, bzImage };
}

/** `make` prints "  CC      path" per object: a rough count; the bzImage needs about 1,400 steps here. */
const KBUILD_STEPS = 1400;
const kbuildProgress = (): ((line: string) => number | undefined) => {
  let n = 0;
  return (line) => (/^\s+(CC|AS|LD|AR)\s/.test(line) ? Math.min(0.99, ++n / KBUILD_STEPS) : undefined);
};

/**
 * The minimal kernel for the image, built once per input hash into <cache>/kernel-min/<hash>.
 * `extra` fragments go on top of kernel/config/ (the boot bench adds its tracing this way).
 */
export async function minimalKernel(log: (line: string) => void, o: { dev: boolean; jobs?: number; extra?: Fragment[] }): Promise<KernelBuild> {
  const [layer] = unpackDebs([SOURCE_PACKAGE], log);
  const fragments = [...readFragments(undefined, (name) => o.dev || !name.includes("-dev")), ...(o.extra ?? [])];
  const wanted = mergeFragments(fragments);
  const allconfig = formatKconfig(wanted);
  const entry = cacheEntry("kernel-min", inputHash(["kernel-min/1", layer!.package, layer!.version, ...patchHashParts(readPatches(PATCH_DIR)), allconfig]));
  const result: KernelBuild = {
    release: "stubdom",
    package: `${SOURCE_PACKAGE} (built: kernel/config ${fragments.map((f) => f.name.replace(/\.config$/, "")).join("+")})`,
    version: layer!.version,
    vmlinuz: join(entry.dir, "bzImage"),
    modulesDir: join(entry.dir, "no-modules"),
    config: join(entry.dir, "config"),
    builtIn: true,
  };
  if (entry.hit) {
    log(`kernel-min: ${SOURCE_PACKAGE} ${layer!.version} (cached, ${entry.dir})`);
    return result;
  }
  requireTools(true);
  const tree = sourceTree(log);
  const t0 = Date.now();
  const obj = join(entry.dir, "obj");
  rmSync(obj, { recursive: true, force: true });
  mkdirSync(obj, { recursive: true });
  writeFileSync(join(obj, "stubdom.allconfig"), allconfig);
  log(`kernel-min: fragments ${fragments.map((f) => f.name).join(" ")}; allnoconfig (a cold build takes minutes; cached afterwards in ${entry.dir})`);
  const make = (args: string[], label: string, progress?: (line: string) => number | undefined) =>
    runLogged({ cmd: "make", args: ["-C", tree, `O=${obj}`, ...args], cwd: entry.dir, logFile: join(entry.dir, "make.log"), label, ...(progress ? { progress } : {}) }, log);
  await make([`KCONFIG_ALLCONFIG=${join(obj, "stubdom.allconfig")}`, "allnoconfig"], "kernel-min: config");
  const dropped = droppedSettings(wanted, parseKconfig(readFileSync(join(obj, ".config"), "utf8")));
  if (dropped.length > 0) throw new Error(`Kconfig did not keep: ${dropped.map((d) => `${d.symbol}=${d.wanted} (got ${d.actual})`).join(", ")}`);
  await make([`-j${o.jobs ?? cpus().length}`, "bzImage"], "kernel-min: compiling", kbuildProgress());
  copyFileSync(join(obj, ".config"), result.config);
  copyFileSync(join(obj, "arch/x86/boot/bzImage"), result.vmlinuz);
  mkdirSync(result.modulesDir, { recursive: true });
  rmSync(obj, { recursive: true, force: true });
  writeFileSync(entry.stamp, `${layer!.package} ${layer!.version}\n`);
  log(`kernel-min: built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      "config-only": { type: "boolean", default: false },
      "no-dev": { type: "boolean", default: false },
      jobs: { type: "string", default: String(cpus().length) },
      out: { type: "string", default: "build/kernel-minimal" },
    },
  });
  try {
    buildMinimalKernel({ out: values.out!, configOnly: values["config-only"]!, dev: !values["no-dev"], jobs: Number(values.jobs), log: console.log });
  } catch (e) {
    console.error(`kernel-min: ${(e as Error).message}`);
    process.exit(1);
  }
}
