// `npm run build`: the runtime, the init bundle, the kernel, Debian's Xen packages, and the two
// rootfs flavours with their manifests, into build/stubdom/; then the size report.
//   tsx host/build.ts [--out DIR] [--xz]
// --out writes somewhere else; --xz compresses the rootfs with xz instead of gzip (see
// rootfs/compress.ts for why gzip is the default). Either leaves bench/RESULTS.md alone.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { debianKernel } from "../kernel/debianKernel.ts";
import { debianXen } from "../qemu/debianXen.ts";
import { devQemu } from "../qemu/devQemu.ts";
import { demoGuestImage } from "../qemu/demoGuest.ts";
import { buildRuntime } from "../runtime/build.ts";
import { bundleInit } from "../init/bundle.ts";
import type { Compression } from "../rootfs/compress.ts";
import { devManifest, xenManifest, type FlavourInputs } from "../rootfs/flavours.ts";
import { attributePackages, buildImage, withLibraries } from "../rootfs/image.ts";
import { readCpio } from "../rootfs/cpio.ts";
import { missingInImage } from "../rootfs/imageCheck.ts";
import type { Manifest } from "../rootfs/manifest.ts";
import { manifestFile, type ManifestFile } from "../rootfs/manifestFile.ts";
import { RESULTS_HEADING, replaceSection, reportLines, resultsSection } from "../rootfs/sizeReport.ts";

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

export interface BuildOptions {
  dir?: string;
  compression?: Compression;
  /** Update the "Image sizes" section of this markdown file. */
  results?: string;
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

  log("step 1/5: runtime");
  const stubjs = await buildRuntime();
  log("step 2/5: init bundle");
  const initBundle = await bundleInit();
  log(`init: ${initBundle} ${statSync(initBundle).size} bytes`);
  log("step 3/5: kernel");
  const kernel = debianKernel(log);
  copyFileSync(kernel.vmlinuz, out.kernel);
  log(`kernel: ${out.kernel} ${statSync(out.kernel).size} bytes`);
  log("step 4/5: Debian Xen packages");
  const xen = debianXen(log);
  log(`xen: ${xen.layers.map((l) => `${l.package} ${l.version}`).join(", ")}`);

  const inputs: FlavourInputs = { stubjs, initBundle, kernel, xenQemu: xen.qemu, xenLayers: xen.layers };
  log(`step 5/5: rootfs images (${compression})`);
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
  const { values } = parseArgs({ options: { out: { type: "string" }, xz: { type: "boolean", default: false } } });
  const dir = values.out ?? STUBDOM_DIR;
  // bench/RESULTS.md records the default build only.
  const results = values.out === undefined && !values.xz ? RESULTS_FILE : undefined;
  buildAll({ dir, compression: values.xz ? "xz" : "gzip", ...(results ? { results } : {}) }).catch((e: Error) => {
    console.error(`build failed: ${e.message}`);
    process.exit(1);
  });
}
