// The lean QEMU build's inputs as data: the configure flags the issue names and those each QEMU
// release adds, the device list, the cache key (every input changes it; nothing else does), the
// source version chosen from `apt-cache showsrc`, and ninja's progress lines; the build's
// --qemu/--kernel choices; a kernel with everything built in gives the init an empty module list.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { kernelChoice, xenQemuChoice } from "../../host/image/build.ts";
import { ninjaProgress } from "../../buildkit/buildProcess.ts";
import { CONFIGURE_FLAGS, configureFlags, deviceLines, DEVICES, LEAN_QEMU, leanQemuHash, patches } from "../../qemu/leanQemu.ts";
import { findsPcifrontAddress, upstreamRelease } from "../../qemu/qemuRelease.ts";
import { BUILT_IN_LIST, moduleItems } from "../../host/image/flavours.ts";
import { parseModuleList } from "../../init/kernelModules.ts";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { debianXen, XEN_QEMU } from "../../qemu/debianXen.ts";
import { XEN_RELEASE_TABLE } from "../../qemu/xenReleases.ts";
import { readElfDynamic } from "../../rootfs/elf.ts";

test("configure: only i386-softmmu with Xen and passthrough, no TCG/KVM, no default features or devices, seccomp, -Os", () => {
  for (const flag of [
    "--target-list=i386-softmmu", "--without-default-features", "--enable-xen", "--enable-xen-pci-passthrough",
    "--disable-tcg", "--disable-kvm", "--disable-docs", "--disable-tools", "--disable-user", "--disable-install-blobs",
    "--audio-drv-list=", "--enable-trace-backends=nop", "--without-default-devices", "--enable-seccomp", "--extra-cflags=-Os",
  ]) assert.ok(CONFIGURE_FLAGS.includes(flag), flag);
  assert.ok(CONFIGURE_FLAGS.includes("--prefix=/usr") && LEAN_QEMU === "/usr/bin/qemu-system-i386", "firmware is found relative to <prefix>/bin");
  assert.ok(CONFIGURE_FLAGS.some((f) => /^--firmwarepath=.*\/usr\/share\/seabios.*\/usr\/lib\/ipxe\/qemu/.test(f)), "Debian's ROM dirs");
  for (const d of DEVICES) assert.match(d, /^CONFIG_[A-Z0-9_]+=y$/);
  for (const d of ["I440FX", "IDE_PIIX", "RTL8139_PCI", "E1000_PCI", "VGA_PCI", "VGA_CIRRUS", "USB_UHCI", "SERIAL_ISA"]) {
    assert.ok(DEVICES.includes(`CONFIG_${d}=y`), d);
  }
});

const DEB12 = "1:7.2+dfsg-7+deb12u18";
const DEB13 = "1:10.0.13+ds-0+deb13u1";

test("leanQemuHash: stable, and changed by the suite, the version, a flag, a device or a patch", () => {
  const base = leanQemuHash("bookworm", DEB12, CONFIGURE_FLAGS, DEVICES, []);
  assert.is(leanQemuHash("bookworm", DEB12, CONFIGURE_FLAGS, DEVICES, []), base);
  assert.match(base, /^[0-9a-f]{16}$/);
  const others = [
    leanQemuHash("trixie", DEB12, CONFIGURE_FLAGS, DEVICES, []),
    leanQemuHash("bookworm", "1:7.2+dfsg-7+deb12u19", CONFIGURE_FLAGS, DEVICES, []),
    leanQemuHash("bookworm", DEB12, [...CONFIGURE_FLAGS, "--enable-vnc"], DEVICES, []),
    leanQemuHash("bookworm", DEB12, CONFIGURE_FLAGS, [...DEVICES, "CONFIG_AHCI=y"], []),
    leanQemuHash("bookworm", DEB12, CONFIGURE_FLAGS, DEVICES, [{ name: "0001-x.patch", data: new TextEncoder().encode("--- a\n") }]),
  ];
  assert.is(new Set([base, ...others]).size, 6);
});

test("patches: each QEMU release's own folder; 10.0 declares error_report() for xen_pt.c and marks chain-4 writes dirty where they land, 7.2 needs none", () => {
  assert.equal(patches(DEB12), []);
  const deb13 = patches(DEB13);
  assert.equal(deb13.map((p) => p.name), ["0001-xen_pt-include-error-report.patch", "0002-vga-chain4-dirty-offset.patch"]);
  assert.match(new TextDecoder().decode(deb13[0]!.data), /\+#include "qemu\/error-report.h"/);
  assert.match(new TextDecoder().decode(deb13[1]!.data), /\+ +memory_region_set_dirty\(&s->vram, \(addr << 2\) \| plane, 1\);/);
  assert.is.not(leanQemuHash("trixie", DEB13), leanQemuHash("trixie", DEB13, configureFlags(DEB13), DEVICES, []), "the patch is in the key");
});

const releases: [string, [number, number]][] = [
  [DEB12, [7, 2]],
  [DEB13, [10, 0]],
  ["8.2.1+ds-1", [8, 2]],
  ["1:9.10~rc1", [9, 10]],
];
for (const [version, want] of releases) test(`upstreamRelease: ${version}`, () => assert.equal(upstreamRelease(version), want));
test("upstreamRelease: a version that names no release is an error naming it", () => {
  assert.throws(() => upstreamRelease("git-snapshot"), /git-snapshot/);
});

const pcifront: [string, boolean][] = [[DEB12, false], ["1:9.0.2+ds-1", false], ["1:9.1.0+ds-1", true], [DEB13, true]];
for (const [version, finds] of pcifront) test(`findsPcifrontAddress: ${version} is ${finds}`, () => assert.is(findsPcifrontAddress(version), finds));

const added: [string, string[], string[]][] = [
  [DEB12, [], []],
  ["1:8.1.5+ds-1", [], []],
  ["1:8.2.0+ds-1", ["--enable-pixman"], []],
  [DEB13, ["--enable-pixman", "--disable-fdt"], ["CONFIG_USB_HID=y", "CONFIG_FDC_ISA=y"]],
];
for (const [version, flags, devices] of added) {
  test(`configureFlags and deviceLines ${version}: the common ones, then ${[...flags, ...devices].join(" ") || "nothing"}`, () => {
    assert.equal(configureFlags(version), [...CONFIGURE_FLAGS, ...flags]);
    assert.equal(deviceLines(version), [...DEVICES, ...devices]);
  });
}

test("ninjaProgress reads [n/N]; other lines are not progress", () => {
  assert.is(ninjaProgress("[597/1194] Compiling C object x.o"), 0.5);
  assert.is(ninjaProgress("FAILED: x.o"), undefined);
});

test("--qemu lean|debian and --kernel debian|minimal, with defaults; anything else is a clear error", () => {
  assert.is(xenQemuChoice(undefined), "lean");
  assert.is(xenQemuChoice("debian"), "debian");
  assert.throws(() => xenQemuChoice("qubes"), /--qemu qubes: expected one of lean, debian/);
  assert.is(kernelChoice(undefined), "minimal");
  assert.is(kernelChoice("debian"), "debian");
  assert.throws(() => kernelChoice("tiny"), /--kernel tiny/);
});

test("a kernel with everything built in: no module files, and a module list the init reads as empty", () => {
  const items = moduleItems({ release: "stubdom", package: "linux-source-6.1", version: "1", vmlinuz: "/x", modulesDir: "/nonexistent", config: "/x", builtIn: true }, ["xen-privcmd"]);
  assert.equal(items.map((i) => i.image), ["etc/stubdom/modules"]);
  const item = items[0]!;
  assert.ok(item.kind === "data");
  assert.is(new TextDecoder().decode(item.data), BUILT_IN_LIST);
  assert.equal(parseModuleList(BUILT_IN_LIST), []);
});

test("each xen QEMU says whether it takes -sandbox, as its libseccomp link does: Debian's binary does not", () => {
  const xen = debianXen(XEN_RELEASE_TABLE["4.17"]);
  const binary = xen.layers.map((l) => join(l.dir, XEN_QEMU)).find((p) => existsSync(p));
  assert.ok(binary, `${XEN_QEMU} in the unpacked packages`);
  const links = readElfDynamic(readFileSync(binary)).needed.some((l) => l.startsWith("libseccomp"));
  assert.is(xen.qemu.seccomp, links);
  assert.is(xen.qemu.seccomp, false);
  assert.ok(CONFIGURE_FLAGS.includes("--enable-seccomp"), "the lean build has it (its libseccomp link is checked on the image)");
});

test.run();
