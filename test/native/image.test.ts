// The real build, twice, into two temp dirs (separate processes, seconds apart): the outputs must
// be byte-identical; then each image (one per Xen release, and dev) is checked by reading it: GNU
// cpio lists it, our reader round-trips it, every ELF in it finds its whole library closure inside
// it, and its manifest lists every file with its size and package, of its release's Debian suite.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { outputsIn, RESULTS_FILE, type Outputs } from "../../host/image/build.ts";
import { parseKconfig } from "../../kernel/configFragments.ts";
import { minimalKernel } from "../../kernel/minimalKernel.ts";
import { readCpio, writeCpio, type CpioEntry } from "../../rootfs/cpio.ts";
import { isElf, readElfDynamic } from "../../rootfs/elf.ts";
import { LEAN_QEMU } from "../../qemu/leanQemu.ts";
import { xenQemuData } from "../../qemu/debianXen.ts";
import { XEN_RELEASE_TABLE, XEN_RELEASES, vchanSocketProxy, type XenReleaseName } from "../../qemu/xenReleases.ts";
import { BUILT_IN_LIST, IMAGE_INFO_PATH } from "../../host/image/flavours.ts";
import { elfPaths, missingInImage } from "../../rootfs/imageCheck.ts";
import type { ManifestFile } from "../../rootfs/manifestFile.ts";
import { RESULTS_HEADING, resultsSection } from "../../rootfs/sizeReport.ts";

const BUILD_BOUND_MS = 600_000;
const MiB = 1024 * 1024;

let work = "";
let a: Outputs;

function build(dir: string): void {
  const r = spawnSync(process.execPath, ["--import", "tsx", "host/image/build.ts", "--out", dir], { encoding: "utf8", timeout: BUILD_BOUND_MS });
  if (r.status !== 0) throw new Error(`build into ${dir} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
}

test.before(() => {
  work = mkdtempSync(join(tmpdir(), "stubdom-image-"));
  a = outputsIn(join(work, "a"));
  build(join(work, "a"));
  build(join(work, "b"));
});
test.after(() => rmSync(work, { recursive: true, force: true }));

interface Flavour {
  name: string;
  release: XenReleaseName;
  rootfs: string;
  manifest: string;
}
const xenFlavours = (): Flavour[] => XEN_RELEASES.map((r) => ({ name: `xen-${r}`, release: r, rootfs: a.xen[r].rootfs, manifest: a.xen[r].manifest }));
const flavours = (): Flavour[] => [...xenFlavours(), { name: "dev", release: "4.17", rootfs: a.devRootfs, manifest: a.devManifest }];
/** Every output file, relative to the output dir. */
const documented = (o: Outputs, dir: string): string[] =>
  [o.kernel, o.devRootfs, o.devManifest, ...Object.values(o.xen).flatMap((x) => [x.kernel, x.rootfs, x.manifest])].map((p) => relative(dir, p)).sort();
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((p) => statSync(join(dir, p)).isFile()).sort();
const cache = new Map<string, { raw: Uint8Array; entries: CpioEntry[] }>();
function image(rootfs: string): { raw: Uint8Array; entries: CpioEntry[] } {
  let hit = cache.get(rootfs);
  if (!hit) {
    const raw = new Uint8Array(gunzipSync(readFileSync(rootfs)));
    hit = { raw, entries: readCpio(raw) };
    cache.set(rootfs, hit);
  }
  return hit;
}
const manifestOf = (path: string): ManifestFile => JSON.parse(readFileSync(path, "utf8")) as ManifestFile;

test("two builds from the same inputs are byte-identical, file for file", () => {
  const names = filesUnder(join(work, "a"));
  assert.equal(filesUnder(join(work, "b")), names);
  assert.equal(names, documented(a, join(work, "a")), "exactly the documented outputs");
  for (const name of names) {
    const x = readFileSync(join(work, "a", name));
    const y = readFileSync(join(work, "b", name));
    assert.ok(x.equals(y), `${name} differs between the two builds`);
  }
});

test("GNU cpio lists each archive exactly as our reader reads it, and our writer rewrites it byte for byte", () => {
  for (const f of flavours()) {
    const { raw, entries } = image(f.rootfs);
    const r = spawnSync("cpio", ["-i", "-t", "--quiet", "-H", "newc"], { input: raw, encoding: "utf8" });
    assert.is(r.status, 0, `${f.name}: cpio -t failed: ${r.stderr}`);
    assert.is(r.stderr, "", `${f.name}: cpio warned`);
    assert.equal(r.stdout.trimEnd().split("\n"), entries.map((e) => e.path), f.name);
    assert.equal(writeCpio(entries), raw, `${f.name}: round trip`);
    assert.ok(entries.some((e) => e.path === "dev/console" && e.kind === "char" && e.major === 5 && e.minor === 1), `${f.name}: dev/console`);
  }
});

test("every ELF in each image finds its interpreter and all its libraries inside the image", () => {
  for (const f of flavours()) {
    const { entries } = image(f.rootfs);
    const m = manifestOf(f.manifest);
    const elves = elfPaths(entries);
    assert.ok(elves.includes(m.imageInfo.qemu), `${f.name}: ${m.imageInfo.qemu} is an ELF in the image`);
    assert.ok(elves.includes(m.imageInfo.qmpProxy!), `${f.name}: ${m.imageInfo.qmpProxy}`);
    assert.ok(elves.length > 20, `${f.name}: ${elves.length} ELF files`);
    assert.equal(missingInImage(entries), [], f.name);
  }
});

test("each manifest lists every file of its image with the right size, group and a package; image.json agrees", () => {
  for (const f of flavours()) {
    const { raw, entries } = image(f.rootfs);
    const m = manifestOf(f.manifest);
    const files = entries.flatMap((e) => (e.kind === "file" ? [{ path: e.path, size: e.data.length }] : []));
    assert.equal(m.files.map(({ path, size }) => ({ path, size })), files, f.name);
    assert.equal(m.files.filter((x) => x.package === "").map((x) => x.path), [], `${f.name}: files without a package`);
    assert.equal(m.symlinks, entries.flatMap((e) => (e.kind === "symlink" ? [{ path: e.path, target: e.target }] : [])));
    assert.is(m.unpacked, raw.length);
    assert.is(m.compressed, readFileSync(f.rootfs).length);
    for (const x of m.files) if (x.package !== "build") assert.ok(m.packages[x.package], `${f.name}: version of ${x.package}`);
    const byPath = new Map(m.files.map((x) => [x.path, x]));
    assert.is(byPath.get("init")?.package, "build");
    assert.is(byPath.get("bin/busybox")?.package, "busybox-static");
    assert.is(m.imageInfo.qmpProxy, vchanSocketProxy(f.release));
    assert.is(byPath.get(m.imageInfo.qmpProxy!.slice(1))?.package, `xen-utils-${f.release}`);
    assert.is(byPath.get(LEAN_QEMU.slice(1))?.package, "src:qemu", "the lean QEMU, built from Debian's qemu source");
    assert.is(byPath.get("usr/lib/x86_64-linux-gnu/libc.so.6")?.package, "libc6", "found through the /lib alias");
    const info = entries.find((e) => e.path === IMAGE_INFO_PATH);
    assert.ok(info?.kind === "file");
    assert.equal(JSON.parse(new TextDecoder().decode(info.data)), m.imageInfo);
    assert.is(m.flavour, f.name);
    assert.is(m.imageInfo.flavour, f.name === "dev" ? "dev" : "xen");
    assert.is(m.imageInfo.xenRelease, f.release);
    // image.json's "sandbox" says whether QEMU takes -sandbox: it must match a libseccomp link.
    const qemu = entries.find((e) => e.path === m.imageInfo.qemu.slice(1));
    assert.ok(qemu?.kind === "file");
    assert.is(m.imageInfo.sandbox, readElfDynamic(qemu.data).needed.some((l) => l.startsWith("libseccomp")), `${f.name}: sandbox`);
    assert.is(m.imageInfo.sandbox, true, `${f.name}: the shipped QEMUs have seccomp`);
  }
});

test("xen: the lean QEMU, its ROMs, no module files; dev: all of xen-4.17 plus dev mode's QEMU and the demo guest", () => {
  for (const f of xenFlavours()) {
    const xen = manifestOf(f.manifest);
    assert.is(xen.imageInfo.qemu, LEAN_QEMU, f.name);
    const xenLibs = xen.files.filter((x) => x.group === "libraries").map((x) => x.path.replace(/^.*\//, ""));
    for (const heavy of ["libspice-server", "libusb-1.0", "libgstreamer", "libssl", "libcrypto", "libgnutls"]) {
      assert.not.ok(xenLibs.some((l) => l.startsWith(heavy)), `${f.name}: the lean QEMU does not link ${heavy}`);
    }
    assert.ok(xenLibs.some((l) => l.startsWith("libseccomp")), `${f.name}: seccomp, for -sandbox on`);
    assert.ok(xenLibs.some((l) => l.startsWith("libpixman")), `${f.name}: pixman, for the VGA devices' surfaces`);
    assert.ok(xenLibs.includes(`libxenctrl.so.${f.release}`), `${f.name}: its release's libxenctrl`);
    const paths = new Set(xen.files.map((x) => x.path));
    for (const rom of xenQemuData(XEN_RELEASE_TABLE[f.release])) assert.ok(paths.has(rom.slice(1)), `${f.name}: ${rom}`);
    assert.not.ok(xen.groups["dev-qemu"] || xen.groups["demo-guest"], `${f.name}: no dev parts`);
    assert.ok(readFileSync(a.xen[f.release].kernel).equals(readFileSync(a.kernel)), `${f.name}: the same kernel beside its rootfs`);
  }
  const dev = manifestOf(a.devManifest);
  assert.is(dev.imageInfo.qemu, "/usr/bin/qemu-system-x86_64");
  const devPaths = new Set(dev.files.map((f) => f.path));
  assert.equal(manifestOf(a.xen["4.17"].manifest).files.map((f) => f.path).filter((p) => !devPaths.has(p)), [], "dev holds every xen-4.17 file");
  // Every driver is built into the kernel: no module files, and the list the init reads says so.
  for (const f of flavours()) {
    const { entries } = image(f.rootfs);
    assert.equal(entries.filter((e) => e.path.startsWith("lib/modules/")).map((e) => e.path), [], `${f.name}: module files`);
    const list = entries.find((e) => e.path === "etc/stubdom/modules");
    assert.ok(list?.kind === "file", `${f.name}: etc/stubdom/modules`);
    assert.is(new TextDecoder().decode(list.data), BUILT_IN_LIST, f.name);
  }
});

test("each xen image's Debian packages are its release's suite's: 4.17's bookworm's, 4.20's trixie's, none from this host in 4.20", () => {
  // Debian's security and point-release versions name the release: +deb12u3, ~deb13u1.
  const suiteMark: Record<string, RegExp> = { bookworm: /deb12/, trixie: /deb13/ };
  for (const f of xenFlavours()) {
    const m = manifestOf(f.manifest);
    const { suite } = XEN_RELEASE_TABLE[f.release];
    assert.match(m.packages[`libxenmisc${f.release}`] ?? "", suiteMark[suite]!, `${f.name}: libxenmisc${f.release}`);
    assert.match(m.packages["libc6"] ?? "", suiteMark[suite]!, `${f.name}: libc6`);
    assert.ok(m.sources.qemu?.includes(`Debian ${suite} source qemu`), `${f.name}: ${m.sources.qemu}`);
    assert.match(m.sources.runtime ?? "", /^QuickJS \d{4}-\d\d-\d\d \(Debian trixie source quickjs /, `${f.name}: every image's stubjs is Debian 13's QuickJS`);
    const other = Object.entries(m.packages).filter(([, v]) => Object.entries(suiteMark).some(([s, mark]) => s !== suite && mark.test(v)));
    assert.equal(other, [], `${f.name}: packages of another suite`);
  }
  const qemu = image(a.xen["4.20"].rootfs).entries.find((e) => e.path === LEAN_QEMU.slice(1));
  assert.ok(qemu?.kind === "file");
  assert.ok(readElfDynamic(qemu.data).needed.includes("libxenctrl.so.4.20"), "QEMU 10 links Xen 4.20's libxenctrl");
});

test("runtime, init and display bridge fit in 1 MiB; the kernel is the minimal bzImage, with privcmd unrestricted and what the init needs built in", async () => {
  for (const f of flavours()) {
    const runtime = manifestOf(f.manifest).groups["runtime+init"];
    assert.ok(runtime && runtime.files === 3 && runtime.bytes <= MiB, `${f.name}: ${JSON.stringify(runtime)}`);
  }
  const built = await minimalKernel(() => undefined, { dev: true });
  const kernel = readFileSync(a.kernel);
  // Buffer.equals, not assert.equal: uvu would diff megabytes on a mismatch.
  assert.ok(kernel.equals(readFileSync(built.vmlinuz)), "the image's kernel is the cached minimal build");
  assert.not.ok(isElf(kernel), "a bzImage, not a vmlinux");
  const config = parseKconfig(readFileSync(built.config, "utf8"));
  assert.is(config.get("CONFIG_MODULES"), "n", "no module loader");
  for (const symbol of ["CONFIG_XEN_PV", "CONFIG_HVC_XEN", "CONFIG_XEN_PRIVCMD", "CONFIG_XEN_GNTDEV", "CONFIG_XEN_NETDEV_FRONTEND", "CONFIG_BRIDGE", "CONFIG_TUN", "CONFIG_VIRTIO_CONSOLE", "CONFIG_XEN_FBDEV_FRONTEND", "CONFIG_INPUT_XEN_KBDDEV_FRONTEND", "CONFIG_INPUT_EVDEV"]) {
    assert.is(config.get(symbol), "y", symbol);
  }
  assert.match(config.get("CONFIG_CMDLINE") ?? "", /xen_privcmd\.unrestricted=1 rootfstype=ramfs/);
  assert.match(config.get("CONFIG_CMDLINE") ?? "", / console=hvc0 xen_fbfront\.video=4,1024,768/, "the init's console stays hvc0 with a vfb; the vfb's largest mode");
});

test(`${RESULTS_FILE} has the "Image sizes" of these very images (npm run build writes it)`, async () => {
  assert.ok(existsSync(RESULTS_FILE), `${RESULTS_FILE} is missing; run npm run build`);
  const text = readFileSync(RESULTS_FILE, "utf8");
  const start = text.indexOf(`${RESULTS_HEADING}\n`);
  assert.ok(start >= 0, `no "${RESULTS_HEADING}" section`);
  const k = await minimalKernel(() => undefined, { dev: true });
  const images = [...xenFlavours(), { manifest: a.devManifest }].map((f) => manifestOf(f.manifest));
  const expected = resultsSection(images, { description: `${k.package} ${k.version}`, bytes: readFileSync(a.kernel).length });
  assert.is(text.slice(start, start + expected.length), expected, "stale: run npm run build");
});

test.run();
