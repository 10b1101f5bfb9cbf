#!/usr/bin/env node
// First step of `npm start` and `npm test`: installs the Debian packages and npm dependencies the
// project needs. Idempotent and silent when everything is there. Plain JS: it runs before npm
// dependencies exist.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";

const PACKAGES = [
  "qemu-system-x86", // dev-mode VM and the dev flavour's device model
  "busybox-static", // the rootfs's shell and applets
  "musl-tools", // musl-gcc for the static QuickJS runtime
  "xenstore-utils", // Xen's own XenStore clients, our referee
  "kmod", // depmod for the kernel's modules.dep
  "cpio", // GNU cpio, referee for our archive writer
  "util-linux", // unshare and nsenter for the native tier
  "iproute2", // ip netns and veth pairs: the native tier's PV NICs
  "tcpdump", // sees a packet cross a stubdom bridge in the native tier
  "mmdebstrap", // the Xen test bed's Debian dom0 root (npm run test:xen), and the Debian 13 root the xen-4.20 image is built in
  "e2fsprogs", // mkfs.ext4 -d: the Xen test bed's dom0 root image
  "libspice-server1", // linked by qemu-system-xen's QEMU, copied into the xen rootfs from the host
  "libusb-1.0-0", // linked by qemu-system-xen's QEMU, copied into the xen rootfs from the host
  "xz-utils", // xz for `npm run build -- --xz` rootfs images, and Debian 13 kernel modules in the Xen test bed's initramfs
  "lintian", // referee of the Debian packages `npm run package` builds (test/native/debPackage.test.ts)
  "groff-base", // renders stubdomctl.8 in that test, to hold the man page to the tool's help
  // The lean QEMU for the xen flavour, built from Debian's `qemu` source package (qemu/leanQemu.ts):
  "dpkg-dev", // apt-get source unpacks with dpkg-source
  "meson", // QEMU 7.2's build system (with ninja)
  "ninja-build",
  "pkgconf", // configure finds its libraries with pkg-config
  "gcc",
  "libxen-dev", // --enable-xen --enable-xen-pci-passthrough
  "libglib2.0-dev",
  "libpixman-1-dev", // the display devices (std/cirrus VGA)
  "libfdt-dev",
  "zlib1g-dev",
  "libseccomp-dev", // --enable-seccomp: the init starts QEMU with -sandbox on
  // The minimal kernel (`npm run build -- --kernel minimal`, kernel/minimalKernel.ts):
  "make",
  "bc",
  "bison",
  "flex",
  "libelf-dev", // objtool
];

// Debian's sources, for `apt-get source qemu` (the lean QEMU build): a deb-src entry for the same
// archive and suites as the image's binary packages. Written once; apt-get update then reads it.
const SRC_ENTRY = "/etc/apt/sources.list.d/stubdom-init-src.sources";
const SRC_TEXT = `# Written by stubdom-init (host/bin/setup.js): sources for the lean QEMU build.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

const fail = (sentence) => {
  console.error(`setup: ${sentence}`);
  process.exit(1);
};

const installed = (pkg) => {
  const r = spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" });
  return r.status === 0 && r.stdout.includes("install ok installed");
};

const hasCandidate = (pkg) => /Candidate: (?!\(none\))/.test(spawnSync("apt-cache", ["policy", pkg], { encoding: "utf8" }).stdout ?? "");

const run = (cmd, args, what) => {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (r.status !== 0) fail(`${what} failed (exit ${r.status}); is the Debian archive reachable?`);
};

const missing = PACKAGES.filter((p) => !installed(p));
const hasSource = (pkg) => /^Package: /m.test(spawnSync("apt-cache", ["showsrc", "--only-source", pkg], { encoding: "utf8" }).stdout ?? "");
const writeSrc = !existsSync(SRC_ENTRY);
// The kernel .deb is fetched with `apt-get download`, and QEMU's source with `apt-get source`: both need package lists.
const needLists = missing.length > 0 || writeSrc || !hasCandidate("linux-image-cloud-amd64") || !hasSource("qemu");
if (needLists || missing.length > 0) {
  if (process.getuid?.() !== 0) fail(`Debian packages are missing (${missing.join(", ") || "package lists"}); run this as root so apt-get can install them`);
  if (writeSrc) {
    console.log(`setup: adding ${SRC_ENTRY} (deb-src)`);
    writeFileSync(SRC_ENTRY, SRC_TEXT);
  }
  if (needLists) {
    console.log("setup: apt-get update");
    run("apt-get", ["update", "-qq"], "apt-get update");
  }
  if (missing.length > 0) {
    console.log(`setup: installing ${missing.join(" ")}`);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], "apt-get install");
  }
}

const lock = "package-lock.json";
const marker = "node_modules/.package-lock.json";
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  console.log("setup: npm ci");
  try {
    execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { stdio: "inherit" });
  } catch {
    fail("npm ci failed; is the npm registry reachable?");
  }
}
