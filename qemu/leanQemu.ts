// The xen flavour's device model by default: QEMU built from Debian's `qemu` source package (the
// same archive, through the deb-src entry setup adds) with only what libxl's `-machine xenfv`
// argv uses, so the stubdom's rootfs and RAM stay small. Debian's qemu-system-xen links spice,
// gstreamer, usb and OpenSSL; this one links glib, pixman, zlib, libseccomp and the Xen libraries.
// The build runs once per input hash (source version, configure flags, device list, patches) into
// <cache>/qemu-lean/<hash>/root, a layer holding /usr/bin/qemu-system-i386, stripped.
//   tsx qemu/leanQemu.ts    builds it (or finds it cached) and prints where it is
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cacheEntry, inputHash } from "../buildkit/cache.ts";
import { ninjaProgress, runLogged } from "../buildkit/buildProcess.ts";
import type { Layer } from "../buildkit/debianPackages.ts";
import { XEN_QEMU_DATA } from "./debianXen.ts";
import type { QemuSource } from "./qemuSource.ts";

export const SOURCE_PACKAGE = "qemu";
/** Where the binary sits in the image: the firmware path below is found relative to it (<bindir>/../share/...). */
export const LEAN_QEMU = "/usr/bin/qemu-system-i386";
/** The name of our device list in the tree: configs/devices/i386-softmmu/<name>.mak. */
const DEVICES_NAME = "stubdom";
export const PATCH_DIR = join(dirname(fileURLToPath(import.meta.url)), "patches");

/**
 * configure's arguments. Everything optional is off (`--without-default-features`), then: Xen with
 * PCI passthrough, no TCG/KVM (Xen runs the guest), seccomp for the init's `-sandbox on`, and no
 * device but those in DEVICES. Firmware is looked up where Debian's seabios and ipxe-qemu put it.
 */
export const CONFIGURE_FLAGS: readonly string[] = [
  "--prefix=/usr",
  "--firmwarepath=/usr/share/seabios:/usr/lib/ipxe/qemu:/usr/share/qemu",
  "--target-list=i386-softmmu",
  "--without-default-features",
  "--enable-xen",
  "--enable-xen-pci-passthrough",
  "--disable-tcg",
  "--disable-kvm",
  "--disable-docs",
  "--disable-tools",
  "--disable-user",
  "--disable-install-blobs",
  "--audio-drv-list=",
  "--enable-trace-backends=nop",
  "--enable-seccomp",
  "--without-default-devices",
  `--with-devices-i386=${DEVICES_NAME}`,
  "--extra-cflags=-Os",
];

/**
 * The devices, as Kconfig lines (QEMU's minikconf adds what each selects): the xenfv machine is the
 * i440FX PC (PIIX3 with its IDE, ACPI, the Xen platform device), and libxl's argv may add: the NIC
 * models it offers (rtl8139 by default, e1000), `vga="stdvga"|"cirrus"`, `usb=1` / `usbdevice=
 * "tablet"` (UHCI + usb-tablet), serial ports.
 */
export const DEVICES: readonly string[] = [
  "CONFIG_I440FX=y",
  "CONFIG_IDE_PIIX=y",
  "CONFIG_RTL8139_PCI=y",
  "CONFIG_E1000_PCI=y",
  "CONFIG_VGA_PCI=y",
  "CONFIG_VGA_CIRRUS=y",
  "CONFIG_USB_UHCI=y",
  "CONFIG_SERIAL_ISA=y",
];

const run = (cmd: string, args: string[], cwd?: string): string =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });

/** Every Version: of `apt-cache showsrc` output for one source package. */
export function showsrcVersions(text: string, pkg: string): string[] {
  return text.split(/\n\n+/).flatMap((stanza) => {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    return name === pkg && version ? [version] : [];
  });
}

/** The newest version of the source package the deb-src entries offer (bookworm-security's when newer). */
export function sourceVersion(pkg = SOURCE_PACKAGE): string {
  const r = spawnSync("apt-cache", ["showsrc", "--only-source", pkg], { encoding: "utf8" });
  const versions = showsrcVersions(r.stdout ?? "", pkg);
  if (versions.length === 0) throw new Error(`apt-cache showsrc ${pkg} finds no source; npm run setup adds the deb-src entry and runs apt-get update`);
  return versions.reduce((best, v) => (spawnSync("dpkg", ["--compare-versions", v, "gt", best]).status === 0 ? v : best));
}

/** Our patches over Debian's tree, in name order (none yet); each is part of the input hash. */
export function patches(dir = PATCH_DIR): { name: string; data: Uint8Array }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".patch")).sort().map((name) => ({ name, data: readFileSync(join(dir, name)) }));
}

/** The cache key: everything that decides the binary's bytes apart from the build tools. */
export function leanQemuHash(version: string, flags = CONFIGURE_FLAGS, devices = DEVICES, ps = patches()): string {
  return inputHash(["qemu-lean/1", version, ...flags, "--", ...devices, "--", ...ps.flatMap((p) => [p.name, p.data])]);
}

export interface LeanQemuBuild {
  layer: Layer;
  binary: string;
  version: string;
}

/** Builds the lean QEMU, or returns it from the cache. */
export async function buildLeanQemu(log: (line: string) => void = () => undefined, jobs = cpus().length): Promise<LeanQemuBuild> {
  const version = sourceVersion();
  const entry = cacheEntry("qemu-lean", leanQemuHash(version));
  const root = join(entry.dir, "root");
  const result: LeanQemuBuild = { layer: { dir: root, package: `src:${SOURCE_PACKAGE}`, version }, binary: join(root, LEAN_QEMU), version };
  if (entry.hit) {
    log(`qemu-lean: ${SOURCE_PACKAGE} ${version} (cached, ${entry.dir})`);
    return result;
  }
  const t0 = Date.now();
  const work = join(entry.dir, ".work");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(`qemu-lean: apt-get source ${SOURCE_PACKAGE}=${version} (a cold build takes minutes; cached afterwards in ${entry.dir})`);
  run("apt-get", ["source", "-q", "--download-only", `${SOURCE_PACKAGE}=${version}`], work);
  const dsc = readdirSync(work).find((f) => f.endsWith(".dsc"));
  if (!dsc) throw new Error(`apt-get source ${SOURCE_PACKAGE}=${version} left no .dsc`);
  // Unpacks the upstream tarball and applies Debian's patch series.
  run("dpkg-source", ["-x", dsc, "src"], work);
  const src = join(work, "src");
  for (const p of patches()) {
    log(`qemu-lean: applying ${p.name}`);
    execFileSync("patch", ["-p1", "--forward", "--quiet"], { cwd: src, input: p.data });
  }
  writeFileSync(join(src, "configs/devices/i386-softmmu", `${DEVICES_NAME}.mak`), DEVICES.join("\n") + "\n");
  const obj = join(work, "obj");
  mkdirSync(obj);
  log(`qemu-lean: configure ${CONFIGURE_FLAGS.join(" ")}`);
  await runLogged({ cmd: join(src, "configure"), args: CONFIGURE_FLAGS, cwd: obj, logFile: join(entry.dir, "configure.log"), label: "qemu-lean: configure" }, log);
  await runLogged({ cmd: "ninja", args: [`-j${jobs}`, "qemu-system-i386"], cwd: obj, logFile: join(entry.dir, "ninja.log"), label: "qemu-lean: compiling", progress: ninjaProgress }, log);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(dirname(result.binary), { recursive: true });
  copyFileSync(join(obj, "qemu-system-i386"), result.binary);
  run("strip", ["--strip-unneeded", result.binary]);
  rmSync(work, { recursive: true, force: true });
  writeFileSync(entry.stamp, `${SOURCE_PACKAGE} ${version}\n${CONFIGURE_FLAGS.join(" ")}\n${DEVICES.join(" ")}\n`);
  log(`qemu-lean: built in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${statSync(result.binary).size} bytes stripped`);
  return result;
}

/**
 * The lean build as the xen flavour's QemuSource; `firmware` holds Debian's seabios and ipxe-qemu
 * (unpacked by debianXen), which the option ROMs come from as for Debian's binary.
 */
export function leanQemuSource(build: LeanQemuBuild, firmware: readonly Layer[]): QemuSource {
  return {
    description: `QEMU built from Debian source ${SOURCE_PACKAGE} ${build.version} (qemu/leanQemu.ts)`,
    binary: LEAN_QEMU,
    modules: [],
    data: [...XEN_QEMU_DATA],
    layers: [build.layer, ...firmware],
    seccomp: CONFIGURE_FLAGS.includes("--enable-seccomp"),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  buildLeanQemu(console.log).then(
    (b) => console.log(b.binary),
    (e: Error) => {
      console.error(`qemu-lean: ${e.message}`);
      process.exit(1);
    },
  );
}
