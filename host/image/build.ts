// `npm run build`: the runtime, the init bundle, the kernel, Debian's Xen packages, and the two
// rootfs flavours with their manifests, into build/stubdom/; then the size report.
//   tsx host/image/build.ts [--out DIR] [--xz] [--qemu lean|debian] [--kernel debian|minimal]
// --out writes somewhere else; --xz compresses the rootfs with xz instead of gzip (see
// rootfs/compress.ts for why gzip is the default). --qemu debian (or STUBDOM_QEMU=debian) puts
// Debian's qemu-system-xen binary in the xen rootfs instead of the lean build from Debian's source
// (qemu/leanQemu.ts), for comparison. The kernel is the all-built-in one from Debian's linux-source
// (kernel/minimalKernel.ts); --kernel debian (or STUBDOM_KERNEL=debian) puts Debian's cloud kernel
// and its modules in instead. Any of these options leaves bench/RESULTS.md alone.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { debianKernel } from "../../kernel/debianKernel.ts";
import { minimalKernel } from "../../kernel/minimalKernel.ts";
import { debianXen } from "../../qemu/debianXen.ts";
import { devQemu } from "../../qemu/devQemu.ts";
import { buildLeanQemu, leanQemuSource } from "../../qemu/leanQemu.ts";
import { demoGuestImage } from "../../qemu/demoGuest.ts";
import { buildRuntime } from "../../runtime/build.ts";
import { bundleInit } from "../../init/bundle.ts";
import type { Compression } from "../../rootfs/compress.ts";
import { devManifest, xenManifest, type FlavourInputs } from "./flavours.ts";
import { attributePackages, buildImage, withLibraries } from "../../rootfs/image.ts";
import { readCpio } from "../../rootfs/cpio.ts";
import { missingInImage } from "../../rootfs/imageCheck.ts";
import type { Manifest } from "../../rootfs/manifest.ts";
import { manifestFile, type ManifestFile } from "../../rootfs/manifestFile.ts";
import { RESULTS_HEADING, replaceSection, reportLines, resultsSection } from "../../rootfs/sizeReport.ts";

export const STUBDOM_DIR = "build/stubdom";
export const RESULTS_FILE = "bench/RESULTS.md";

/** The file names libxl looks for in its firmware dir (the dev rootfs is ours). */
export const outputsIn = (dir: string) => ({
  kernel: join(dir, "qemu-stubdom-linux-kernel"),
  xenRootfs: join(dir, "qemu-stubdom-linux-rootfs"),
  devRootfs: join(dir, "qemu-stubdom-linux-rootfs-dev"),
  xenManifest: join(dir, "manifest-xen.json"),
  devManifest: join(dir, "manifest-dev.json"),
});
export type Outputs = ReturnType<typeof outputsIn>;
export const outputs: Outputs = outputsIn(STUBDOM_DIR);

/** `value` if it is one of `choices`, `fallback` when absent; otherwise a sentence naming `flag`. */
function choiceOf<T extends string>(flag: string, choices: readonly T[], fallback: T, value: string | undefined): T {
  const v = value ?? fallback;
  if (!(choices as readonly string[]).includes(v)) throw new Error(`${flag} ${v}: expected one of ${choices.join(", ")}`);
  return v as T;
}

export const XEN_QEMU_CHOICES = ["lean", "debian"] as const;
export type XenQemuChoice = (typeof XEN_QEMU_CHOICES)[number];
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
  const versions = attributePackages(image.files, manifest.layers);
  const unowned = image.files.filter((f) => f.package === "");
  if (unowned.length > 0) throw new Error(`no Debian package owns ${unowned.map((f) => f.host ?? f.path).join(", ")}`);
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
  log("step 1/6: runtime");
  const stubjs = await buildRuntime();
  log("step 2/6: init bundle");
  const initBundle = await bundleInit();
  log(`init: ${initBundle} ${statSync(initBundle).size} bytes`);
  log("step 3/6: kernel");
  const kernel = kernelChoice(o.kernel) === "minimal" ? await minimalKernel(log, { dev: true }) : debianKernel(log);
  copyFileSync(kernel.vmlinuz, out.kernel);
  log(`kernel: ${out.kernel} ${statSync(out.kernel).size} bytes`);
  log("step 4/6: Debian Xen packages");
  const xen = debianXen(log);
  log(`xen: ${xen.layers.map((l) => `${l.package} ${l.version}`).join(", ")}`);
  log(`step 5/6: the xen flavour's QEMU (${qemuChoice})`);
  const xenQemu = qemuChoice === "debian" ? xen.qemu : leanQemuSource(await buildLeanQemu(log), xen.layers);
  log(`qemu: ${xenQemu.description}`);

  const inputs: FlavourInputs = { stubjs, initBundle, kernel, xenQemu, xenLayers: xen.layers };
  log(`step 6/6: rootfs images (${compression})`);
  const xenImage = buildFlavour(xenManifest(inputs), out.xenRootfs, out.xenManifest, compression, log);
  const devImage = buildFlavour(devManifest(inputs, { qemu: devQemu(), demoGuest: demoGuestImage() }), out.devRootfs, out.devManifest, compression, log);

  if (o.results) {
    const section = resultsSection([xenImage, devImage], { description: `${kernel.package} ${kernel.version}`, bytes: statSync(out.kernel).size });
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
