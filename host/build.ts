// `npm run build`: the runtime, the init bundle, the kernel and the dev rootfs, into build/stubdom/.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { debianKernel } from "../kernel/debianKernel.ts";
import { demoGuestImage } from "../qemu/demoGuest.ts";
import { buildRuntime } from "../runtime/build.ts";
import { bundleInit } from "../init/bundle.ts";
import { devFlavour } from "../rootfs/flavours.ts";
import { buildImage, sizeByGroup, withLibraries } from "../rootfs/image.ts";

export const STUBDOM_DIR = "build/stubdom";
export const outputs = {
  kernel: join(STUBDOM_DIR, "qemu-stubdom-linux-kernel"),
  devRootfs: join(STUBDOM_DIR, "qemu-stubdom-linux-rootfs-dev"),
  devManifest: join(STUBDOM_DIR, "manifest-dev.json"),
} as const;

const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;
const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

export async function buildAll(log: (line: string) => void = console.log): Promise<typeof outputs> {
  mkdirSync(STUBDOM_DIR, { recursive: true });
  const stubjs = await buildRuntime();
  const initBundle = await bundleInit();
  log(`init: ${initBundle}`);
  const kernel = debianKernel(log);
  copyFileSync(kernel.vmlinuz, outputs.kernel);
  const image = buildImage(withLibraries(devFlavour({ stubjs, initBundle, kernel, demoGuest: demoGuestImage() })));
  writeFileSync(outputs.devRootfs, image.gz);
  writeFileSync(
    outputs.devManifest,
    JSON.stringify({ flavour: "dev", kernel: { package: kernel.package, version: kernel.version }, unpacked: image.cpio.length, gz: image.gz.length, files: image.files }, null, 1) + "\n",
  );
  log(`rootfs (dev): ${outputs.devRootfs} ${mib(image.cpio.length)} unpacked, ${mib(image.gz.length)} gz; ${sizeByGroup(image.files).map(([g, n]) => `${g} ${kib(n)}`).join(", ")}`);
  return outputs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  buildAll().catch((e: Error) => {
    console.error(`build failed: ${e.message}`);
    process.exit(1);
  });
}
