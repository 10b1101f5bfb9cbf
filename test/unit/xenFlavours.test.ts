// One xen image per Xen release: the release table, what each release's Debian root holds, where
// each release's files are written, the manifest of an image whose files all come from a Debian
// root of another suite (a fake one here, with its own dpkg database), and the size report's inputs.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { debianSources } from "../../buildkit/debianChroot.ts";
import { outputsIn } from "../../host/image/build.ts";
import { devManifest, xenFlavour, xenManifest, type FlavourInputs } from "../../host/image/flavours.ts";
import { XEN_QEMU, xenQemuData } from "../../qemu/debianXen.ts";
import { BUILD_PACKAGES, LEAN_QEMU } from "../../qemu/leanQemu.ts";
import { chrootSpec } from "../../qemu/xenInputs.ts";
import { FIRMWARE_PACKAGES, vchanSocketProxy, XEN_RELEASE_TABLE, XEN_RELEASES, xenPackages } from "../../qemu/xenReleases.ts";
import { attributePackages, pathInRoot, type ImageFile } from "../../rootfs/image.ts";
import type { ManifestFile } from "../../rootfs/manifestFile.ts";
import { inputsLine } from "../../rootfs/sizeReport.ts";

test("the release table: 4.17 from this Debian 12 host, 4.20 from a Debian 13 root; each keyed by its own name", () => {
  assert.equal([...XEN_RELEASES], ["4.17", "4.20"]);
  for (const r of XEN_RELEASES) assert.is(XEN_RELEASE_TABLE[r].release, r);
  assert.equal(XEN_RELEASE_TABLE["4.17"], { release: "4.17", suite: "bookworm", packagesFrom: "host", nicRoms: "/usr/lib/ipxe/qemu" });
  assert.equal(XEN_RELEASE_TABLE["4.20"], { release: "4.20", suite: "trixie", packagesFrom: "chroot", nicRoms: "/usr/share/qemu" });
});

test("xenQemuData: the VGA BIOSes from seabios, the NIC ROMs from where each suite's ipxe-qemu has them, the VNC server's keymap", () => {
  assert.equal(xenQemuData(XEN_RELEASE_TABLE["4.17"]).slice(2), ["/usr/lib/ipxe/qemu/efi-rtl8139.rom", "/usr/lib/ipxe/qemu/efi-e1000.rom", "/usr/share/qemu/keymaps/en-us"]);
  assert.equal(xenQemuData(XEN_RELEASE_TABLE["4.20"]), [
    "/usr/share/seabios/vgabios-stdvga.bin", "/usr/share/seabios/vgabios-cirrus.bin", "/usr/share/qemu/efi-rtl8139.rom", "/usr/share/qemu/efi-e1000.rom", "/usr/share/qemu/keymaps/en-us",
  ]);
});

const perRelease: [string, string, string[]][] = [
  ["4.17", "/usr/lib/xen-4.17/bin/vchan-socket-proxy", ["xen-utils-4.17", "libxenmisc4.17"]],
  ["4.20", "/usr/lib/xen-4.20/bin/vchan-socket-proxy", ["xen-utils-4.20", "libxenmisc4.20"]],
];
for (const [release, proxy, packages] of perRelease) {
  test(`Xen ${release}: vchan-socket-proxy's path and the release's own packages`, () => {
    const r = release as "4.17" | "4.20";
    assert.is(vchanSocketProxy(r), proxy);
    for (const p of packages) assert.ok(xenPackages(r).includes(p), p);
    assert.ok(xenPackages(r).includes("libxenstore4"), "the libraries without a release in their name");
  });
}

test("chrootSpec: trixie's sources; what the image takes, busybox, and the lean build's tools or Debian's QEMU", () => {
  const lean = chrootSpec(XEN_RELEASE_TABLE["4.20"], "lean");
  assert.is(lean.suite, "trixie");
  assert.equal(lean.sources, debianSources("trixie"));
  for (const p of [...xenPackages("4.20"), ...FIRMWARE_PACKAGES, "busybox-static", ...BUILD_PACKAGES]) assert.ok(lean.packages.includes(p), p);
  assert.ok(BUILD_PACKAGES.includes("python3-venv"), "QEMU 10's configure makes a venv");
  assert.not.ok(lean.packages.includes("qemu-system-xen"));
  const debian = chrootSpec(XEN_RELEASE_TABLE["4.20"], "debian");
  assert.ok(debian.packages.includes("qemu-system-xen"));
  assert.not.ok(debian.packages.includes("gcc"), "no build tools when nothing is built");
});

test("outputsIn: the kernel and dev flavour at the top; per release the kernel, rootfs and manifest in xen-<release>/", () => {
  const o = outputsIn("/out");
  assert.is(o.kernel, "/out/qemu-stubdom-linux-kernel");
  assert.is(o.devRootfs, "/out/qemu-stubdom-linux-rootfs-dev");
  assert.is(o.devManifest, "/out/manifest-dev.json");
  assert.equal(Object.keys(o.xen), [...XEN_RELEASES]);
  assert.equal(o.xen["4.20"], {
    kernel: "/out/xen-4.20/qemu-stubdom-linux-kernel",
    rootfs: "/out/xen-4.20/qemu-stubdom-linux-rootfs",
    manifest: "/out/xen-4.20/manifest-xen.json",
  });
  assert.is(o.xen["4.17"].rootfs, "/out/xen-4.17/qemu-stubdom-linux-rootfs");
});

let work = "";
test.before(() => {
  work = mkdtempSync(join(tmpdir(), "xen-flavours-"));
});
test.after(() => rmSync(work, { recursive: true, force: true }));

const put = (path: string, content = "x"): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
};

/** A Debian root with a dpkg database owning one library, and busybox unowned. */
function fakeRoot(): string {
  const root = join(work, "root");
  const lib = "/usr/lib/x86_64-linux-gnu/libxenctrl.so.4.20.0";
  put(`${root}${lib}`);
  put(`${root}/usr/bin/busybox`);
  put(`${root}/var/lib/dpkg/info/format`, "1\n");
  put(`${root}/var/lib/dpkg/info/libxenmisc4.20:amd64.list`, `/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n${lib}\n`);
  put(`${root}/var/lib/dpkg/status`, [
    "Package: libxenmisc4.20", "Status: install ok installed", "Architecture: amd64", "Multi-Arch: same",
    "Version: 4.20.4-0+deb13u1", "Maintainer: x <x@example.org>", "Description: fake", "", "",
  ].join("\n"));
  return root;
}

test("attributePackages in a Debian root: its own database names the owner; a host file outside it is nobody's", () => {
  const root = fakeRoot();
  const file = (path: string, host: string): ImageFile => ({ path, size: 1, group: "libraries", package: "", host });
  const files = [
    file("usr/lib/x86_64-linux-gnu/libxenctrl.so.4.20", `${root}/usr/lib/x86_64-linux-gnu/libxenctrl.so.4.20.0`),
    file("usr/lib/x86_64-linux-gnu/libc.so.6", realpathSync("/lib/x86_64-linux-gnu/libc.so.6")),
    file("bin/busybox", `${root}/usr/bin/busybox`),
  ];
  const versions = attributePackages(files, [], root);
  assert.equal(files.map((f) => f.package), ["libxenmisc4.20", "", ""], "this host's libc is not the root's, and busybox is unowned here");
  assert.equal(Object.fromEntries(versions), { "libxenmisc4.20": "4.20.4-0+deb13u1" });
  assert.is(pathInRoot(`${root}/usr/bin/busybox`, root), "/usr/bin/busybox");
  assert.is(pathInRoot("/usr/bin/ls", root), undefined);
});

/** A Debian root holding what a lean xen image takes from it, and the lean build's layer. */
function chrootInputs(): FlavourInputs {
  const root = join(work, "image-root");
  const layer = join(work, "qemu-layer");
  const data = xenQemuData(XEN_RELEASE_TABLE["4.20"]);
  for (const p of ["/bin/busybox", vchanSocketProxy("4.20"), ...data]) put(`${root}${p}`);
  put(`${layer}${LEAN_QEMU}`);
  return {
    stubjs: "/build/stubjs",
    runtime: "QuickJS 2025-04-26 (Debian trixie source quickjs 2025.04.26-1)",
    initBundle: "/build/init.jsbc",
    displayBundle: "/build/display.jsbc",
    kernel: { release: "stubdom", package: "linux-source-6.1", version: "1", vmlinuz: "/k", modulesDir: "/none", config: "/c", builtIn: true },
    xen: {
      release: XEN_RELEASE_TABLE["4.20"],
      qemu: { description: "QEMU 10", binary: LEAN_QEMU, modules: [], data, layers: [{ dir: layer, package: "src:qemu", version: "1:10.0" }], seccomp: true, pcifrontLookup: true },
      layers: [],
      root,
      description: "Debian trixie xen-utils-4.20 4.20.4",
    },
  };
}

test("xenManifest over a Debian root: named by release, image.json says 4.20, every host file from the root or a layer", () => {
  const inputs = chrootInputs();
  const m = xenManifest(inputs);
  assert.is(m.flavour, xenFlavour("4.20"));
  assert.is(m.flavour, "xen-4.20");
  assert.is(m.root, inputs.xen.root);
  assert.equal(m.imageInfo, { flavour: "xen", qemu: LEAN_QEMU, sandbox: true, qmpProxy: vchanSocketProxy("4.20"), xenRelease: "4.20", pcifrontLookup: true });
  assert.is(m.sources.xen, "Debian trixie xen-utils-4.20 4.20.4");
  const hosts = m.items.flatMap((i) => (i.kind === "host" && !i.package ? [i.host] : []));
  const trees = [inputs.xen.root, ...inputs.xen.qemu.layers.map((l) => l.dir)];
  assert.ok(hosts.length >= 7, hosts.join(", "));
  for (const h of hosts) assert.ok(trees.some((t) => h.startsWith(`${t}/`)), `${h} is from the root or a layer`);
  assert.throws(() => devManifest(inputs, { qemu: inputs.xen.qemu, demoGuest: new Uint8Array() }), /dev flavour is built on this host/);
  assert.not.ok(m.items.some((i) => i.image === XEN_QEMU.slice(1)), "Debian's QEMU is not in a lean image");
});

const manifest = (flavour: string, sources: Record<string, string>): ManifestFile => ({
  flavour, imageInfo: { flavour, qemu: "/q" }, sources, compression: "gzip", unpacked: 1, compressed: 1, groups: {}, packages: {}, files: [], symlinks: [],
});

const lines: [string, ManifestFile[], string][] = [
  ["one image", [manifest("xen-4.17", { qemu: "Q7", kernel: "K" })], "Inputs: qemu = Q7; kernel = K."],
  [
    "inputs the images share are named once, the others with their flavours",
    [manifest("xen-4.17", { qemu: "Q7", kernel: "K" }), manifest("xen-4.20", { qemu: "Q10", kernel: "K" }), manifest("dev", { qemu: "Q7", kernel: "K", devQemu: "D" })],
    "Inputs: qemu = Q7 (xen-4.17, dev) / Q10 (xen-4.20); kernel = K; devQemu = D (dev).",
  ],
];
for (const [name, images, want] of lines) test(`inputsLine: ${name}`, () => assert.is(inputsLine(images), want));

test.run();
