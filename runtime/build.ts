// Builds build/runtime/stubjs: QuickJS from Debian 13's `quickjs` source package (2025-04-26,
// fetched and unpacked by buildkit/debianSource.ts) plus our host and `sys` module (runtime/native/),
// one static musl binary; and stubjsc (runtime/compiler/), which links the same QuickJS objects to
// compile the bundles to stubjs's bytecode. Objects and the binary are cached by input hash
// (buildkit/cache.ts), so an unchanged tree costs no compilation and editing one of our files does
// not recompile quickjs.c. Another QuickJS tree can be given (the runtime bench builds the previous
// release beside this one).
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { cacheEntry, inputHash } from "../buildkit/cache.ts";
import { debianSourceTree } from "../buildkit/debianSource.ts";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = join(root, "runtime", "native");
const compilerSource = join(root, "runtime", "compiler", "stubjsc.c");

/** The Debian suite and source package stubjs's QuickJS comes from. */
const QUICKJS_SUITE = "trixie";
const QUICKJS_PACKAGE = "quickjs";

/** A QuickJS source tree: where it is, its release, and where it came from. */
export interface QuickjsTree {
  dir: string;
  /** As the tree's VERSION file says, e.g. 2025-04-26: QuickJS's CONFIG_VERSION. */
  version: string;
  /** Where it came from, for logs and reports. */
  origin: string;
}

/** The engine (quickjs.c, its regexp, unicode, utilities and number printing: dtoa.c since
 *  2025-04-26) and quickjs-libc for std and os. Without CONFIG_BIGNUM the 2021 tree's libbf.c is unneeded. */
const QUICKJS_SOURCES = ["quickjs.c", "libregexp.c", "libunicode.c", "cutils.c", "dtoa.c", "quickjs-libc.c"];
const quickjsSources = (tree: QuickjsTree): string[] => QUICKJS_SOURCES.map((f) => join(tree.dir, f)).filter((p) => existsSync(p));

/** A QuickJS tree given by its directory. */
export const quickjsTreeAt = (dir: string, origin: string): QuickjsTree => ({ dir, version: readFileSync(join(dir, "VERSION"), "utf8").trim(), origin });

/** stubjs's QuickJS: Debian's source package, fetched and unpacked once (buildkit/debianSource.ts). */
export function debianQuickjs(log: (line: string) => void = () => undefined): QuickjsTree {
  const src = debianSourceTree(QUICKJS_SUITE, QUICKJS_PACKAGE, log);
  return quickjsTreeAt(src.dir, `Debian ${src.suite} source ${src.package} ${src.version}`);
}

const CC = "musl-gcc";
const JOBS = 2;
const COMMON_FLAGS = ["-Os", "-D_GNU_SOURCE", "-ffunction-sections", "-fdata-sections"];
/** QuickJS is not ours to fix: its warnings are silenced. */
const quickjsFlags = (tree: QuickjsTree): string[] => [...COMMON_FLAGS, `-DCONFIG_VERSION="${tree.version}"`, "-w"];
/** -isystem keeps QuickJS's header warnings (-Wcast-function-type) out of our -Wextra output; the
 *  unused-parameter warning is off because every JS binding has QuickJS's fixed signature. */
const nativeFlags = (tree: QuickjsTree): string[] => [...COMMON_FLAGS, "-Wall", "-Wextra", "-Wno-unused-parameter", "-isystem", tree.dir];
const LINK_FLAGS = ["-static", "-Os", "-s", "-Wl,--gc-sections"];
const LINK_LIBS = ["-lm"];

interface Unit {
  source: string;
  flags: string[];
  hash: string;
}

const headersIn = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".h"))
    .sort()
    .map((f) => join(dir, f));

function units(compiler: string, tree: QuickjsTree): { quickjs: Unit[]; native: Unit[]; stubjsc: Unit } {
  const read = (paths: string[]) => paths.flatMap((p) => [basename(p), readFileSync(p)]);
  const quickjsHeaders = read(headersIn(tree.dir));
  const nativeHeaders = read(headersIn(nativeDir));
  const unit = (source: string, flags: string[], headers: Array<string | Uint8Array>): Unit => ({
    source,
    flags,
    hash: inputHash([compiler, ...flags, basename(source), readFileSync(source), ...headers]),
  });
  const quickjs = quickjsSources(tree).map((f) => unit(f, quickjsFlags(tree), quickjsHeaders));
  // stubjs runs only bytecode that stubjsc wrote from these very QuickJS objects (bytecode_file.h).
  const quickjsId = inputHash(quickjs.map((u) => u.hash)).slice(0, 16);
  const ours = [...nativeFlags(tree), `-DSTUBJS_QUICKJS_ID="${quickjsId}"`];
  const native = readdirSync(nativeDir)
    .filter((f) => f.endsWith(".c"))
    .sort()
    .map((f) => unit(join(nativeDir, f), ours, [...quickjsHeaders, ...nativeHeaders]));
  return { quickjs, native, stubjsc: unit(compilerSource, ours, [...quickjsHeaders, ...nativeHeaders]) };
}

const unitsByTree = new Map<string, Promise<ReturnType<typeof units>>>();
/** The units as the installed compiler builds them, read and hashed once per tree in a process
 *  (a build links stubjs and compiles two bundles with the same objects). */
function currentUnits(tree: QuickjsTree): Promise<ReturnType<typeof units>> {
  let u = unitsByTree.get(tree.dir);
  if (!u) {
    u = run(CC, ["--version"]).then(({ stdout }) => units(stdout, tree));
    unitsByTree.set(tree.dir, u);
  }
  return u;
}

/** The object file of one unit, compiled unless cached; compiler warnings are passed on. */
async function compile(u: Unit): Promise<string> {
  const entry = cacheEntry("runtime-obj", u.hash);
  const obj = join(entry.dir, basename(u.source, ".c") + ".o");
  if (entry.hit) return obj;
  const { stderr } = await run(CC, [...u.flags, "-c", u.source, "-o", obj + ".tmp"]);
  if (stderr) process.stderr.write(stderr);
  renameSync(obj + ".tmp", obj);
  writeFileSync(entry.stamp, "");
  return obj;
}

/** Runs fn over items with at most `limit` at a time, keeping the order of results. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Links one binary from its units (compiled unless cached), cached by their hashes. */
async function linkCached(kind: string, name: string, parts: Unit[]): Promise<{ path: string; hit: boolean }> {
  // Largest first, so quickjs.c (most of the time) starts at once on one core.
  const sorted = [...parts].sort((a, b) => statSync(b.source).size - statSync(a.source).size);
  const entry = cacheEntry(kind, inputHash([...LINK_FLAGS, ...LINK_LIBS, ...sorted.map((u) => u.hash)]));
  const path = join(entry.dir, name);
  if (!entry.hit) {
    const objects = await pool(sorted, JOBS, compile);
    await run(CC, [...LINK_FLAGS, ...objects, ...LINK_LIBS, "-o", path]);
    writeFileSync(entry.stamp, "");
  }
  return { path, hit: entry.hit };
}

/** Copies a cached binary into outDir, via rename: one still running from the previous build would
 *  make a copy in place ETXTBSY. */
function install(cached: string, outDir: string, name: string): string {
  const out = isAbsolute(outDir) ? outDir : join(root, outDir);
  mkdirSync(out, { recursive: true });
  const binary = join(out, name);
  copyFileSync(cached, binary + ".tmp");
  renameSync(binary + ".tmp", binary);
  return binary;
}

export async function buildRuntime(outDir = "build/runtime", tree: QuickjsTree = debianQuickjs(console.log)): Promise<string> {
  const started = Date.now();
  const u = await currentUnits(tree);
  const linked = await linkCached("runtime", "stubjs", [...u.quickjs, ...u.native]);
  const binary = install(linked.path, outDir, "stubjs");
  const kib = Math.round(statSync(binary).size / 1024);
  const how = linked.hit ? "cached" : `built in ${((Date.now() - started) / 1000).toFixed(1)} s`;
  console.log(`runtime: ${relative(process.cwd(), binary) || binary} ${kib} KiB, QuickJS ${tree.version} (${how})`);
  return binary;
}

/** The bytecode file stubjs runs as a module; its suffix is how stubjs tells it from source. */
const BYTECODE_SUFFIX = ".jsbc";

/** Compiles an ES module bundle to stubjs's bytecode next to it (bundle.jsbc) and returns that path. */
export async function compileBytecode(bundle: string, outDir = "build/runtime", tree: QuickjsTree = debianQuickjs()): Promise<string> {
  const u = await currentUnits(tree);
  const stubjsc = install((await linkCached("stubjsc", "stubjsc", [...u.quickjs, u.stubjsc])).path, outDir, "stubjsc");
  const out = bundle.replace(/\.m?js$/, "") + BYTECODE_SUFFIX;
  await run(stubjsc, [bundle, out, basename(bundle)]);
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await buildRuntime();
}
