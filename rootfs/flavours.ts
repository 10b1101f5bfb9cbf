// The image flavours, built from one manifest: `dev` runs under QEMU without Xen, with Debian's
// qemu-system-x86_64 (TCG) as the device model and a boot-sector demo guest.
import { readFileSync } from "node:fs";
import { loadOrder, moduleName, parseModulesDep } from "../kernel/modulesDep.ts";
import { devModules, moduleParams } from "../kernel/moduleSets.ts";
import type { KernelBuild } from "../kernel/debianKernel.ts";
import { baseItems, busyboxItems, type ManifestItem } from "./manifest.ts";

export interface FlavourInputs {
  stubjs: string;
  initBundle: string;
  kernel: KernelBuild;
  demoGuest: Uint8Array;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The kernel modules in load order, and the list file the init reads. */
export function moduleItems(kernel: KernelBuild, wanted: readonly string[]): ManifestItem[] {
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

function runtimeItems(inputs: FlavourInputs): ManifestItem[] {
  return [
    { kind: "host", image: "init", host: inputs.stubjs, group: "runtime+init", mode: 0o755 },
    { kind: "host", image: "lib/stubdom/init.js", host: inputs.initBundle, group: "runtime+init", mode: 0o644 },
  ];
}

export const DEV_QEMU = "/usr/bin/qemu-system-x86_64";
export const DEMO_GUEST_PATH = "/usr/share/stubdom/demo-guest.img";

export function devFlavour(inputs: FlavourInputs): ManifestItem[] {
  return [
    ...baseItems,
    ...runtimeItems(inputs),
    ...busyboxItems(),
    ...moduleItems(inputs.kernel, devModules),
    { kind: "data", image: "etc/stubdom/image.json", data: text(JSON.stringify({ flavour: "dev", qemu: DEV_QEMU }) + "\n"), group: "config" },
    // QEMU finds its TCG accelerator module and firmware relative to its own path (<bindir>/../).
    { kind: "host", image: DEV_QEMU.slice(1), host: DEV_QEMU, group: "qemu", mode: 0o755, elf: true },
    { kind: "host", image: "usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so", host: "/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so", group: "qemu", mode: 0o644, elf: true },
    { kind: "host", image: "usr/share/seabios/bios-256k.bin", host: "/usr/share/seabios/bios-256k.bin", group: "qemu-data", mode: 0o644 },
    { kind: "host", image: "usr/share/qemu/kvmvapic.bin", host: "/usr/share/qemu/kvmvapic.bin", group: "qemu-data", mode: 0o644 },
    { kind: "data", image: DEMO_GUEST_PATH.slice(1), data: inputs.demoGuest, group: "demo-guest" },
  ];
}
