// The xen flavour's device model by default: QEMU built from Debian's `qemu` source package (its
// deb-src entries: setup adds them to this host, a chroot has them from its making) with only what
// libxl's `-machine xenfv` argv uses, so the stubdom's rootfs and RAM stay small. Debian's
// qemu-system-xen links spice, gstreamer, usb and OpenSSL; this one links glib, pixman, zlib,
// libseccomp and the Xen libraries. One code path builds it in any build root: on this host
// (Debian 12: QEMU 7.2 against Xen 4.17) or in a Debian 13 chroot (QEMU 10.0 against Xen 4.20).
// The build runs once per input hash (suite, source version, configure flags, device list, our
// patches for that QEMU release) into <cache>/qemu-lean/<hash>/root, a layer holding
// /usr/bin/qemu-system-i386, stripped.
//   tsx qemu/leanQemu.ts    builds it on this host (or finds it cached) and prints where it is
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cacheEntry, inputHash } from "../buildkit/cache.ts";
import { ninjaProgress, runLogged } from "../buildkit/buildProcess.ts";
import { hostBuildRoot, runIn, type BuildRoot } from "../buildkit/buildRoot.ts";
import type { Layer } from "../buildkit/debianPackages.ts";
import { newestVersion, showsrcVersions } from "../buildkit/debianSource.ts";
import { applyPatches, patchHashParts, readPatches, type SourcePatch } from "../buildkit/sourcePatches.ts";
import { KEYMAP_DIR, QEMU_KEYMAPS, xenQemuData } from "./debianXen.ts";
import { findsPcifrontAddress, reached, upstreamRelease } from "./qemuRelease.ts";
import type { QemuSource } from "./qemuSource.ts";
import type { XenRelease } from "./xenReleases.ts";

export const SOURCE_PACKAGE = "qemu";
/** Where the binary sits in the image: the firmware path below is found relative to it (<bindir>/../share/...). */
export const LEAN_QEMU = "/usr/bin/qemu-system-i386";
/** The name of our device list in the tree: configs/devices/i386-softmmu/<name>.mak. */
const DEVICES_NAME = "stubdom";
export const PATCH_DIR = join(dirname(fileURLToPath(import.meta.url)), "patches");

/**
 * What the build needs in a Debian root made for it (buildkit/debianChroot.ts). This host's own
 * are installed by host/bin/setup.js (plain JS, its own list: QEMU 7.2 needs libfdt-dev there, no venv).
 */
export const BUILD_PACKAGES: readonly string[] = [
  "gcc",
  "make",
  "dpkg-dev", // dpkg-source unpacks what apt-get source fetched
  "meson",
  "ninja-build",
  "python3-venv", // QEMU 8.1+'s configure makes a Python venv and needs ensurepip for it
  "pkgconf",
  "libglib2.0-dev",
  "libpixman-1-dev", // the display devices (std/cirrus VGA)
  "zlib1g-dev",
  "libseccomp-dev", // --enable-seccomp: the init starts QEMU with -sandbox on
  "libxen-dev", // --enable-xen --enable-xen-pci-passthrough, against the root's Xen release
];

/**
 * configure's arguments. Everything optional is off (`--without-default-features`), then: Xen with
 * PCI passthrough, no TCG/KVM (Xen runs the guest), seccomp for the init's `-sandbox on`, and no
 * device but those in DEVICES (and DEVICES_SINCE). Firmware is looked up where Debian's seabios
 * and ipxe-qemu put it.
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
  // The guest's screen for the display bridge (display/): QEMU's VNC server on a unix socket only
  // the init reaches; no JPEG, PNG or SASL.
  "--enable-vnc",
  "--without-default-devices",
  `--with-devices-i386=${DEVICES_NAME}`,
  "--extra-cflags=-Os",
];

/** An input for newer QEMUs only, from the release that needs it on (older ones reject it, or do it by themselves). */
export interface SinceRelease {
  since: readonly [number, number];
  value: string;
}

/**
 * pixman became an optional feature in 8.2, which `--without-default-features` turns off: the VGA
 * devices would still build, but with no pixman display surfaces (and no screendump). 7.2's i386
 * target requires libfdt (setup installs it); 10.0's needs it only for microvm, which we leave out,
 * and without the flag it would fetch dtc with git.
 */
export const FLAGS_SINCE: readonly SinceRelease[] = [
  { since: [8, 2], value: "--enable-pixman" },
  { since: [10, 0], value: "--disable-fdt" },
];

/** `base`, then each of `since` that the source version has reached. */
function forRelease(base: readonly string[], since: readonly SinceRelease[], debianVersion: string): string[] {
  return [...base, ...since.filter((s) => reached(debianVersion, s.since)).map((s) => s.value)];
}

/** configure's arguments for one source version. */
export const configureFlags = (debianVersion: string): string[] => forRelease(CONFIGURE_FLAGS, FLAGS_SINCE, debianVersion);

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

/**
 * Devices 7.2 built along with others, which newer QEMUs leave to `default y` or `imply` and so
 * `--without-default-devices` drops: usb-tablet (7.2 built it with CONFIG_USB), and the PC's floppy
 * controller (7.2's PC selects it, 10.0's only implies it; hvmloader's ACPI tables describe one).
 */
export const DEVICES_SINCE: readonly SinceRelease[] = [
  { since: [10, 0], value: "CONFIG_USB_HID=y" },
  { since: [10, 0], value: "CONFIG_FDC_ISA=y" },
];

/** The device list for one source version. */
export const deviceLines = (debianVersion: string): string[] => forRelease(DEVICES, DEVICES_SINCE, debianVersion);

/** The newest version of the source package the root's deb-src entries offer (the -security suite's when newer). */
export function sourceVersion(root: BuildRoot, pkg = SOURCE_PACKAGE): string {
  const version = newestVersion(showsrcVersions(runIn(root.at(tmpdir()), "apt-cache", ["showsrc", "--only-source", pkg], tmpdir()), pkg));
  if (!version) {
    throw new Error(`apt-cache showsrc ${pkg} in ${root.where} finds no source: npm run setup adds this host's deb-src entries and runs apt-get update; a chroot has them from its making`);
  }
  return version;
}

/**
 * Our patches over Debian's tree of one QEMU release, from its folder (qemu/patches/10.0/), in
 * name order; each is part of the input hash.
 */
export const patches = (debianVersion: string, dir = PATCH_DIR): SourcePatch[] => readPatches(join(dir, upstreamRelease(debianVersion).join(".")));

/**
 * The VNC server loads a keymap at start (en-us, or libxl's `-k <keymap>`) even when every key
 * comes as a raw scancode, and QEMU exits without it: the tree's keymaps go with the binary.
 */
function copyKeymaps(from: string, to: string): void {
  const names = readdirSync(from).filter((f) => (QEMU_KEYMAPS as readonly string[]).includes(f));
  const missing = QEMU_KEYMAPS.filter((k) => !names.includes(k));
  if (missing.length > 0) throw new Error(`qemu-lean: the source tree has no keymaps ${missing.join(", ")} in ${from}`);
  mkdirSync(to, { recursive: true });
  for (const k of names) copyFileSync(join(from, k), join(to, k));
}

/** The cache key: everything that decides the binary's bytes apart from the build tools. */
export function leanQemuHash(
  suite: string,
  version: string,
  flags: readonly string[] = configureFlags(version),
  devices: readonly string[] = deviceLines(version),
  ps = patches(version),
): string {
  return inputHash(["qemu-lean/2", suite, version, ...flags, "--", ...devices, "--", ...patchHashParts(ps)]);
}

export interface LeanQemuBuild {
  layer: Layer;
  binary: string;
  /** The Debian suite it was built in, and the version of its source package. */
  suite: string;
  version: string;
}

/** Builds the lean QEMU in `root` (this host by default), or returns it from the cache. */
export async function buildLeanQemu(root: BuildRoot, log: (line: string) => void = () => undefined, jobs = cpus().length): Promise<LeanQemuBuild> {
  const version = sourceVersion(root);
  const flags = configureFlags(version);
  const devices = deviceLines(version);
  const entry = cacheEntry("qemu-lean", leanQemuHash(root.suite, version, flags, devices));
  const out = join(entry.dir, "root");
  const result: LeanQemuBuild = { layer: { dir: out, package: `src:${SOURCE_PACKAGE}`, version }, binary: join(out, LEAN_QEMU), suite: root.suite, version };
  if (entry.hit) {
    log(`qemu-lean: ${root.suite} ${SOURCE_PACKAGE} ${version} (cached, ${entry.dir})`);
    return result;
  }
  const t0 = Date.now();
  const work = join(entry.dir, ".work");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const runner = root.at(work);
  log(`qemu-lean: apt-get source ${SOURCE_PACKAGE}=${version} in ${root.where} (a cold build takes minutes; cached afterwards in ${entry.dir})`);
  runIn(runner, "apt-get", ["source", "-q", "--download-only", `${SOURCE_PACKAGE}=${version}`], work);
  const dsc = readdirSync(work).find((f) => f.endsWith(".dsc"));
  if (!dsc) throw new Error(`apt-get source ${SOURCE_PACKAGE}=${version} left no .dsc in ${work}`);
  // Unpacks the upstream tarball and applies Debian's patch series.
  runIn(runner, "dpkg-source", ["-x", dsc, "src"], work);
  const src = join(work, "src");
  applyPatches(src, patches(version), log, "qemu-lean");
  writeFileSync(join(src, "configs/devices/i386-softmmu", `${DEVICES_NAME}.mak`), devices.join("\n") + "\n");
  const obj = join(work, "obj");
  mkdirSync(obj);
  log(`qemu-lean: configure ${flags.join(" ")}`);
  await runLogged({ ...runner("../src/configure", flags, obj), logFile: join(entry.dir, "configure.log"), label: "qemu-lean: configure" }, log);
  await runLogged({ ...runner("ninja", [`-j${jobs}`, "qemu-system-i386"], obj), logFile: join(entry.dir, "ninja.log"), label: "qemu-lean: compiling", progress: ninjaProgress }, log);
  runIn(runner, "strip", ["--strip-unneeded", "qemu-system-i386"], obj);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(dirname(result.binary), { recursive: true });
  copyFileSync(join(obj, "qemu-system-i386"), result.binary);
  copyKeymaps(join(src, "pc-bios", "keymaps"), join(out, KEYMAP_DIR.slice(1)));
  rmSync(work, { recursive: true, force: true });
  writeFileSync(entry.stamp, `${root.suite} ${SOURCE_PACKAGE} ${version}\n${flags.join(" ")}\n${devices.join(" ")}\n`);
  log(`qemu-lean: built in ${root.suite} in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${statSync(result.binary).size} bytes stripped`);
  return result;
}

/**
 * The lean build as the xen flavour's QemuSource, with the ROMs of `release`'s suite. `firmware`
 * holds Debian's seabios and ipxe-qemu when they are unpacked layers (debianXen); a chroot has
 * them installed.
 */
export function leanQemuSource(build: LeanQemuBuild, release: XenRelease, firmware: readonly Layer[]): QemuSource {
  return {
    description: `QEMU built from Debian ${build.suite} source ${SOURCE_PACKAGE} ${build.version} (qemu/leanQemu.ts)`,
    binary: LEAN_QEMU,
    modules: [],
    data: xenQemuData(release),
    layers: [build.layer, ...firmware],
    seccomp: CONFIGURE_FLAGS.includes("--enable-seccomp"),
    pcifrontLookup: findsPcifrontAddress(build.version),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  buildLeanQemu(hostBuildRoot(), console.log).then(
    (b) => console.log(b.binary),
    (e: Error) => {
      console.error(`qemu-lean: ${e.message}`);
      process.exit(1);
    },
  );
}
