// The image flavours, from one manifest:
// - xen-<release>: what a stock Xen host of that release runs as the stubdom: the init, busybox, the
//   Xen kernel modules, the device model for Xen (a pluggable QemuSource), vchan-socket-proxy and
//   the libraries they link, all of that release's Debian suite (qemu/xenInputs.ts);
// - dev: xen-4.17's plus what dev mode needs without Xen: the virtio modules, Debian's
//   qemu-system-x86_64 (TCG) as the device model, and the boot-sector demo guest.
import { readFileSync } from "node:fs";
import { loadOrder, moduleName, parseModulesDep } from "../../kernel/modulesDep.ts";
import { devModules, moduleParams, xenModules } from "../../kernel/moduleSets.ts";
import type { KernelBuild } from "../../kernel/debianKernel.ts";
import { qemuItems, type QemuSource } from "../../qemu/qemuSource.ts";
import type { XenInputs } from "../../qemu/xenInputs.ts";
import { vchanSocketProxy, type XenReleaseName } from "../../qemu/xenReleases.ts";
import type { Layer } from "../../buildkit/debianPackages.ts";
import { IMAGE_INFO } from "../../rootfs/imageInfo.ts";
import { BUILD, baseItems, busyboxItems, manifestFs, type Manifest, type ManifestItem } from "../../rootfs/manifest.ts";
import { DISPLAY_BUNDLE } from "../../init/displayService.ts";

export interface FlavourInputs {
  stubjs: string;
  /** Which QuickJS stubjs and the bytecode are of, for the manifest: "QuickJS 2025-04-26 (Debian trixie source quickjs ...)". */
  runtime: string;
  initBundle: string;
  /** The display bridge's bundle (display/). */
  displayBundle: string;
  kernel: KernelBuild;
  /** One Xen release's device model, Xen tools and the trees they come from. */
  xen: XenInputs;
}

export interface DevInputs {
  qemu: QemuSource;
  demoGuest: Uint8Array;
}

export const DEMO_GUEST_PATH = "/usr/share/stubdom/demo-guest.img";
/** Where image.json sits in the archive (paths there are relative). */
export const IMAGE_INFO_PATH = IMAGE_INFO.slice(1);

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The kernel's layer: its modules come from the unpacked kernel package. */
export const kernelLayer = (kernel: KernelBuild): Layer => ({ dir: kernel.modulesDir, package: kernel.package, version: kernel.version });

/** What the module list says when the kernel has everything built in; the init loads nothing. */
export const BUILT_IN_LIST = "# none: every driver is built into this kernel (kernel/minimalKernel.ts)\n";

/** The kernel modules in load order, and the list file the init reads. */
export function moduleItems(kernel: KernelBuild, wanted: readonly string[]): ManifestItem[] {
  if (kernel.builtIn) return [{ kind: "data", image: "etc/stubdom/modules", data: text(BUILT_IN_LIST), group: "config" }];
  const dep = parseModulesDep(readFileSync(`${kernel.modulesDir}/modules.dep`, "utf8"));
  const order = loadOrder(wanted, dep);
  const image = (file: string): string => `lib/modules/${kernel.release}/${file}`;
  const list = order.map((f) => {
    const params = moduleParams[moduleName(f)];
    return params ? `/${image(f)} ${params}` : `/${image(f)}`;
  });
  return [
    ...order.map((f): ManifestItem => ({ kind: "host", image: image(f), host: `${kernel.modulesDir}/${f}`, group: "kernel-modules", mode: 0o644 })),
    { kind: "data", image: "etc/stubdom/modules", data: text(list.join("\n") + "\n"), group: "config" },
  ];
}

/** Where stubjs as PID 1 finds the init (DEFAULT_INIT in runtime/native/stubjs.c): its bytecode. */
export const INIT_BUNDLE = "/lib/stubdom/init.jsbc";

function runtimeItems(inputs: FlavourInputs): ManifestItem[] {
  return [
    { kind: "host", image: "init", host: inputs.stubjs, group: "runtime+init", mode: 0o755, package: BUILD },
    { kind: "host", image: INIT_BUNDLE.slice(1), host: inputs.initBundle, group: "runtime+init", mode: 0o644, package: BUILD },
    { kind: "host", image: DISPLAY_BUNDLE.slice(1), host: inputs.displayBundle, group: "runtime+init", mode: 0o644, package: BUILD },
  ];
}

function imageInfoItem(info: Manifest["imageInfo"]): ManifestItem {
  return { kind: "data", image: IMAGE_INFO_PATH, data: text(JSON.stringify(info) + "\n"), group: "config" };
}

const uniqueLayers = (layers: readonly Layer[]): Layer[] => [...new Map(layers.map((l) => [l.dir, l])).values()];

/** A xen manifest's flavour name: its column in the size report, and its place in build errors. */
export const xenFlavour = (release: XenReleaseName): string => `xen-${release}`;

export function xenManifest(inputs: FlavourInputs): Manifest {
  const { qemu, release, root } = inputs.xen;
  const layers = uniqueLayers([...qemu.layers, ...inputs.xen.layers, ...(inputs.kernel.builtIn ? [] : [kernelLayer(inputs.kernel)])]);
  const fs = manifestFs(layers, root);
  const proxy = vchanSocketProxy(release.release);
  const imageInfo = { flavour: "xen", qemu: qemu.binary, sandbox: qemu.seccomp, qmpProxy: proxy, xenRelease: release.release, pcifrontLookup: qemu.pcifrontLookup };
  return {
    flavour: xenFlavour(release.release),
    imageInfo,
    layers,
    root,
    sources: { qemu: qemu.description, xen: inputs.xen.description, kernel: `${inputs.kernel.package} ${inputs.kernel.version}`, runtime: inputs.runtime },
    items: [
      ...baseItems,
      ...runtimeItems(inputs),
      ...busyboxItems(fs),
      ...moduleItems(inputs.kernel, xenModules),
      ...qemuItems(qemu, fs, { binary: "qemu", data: "firmware" }),
      { kind: "host", image: proxy.slice(1), host: fs.hostPath(fs.realpath(proxy)), group: "xen-tools", mode: 0o755, elf: true },
      imageInfoItem(imageInfo),
    ],
  };
}

/**
 * The xen manifest, plus dev mode's modules, QEMU and demo guest; its image.json names the dev QEMU.
 * Dev mode runs Debian's qemu-system-x86 from this host, so `inputs` are of this host's release.
 */
export function devManifest(inputs: FlavourInputs, dev: DevInputs): Manifest {
  if (inputs.xen.root !== "/") throw new Error(`the dev flavour is built on this host, not on the Debian root ${inputs.xen.root} of Xen ${inputs.xen.release.release}`);
  const xen = xenManifest(inputs);
  const layers = uniqueLayers([...xen.layers, ...dev.qemu.layers]);
  const imageInfo = { ...xen.imageInfo, flavour: "dev", qemu: dev.qemu.binary, sandbox: dev.qemu.seccomp, pcifrontLookup: dev.qemu.pcifrontLookup };
  const replaced = new Set([IMAGE_INFO_PATH, "etc/stubdom/modules"]);
  const xenModuleFiles = new Set(xen.items.filter((i) => i.kind === "host" && i.group === "kernel-modules").map((i) => i.image));
  return {
    flavour: "dev",
    imageInfo,
    layers,
    root: xen.root,
    sources: { ...xen.sources, devQemu: dev.qemu.description },
    items: [
      ...xen.items.filter((i) => !replaced.has(i.image) && !xenModuleFiles.has(i.image)),
      ...moduleItems(inputs.kernel, devModules),
      ...qemuItems(dev.qemu, manifestFs(layers, xen.root), { binary: "dev-qemu", data: "firmware" }),
      { kind: "data", image: DEMO_GUEST_PATH.slice(1), data: dev.demoGuest, group: "demo-guest" },
      imageInfoItem(imageInfo),
    ],
  };
}
