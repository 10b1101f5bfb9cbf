// The images the boot and memory benches boot, all derived from the dev rootfs of a default build
// into the bench's own directory (`host/image/build.ts --out build/bench/stubdom`, so that other people's
// builds of build/stubdom during a run change nothing), so they follow whatever the build puts in it:
// - ours: that rootfs, byte for byte;
// - baseline: the same archive with /init replaced by bench/boot/baseline-init.sh, our init bundle
//   left out, and what the script runs added: Xen's XenStore client (Debian's xenstore-utils; its
//   libraries only if the image lacks them) and a few more busybox applet links;
// - lean: the same archive without the xen flavour's QEMU, the firmware only it uses, and the
//   libraries nothing else needs (the memory bench boots it too).
// rootfs/ is only called (cpio reader/writer, ELF closure, compression), never changed.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { outputsIn } from "../../host/image/build.ts";
import { INIT_BUNDLE } from "../../host/image/flavours.ts";
import { devQemu } from "../../qemu/devQemu.ts";
import { imageFs } from "../../rootfs/closureFs.ts";
import { compress } from "../../rootfs/compress.ts";
import { readCpio, writeCpio, type CpioEntry } from "../../rootfs/cpio.ts";
import { elfPaths, missingInImage } from "../../rootfs/imageCheck.ts";
import { libraryClosure } from "../../rootfs/libraryClosure.ts";
import type { ManifestFile } from "../../rootfs/manifestFile.ts";

export const BENCH_DIR = "build/bench";
/** Where run.ts has host/image/build.ts put the bench's own default build. */
export const BENCH_BUILD_DIR = join(BENCH_DIR, "stubdom");
export const BASELINE_SCRIPT = join(import.meta.dirname, "baseline-init.sh");

/** Xen's client is one binary that acts by the name it is called with. */
const XENSTORE_CLIENT = "usr/bin/xenstore";
const XENSTORE_TOOLS = ["xenstore-read", "xenstore-list", "xenstore-exists", "xenstore-rm"] as const;
/** Applets the baseline runs that the image may not link already. */
const EXTRA_APPLETS = ["insmod", "mkdir", "mkfifo", "sort", "sed", "setsid", "sleep"] as const;
/** Our init: stubjs and its bundle. */
const OUR_INIT = ["init", INIT_BUNDLE.slice(1)];

export interface BenchImage {
  name: "ours" | "baseline" | "lean" | "previous-quickjs";
  /** gzip-compressed, as the build makes them. */
  rootfs: string;
  /** The same archive uncompressed, as Xen's domain builder hands a ramdisk to the stubdom. */
  cpio: string;
  unpackedBytes: number;
  compressedBytes: number;
  files: { path: string; bytes: number }[];
}

export interface BenchImages {
  kernel: { path: string; description: string };
  ours: BenchImage;
  baseline: BenchImage;
  lean: BenchImage;
}

const fileOf = (path: string, data: Uint8Array, mode = 0o755): CpioEntry => ({ path, kind: "file", mode, data });

/** The dev image with the shell script as /init and Xen's XenStore client added. */
export function baselineEntries(dev: readonly CpioEntry[], script: Uint8Array): CpioEntry[] {
  const present = new Set(dev.map((e) => e.path));
  const entries: CpioEntry[] = [
    ...dev.filter((e) => !OUR_INIT.includes(e.path)),
    fileOf("init", script),
    fileOf(XENSTORE_CLIENT, readFileSync(`/${XENSTORE_CLIENT}`)),
    ...XENSTORE_TOOLS.map((t): CpioEntry => ({ path: `usr/bin/${t}`, kind: "symlink", target: "xenstore" })),
    ...EXTRA_APPLETS.filter((a) => !present.has(`bin/${a}`)).map((a): CpioEntry => ({ path: `bin/${a}`, kind: "symlink", target: "busybox" })),
  ];
  // The client's libraries, from the host, only where the image lacks them.
  const missing = new Set(missingInImage(entries).map((m) => m.lib));
  if (missing.size > 0) {
    for (const [image, host] of libraryClosure([`/${XENSTORE_CLIENT}`]).files) {
      if (!present.has(image) && missing.has(image.replace(/.*\//, ""))) entries.push(fileOf(image, readFileSync(host)));
    }
  }
  const still = missingInImage(entries);
  if (still.length > 0) throw new Error(`baseline image: missing ${still.map((m) => `${m.lib} (needed by ${m.neededBy})`).join(", ")}`);
  return entries;
}

/** The dev image without the xen flavour's QEMU, the firmware only it opens, and libraries left unneeded. */
export function leanEntries(dev: readonly CpioEntry[], manifest: ManifestFile): CpioEntry[] {
  const dq = devQemu();
  const devData = new Set([...dq.data, ...dq.modules].map((p) => p.slice(1)));
  const group = new Map(manifest.files.map((f) => [f.path, f.group]));
  const dropped = (path: string): boolean => group.get(path) === "qemu" || (group.get(path) === "firmware" && !devData.has(path));
  const kept = dev.filter((e) => !dropped(e.path));
  const roots = elfPaths(kept).filter((p) => group.get(p.slice(1)) !== "libraries");
  const needed = new Set(libraryClosure(roots, imageFs(kept)).files.keys());
  const lean = kept.filter((e) => !(e.kind === "file" && group.get(e.path) === "libraries" && !needed.has(e.path)));
  const missing = missingInImage(lean);
  if (missing.length > 0) throw new Error(`lean image: missing ${missing.map((m) => `${m.lib} (needed by ${m.neededBy})`).join(", ")}`);
  return lean;
}

function writeAtomic(path: string, data: Uint8Array): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

export function benchImage(name: BenchImage["name"], entries: readonly CpioEntry[], gz?: Uint8Array): BenchImage {
  const cpio = writeCpio(entries);
  const compressed = gz ?? compress(cpio, "gzip");
  const rootfs = join(BENCH_DIR, `rootfs-${name}.cpio.gz`);
  writeAtomic(rootfs, compressed);
  const cpioPath = join(BENCH_DIR, `rootfs-${name}.cpio`);
  writeAtomic(cpioPath, cpio);
  const files = entries.flatMap((e) => (e.kind === "file" ? [{ path: `/${e.path}`, bytes: e.data.length }] : []));
  return { name, rootfs, cpio: cpioPath, unpackedBytes: cpio.length, compressedBytes: compressed.length, files };
}

/** Derives the bench's images from the dev rootfs of the build in `dir`. */
export function buildBenchImages(log: (line: string) => void, dir = BENCH_BUILD_DIR): BenchImages {
  const outputs = outputsIn(dir);
  for (const f of [outputs.kernel, outputs.devRootfs, outputs.devManifest]) if (!existsSync(f)) throw new Error(`${f} is missing: run the bench's build step (npm run bench -- --only build)`);
  mkdirSync(BENCH_DIR, { recursive: true });
  const gz = readFileSync(outputs.devRootfs);
  const dev = readCpio(gunzipSync(gz));
  const manifest = JSON.parse(readFileSync(outputs.devManifest, "utf8")) as ManifestFile;
  const images: BenchImages = {
    kernel: { path: outputs.kernel, description: manifest.sources.kernel ?? "the build's kernel" },
    ours: benchImage("ours", dev, gz),
    baseline: benchImage("baseline", baselineEntries(dev, readFileSync(BASELINE_SCRIPT))),
    lean: benchImage("lean", leanEntries(dev, manifest)),
  };
  for (const i of [images.ours, images.baseline, images.lean]) log(`bench image ${i.name}: ${i.rootfs}, ${(i.unpackedBytes / 2 ** 20).toFixed(2)} MiB unpacked`);
  return images;
}

/** What one image has that the other lacks (same path, different size counts as different). */
export function filesOnlyIn(a: BenchImage, b: BenchImage): { path: string; bytes: number }[] {
  const other = new Map(b.files.map((f) => [f.path, f.bytes]));
  return a.files.filter((f) => other.get(f.path) !== f.bytes);
}
