// `npm run build`: the runtime, the init bundle, the kernel, each Xen release's device model and
// Debian packages, and the rootfs flavours with their manifests; then the size report. Into
// build/stubdom/: the kernel and the dev flavour, and per Xen release a directory xen-<release>/
// holding what goes into /usr/lib/xen-<release>/boot/ on a host of that release (the kernel, that
// release's rootfs, its manifest). Xen 4.17's image is of this Debian 12 host's packages, 4.20's
// of a Debian 13 root made in the cache (qemu/xenReleases.ts); the dev flavour is 4.17's.
//   tsx host/image/build.ts [--out DIR] [--xz] [--qemu lean|debian] [--kernel debian|minimal]
// --out writes somewhere else; --xz compresses the rootfs with xz instead of gzip (see
// rootfs/compress.ts for why gzip is the default). --qemu debian (or STUBDOM_QEMU=debian) puts
// Debian's qemu-system-xen binary in the xen rootfs instead of the lean build from Debian's source
// (qemu/leanQemu.ts), for comparison. The kernel is the all-built-in one from Debian's linux-source
// (kernel/minimalKernel.ts); --kernel debian (or STUBDOM_KERNEL=debian) puts Debian's cloud kernel
// and its modules in instead. Any of these options leaves bench/RESULTS.md alone.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { debianKernel } from "../../kernel/debianKernel.ts";
import { minimalKernel } from "../../kernel/minimalKernel.ts";
import { devQemu } from "../../qemu/devQemu.ts";
import { XEN_QEMU_CHOICES, xenInputs, type XenInputs, type XenQemuChoice } from "../../qemu/xenInputs.ts";
import { XEN_RELEASE_TABLE, XEN_RELEASES, type XenReleaseName } from "../../qemu/xenReleases.ts";
import { demoGuestImage } from "../../qemu/demoGuest.ts";
import { buildRuntime, compileBytecode, debianQuickjs } from "../../runtime/build.ts";
import { bundleInit, DISPLAY_BUNDLE_OUT, DISPLAY_ENTRY } from "../../init/bundle.ts";
import type { Compression } from "../../rootfs/compress.ts";
import { devManifest, xenManifest } from "./flavours.ts";
import { attributePackages, buildImage, withLibraries } from "../../rootfs/image.ts";
import { readCpio } from "../../rootfs/cpio.ts";
import { missingInImage } from "../../rootfs/imageCheck.ts";
import type { Manifest } from "../../rootfs/manifest.ts";
import { manifestFile, type ManifestFile } from "../../rootfs/manifestFile.ts";
import { RESULTS_HEADING, replaceSection, reportLines, resultsSection } from "../../rootfs/sizeReport.ts";

export const STUBDOM_DIR = "build/stubdom";
export const RESULTS_FILE = "bench/RESULTS.md";

/** One Xen release's directory: the file names libxl looks for in its firmware dir, and the manifest. */
export const xenOutputsIn = (dir: string) => ({
  kernel: join(dir, "qemu-stubdom-linux-kernel"),
  rootfs: join(dir, "qemu-stubdom-linux-rootfs"),
  manifest: join(dir, "manifest-xen.json"),
});
export type XenOutputs = ReturnType<typeof xenOutputsIn>;

/** The kernel and the dev flavour (ours, not libxl's) in `dir`, and each Xen release's files in `dir`/xen-<release>/. */
export const outputsIn = (dir: string) => ({
  kernel: join(dir, "qemu-stubdom-linux-kernel"),
  devRootfs: join(dir, "qemu-stubdom-linux-rootfs-dev"),
  devManifest: join(dir, "manifest-dev.json"),
  xen: Object.fromEntries(XEN_RELEASES.map((r) => [r, xenOutputsIn(join(dir, `xen-${r}`))])) as Record<XenReleaseName, XenOutputs>,
});
export type Outputs = ReturnType<typeof outputsIn>;
export const outputs: Outputs = outputsIn(STUBDOM_DIR);

/** `value` if it is one of `choices`, `fallback` when absent; otherwise a sentence naming `flag`. */
function choiceOf<T extends string>(flag: string, choices: readonly T[], fallback: T, value: string | undefined): T {
  const v = value ?? fallback;
  if (!(choices as readonly string[]).includes(v)) throw new Error(`${flag} ${v}: expected one of ${choices.join(", ")}`);
  return v as T;
}

export const xenQemuChoice = (value: string | undefined): XenQemuChoice => choiceOf("--qemu", XEN_QEMU_CHOICES, "lean", value);

export const KERNEL_CHOICES = ["debian", "minimal"] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];
export const kernelChoice = (value: string | undefined): KernelChoice => choiceOf("--kernel", KERNEL_CHOICES, "minimal", value);

export interface BuildOptions {
  dir?: string;
  compression?: Compression;
  /** Update the "Image sizes" section of this markdown file. */
  results?: string;
  /** The xen flavour's QEMU: the lean build from Debian's source (default) or Debian's binary. */
  qemu?: XenQemuChoice;
  /** The minimal all-built-in kernel (default; a cold build takes minutes, then cached), or Debian's cloud kernel + modules. */
  kernel?: KernelChoice;
  log?: (line: string) => void;
}

/** Writes via a temporary name, so a reader never sees half a file. */
function writeAtomic(path: string, data: Uint8Array | string): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

function buildFlavour(manifest: Manifest, rootfs: string, manifestPath: string, compression: Compression, log: (line: string) => void): ManifestFile {
  const t0 = Date.now();
  const image = buildImage(withLibraries(manifest), compression);
  const missing = missingInImage(readCpio(image.cpio));
  if (missing.length > 0) {
    throw new Error(`${manifest.flavour} image is incomplete: ${missing.map((m) => `${m.lib} (needed by ${m.neededBy})`).join(", ")}`);
  }
  const versions = attributePackages(image.files, manifest.layers, manifest.root);
  const unowned = image.files.filter((f) => f.package === "");
  if (unowned.length > 0) throw new Error(`${manifest.flavour}: no Debian package (in ${manifest.root}'s database or a layer) owns ${unowned.map((f) => f.host ?? f.path).join(", ")}`);
  const m = manifestFile(manifest, image, versions);
  writeAtomic(rootfs, image.compressed);
  writeAtomic(manifestPath, JSON.stringify(m, null, 1) + "\n");
  for (const line of reportLines(m, rootfs)) log(line);
  log(`rootfs (${manifest.flavour}): built in ${((Date.now() - t0) / 1000).toFixed(1)} s, manifest ${manifestPath}`);
  return m;
}

export async function buildAll(o: BuildOptions = {}): Promise<Outputs> {
  const log = o.log ?? console.log;
  const compression = o.compression ?? "gzip";
  const out = outputsIn(o.dir ?? STUBDOM_DIR);
  mkdirSync(o.dir ?? STUBDOM_DIR, { recursive: true });

  const qemuChoice = xenQemuChoice(o.qemu);
  log("step 1/5: runtime");
  const quickjs = debianQuickjs(log);
  const runtime = `QuickJS ${quickjs.version} (${quickjs.origin})`;
  const stubjs = await buildRuntime(undefined, quickjs);
  log("step 2/5: init bundle");
  // The image carries the bundles as bytecode: stubjs then starts without parsing them.
  const bytecodeOf = async (what: string, bundle: string): Promise<string> => {
    const bytecode = await compileBytecode(bundle, undefined, quickjs);
    log(`${what}: ${bundle} ${statSync(bundle).size} bytes, as bytecode ${bytecode} ${statSync(bytecode).size} bytes`);
    return bytecode;
  };
  const initBundle = await bytecodeOf("init", await bundleInit());
  const displayBundle = await bytecodeOf("display bridge", await bundleInit(DISPLAY_BUNDLE_OUT, DISPLAY_ENTRY));
  log("step 3/5: kernel");
  const kernel = kernelChoice(o.kernel) === "minimal" ? await minimalKernel(log, { dev: true }) : debianKernel(log);
  copyFileSync(kernel.vmlinuz, out.kernel);
  log(`kernel: ${out.kernel} ${statSync(out.kernel).size} bytes`);
  log(`step 4/5: each Xen release's Debian packages and device model (${qemuChoice})`);
  const xens: XenInputs[] = [];
  for (const release of XEN_RELEASES) {
    const xen = await xenInputs(XEN_RELEASE_TABLE[release], qemuChoice, log);
    log(`xen ${release}: ${xen.description}; qemu: ${xen.qemu.description}`);
    xens.push(xen);
  }

  log(`step 5/5: rootfs images (${compression})`);
  const xenImages = xens.map((xen) => {
    const to = out.xen[xen.release.release];
    mkdirSync(dirname(to.rootfs), { recursive: true });
    copyFileSync(out.kernel, to.kernel);
    return buildFlavour(xenManifest({ stubjs, runtime, initBundle, displayBundle, kernel, xen }), to.rootfs, to.manifest, compression, log);
  });
  // Dev mode runs on this host: its flavour is built on the release of this host's own packages.
  const hostXen = xens.find((x) => x.release.packagesFrom === "host");
  if (!hostXen) throw new Error("no Xen release is built from this host's packages, which the dev flavour needs");
  const devInputs = { qemu: devQemu(), demoGuest: demoGuestImage() };
  const devImage = buildFlavour(devManifest({ stubjs, runtime, initBundle, displayBundle, kernel, xen: hostXen }, devInputs), out.devRootfs, out.devManifest, compression, log);

  if (o.results) {
    const section = resultsSection([...xenImages, devImage], { description: `${kernel.package} ${kernel.version}`, bytes: statSync(out.kernel).size });
    const before = existsSync(o.results) ? readFileSync(o.results, "utf8") : "";
    const after = replaceSection(before, RESULTS_HEADING, section);
    if (after !== before) {
      mkdirSync(resolve(o.results, ".."), { recursive: true });
      writeAtomic(o.results, after);
      log(`sizes: ${o.results} updated`);
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { out: { type: "string" }, xz: { type: "boolean", default: false }, qemu: { type: "string" }, kernel: { type: "string" } } });
  const dir = values.out ?? STUBDOM_DIR;
  let qemu: XenQemuChoice;
  let kernel: KernelChoice;
  try {
    qemu = xenQemuChoice(values.qemu ?? process.env.STUBDOM_QEMU);
    kernel = kernelChoice(values.kernel ?? process.env.STUBDOM_KERNEL);
  } catch (e) {
    console.error(`build failed: ${(e as Error).message}`);
    process.exit(2);
  }
  // bench/RESULTS.md records the default build only.
  const results = values.out === undefined && !values.xz && qemu === "lean" && kernel === "minimal" ? RESULTS_FILE : undefined;
  buildAll({ dir, compression: values.xz ? "xz" : "gzip", qemu, kernel, ...(results ? { results } : {}) }).catch((e: Error) => {
    console.error(`build failed: ${e.message}`);
    process.exit(1);
  });
}
