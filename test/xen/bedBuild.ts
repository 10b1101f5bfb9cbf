// The Xen test beds, one per Xen release we support, each built once from its Debian release's
// packages into the cache and reused while its inputs stay the same: a minbase Debian root with
// Xen's hypervisor and tools and Debian's generic kernel (security updates included, so the tools
// match the hypervisor); the hypervisor (a multiboot ELF) and that kernel taken out of it; a small
// initramfs that mounts the root image; and the root image itself, its kernel modules cut to the
// dom0's needs. Xen 4.17 is Debian 12's (this host's own release), Xen 4.20 Debian 13's.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { cacheEntry, inputHash } from "../../buildkit/cache.ts";
import { loadOrder, moduleName, parseModulesDep } from "../../kernel/modulesDep.ts";
import { writeCpio, type CpioEntry } from "../../rootfs/cpio.ts";
import { candidateVersions, installedVersions } from "../../buildkit/debianPackages.ts";
import { debianSources } from "../../buildkit/debianChroot.ts";
import { XEN_RELEASE_TABLE, XEN_RELEASES, type XenReleaseName } from "../../qemu/xenReleases.ts";

/** A bed for each Xen release the image is built for, from the Debian suite that ships it. */
export type BedRelease = XenReleaseName;
export const BED_RELEASES: readonly BedRelease[] = XEN_RELEASES;
export const isBedRelease = (r: string): r is BedRelease => (BED_RELEASES as readonly string[]).includes(r);
/** Whether this host runs the release's suite, so its apt knows the candidate versions. */
const onHostSuite = (release: BedRelease): boolean => XEN_RELEASE_TABLE[release].packagesFrom === "host";

/** socat carries `xl migrate` between two beds (no ssh needed: xl migrate -s '' takes a command);
 *  dnsmasq-base serves the Linux guest's DHCP and TFTP (its iPXE script), busybox httpd the rest;
 *  nodejs is Debian's, for stubdomctl from our package. */
const rootPackages = (release: BedRelease): string[] => [
  `xen-hypervisor-${release}-amd64`, `xen-utils-${release}`, "linux-image-amd64",
  "xenstore-utils", "qemu-system-xen", "busybox", "kmod", "iproute2", "procps", "socat", "dnsmasq-base",
  // What our Debian package depends on besides Xen: the admin part installs it with dpkg.
  "nodejs",
];
/** The suite's archives, binaries only: the bed builds nothing from source. */
const mirrors = (suite: string): string[] => debianSources(suite).filter((line) => line.startsWith("deb "));
/** What the results name, out of the root's packages. */
const reported = (release: BedRelease, kernelPackage: string): string[] => [`xen-hypervisor-${release}-amd64`, `xen-utils-${release}`, "qemu-system-xen", kernelPackage];
/** Module trees of the generic kernel the dom0 needs: Xen backends, virtio (the NIC between two beds), 9p, ext4, bridges. */
const DOM0_MODULE_TREES = [
  "drivers/xen", "drivers/block", "drivers/virtio", "drivers/char/virtio_console.ko", "drivers/net/xen-netback",
  "drivers/net/tun.ko", "drivers/net/virtio_net.ko", "drivers/net/net_failover.ko", "net/core/failover.ko",
  "net/bridge", "net/802", "net/llc", "net/9p", "fs", "lib", "crypto", "arch",
];
/** What the initramfs loads to reach the root image. */
const INITRAMFS_MODULES = ["virtio_pci", "virtio_blk", "ext4", "crc32c_generic"];
/** Sparse; the root takes about half. */
const DOM0_IMAGE_BYTES = 2 * 1024 ** 3;
const HERE = "test/xen";
const DOM0_FILES = {
  initramfsInit: join(HERE, "dom0/initramfs-init.sh"),
  init: join(HERE, "dom0/dom0-init.sh"),
  agent: join(HERE, "dom0/agent.sh"),
};

export interface Bed {
  release: BedRelease;
  dir: string;
  /** The hypervisor as an ELF QEMU's -kernel loads (multiboot). */
  xen: string;
  dom0Kernel: string;
  dom0Initrd: string;
  /** ext4, sparse; boot it with snapshot=on so the cache never changes. */
  dom0Image: string;
  /** The dom0 kernel's package (linux-image-6.1.0-57-amd64), a key of `versions`. */
  dom0KernelPackage: string;
  /** Exact versions of the Xen, QEMU and kernel packages in the root. */
  versions: Record<string, string>;
  /** False when it came from the cache. */
  built: boolean;
}

const lexists = (path: string): boolean => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

const run = (cmd: string, args: string[], cwd?: string): string =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });

/**
 * What a bed is made of: its package list, mirrors and our own scripts, and, for this host's own
 * suite, the candidate versions (so a Debian update makes a new bed). Another suite's versions are
 * known only once built (bed.json); a point release of it is picked up when the cache is cleared.
 */
export function bedHash(release: BedRelease): string {
  const { suite } = XEN_RELEASE_TABLE[release];
  const packages = rootPackages(release);
  const versions = onHostSuite(release) ? JSON.stringify(Object.fromEntries([...candidateVersions(packages), ...installedVersions(["busybox-static"])])) : "";
  const ours = [new URL(import.meta.url).pathname, ...Object.values(DOM0_FILES)].map((f) => readFileSync(f));
  return inputHash([release, suite, packages.join(","), versions, mirrors(suite).join("\n"), ...ours]);
}

interface BedRecord {
  versions: Record<string, string>;
  kernelRelease: string;
}

export function ensureBed(release: BedRelease, log: (line: string) => void): Bed {
  const { suite } = XEN_RELEASE_TABLE[release];
  const entry = cacheEntry(`xenbed-${release}`, bedHash(release));
  const record = join(entry.dir, "bed.json");
  const bed = (r: BedRecord, built: boolean): Bed => ({
    release,
    dir: entry.dir,
    xen: join(entry.dir, "xen.elf"),
    dom0Kernel: join(entry.dir, "vmlinuz-dom0"),
    dom0Initrd: join(entry.dir, "initrd-dom0.cpio.gz"),
    dom0Image: join(entry.dir, "dom0.img"),
    dom0KernelPackage: `linux-image-${r.kernelRelease}`,
    versions: r.versions,
    built,
  });
  if (entry.hit) {
    log(`bed ${release}: cached in ${entry.dir}`);
    return bed(JSON.parse(readFileSync(record, "utf8")) as BedRecord, false);
  }
  const t0 = Date.now();
  const step = (what: string): void => log(`bed ${release}: +${((Date.now() - t0) / 1000).toFixed(0)} s ${what}`);
  const work = join(entry.dir, "work");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const packages = rootPackages(release);
    step(`mmdebstrap ${suite}: minbase + ${packages.join(", ")}`);
    const root = join(work, "root");
    run("mmdebstrap", ["--variant=minbase", `--include=${packages.join(",")}`, suite, root, ...mirrors(suite)]);
    const kernelRelease = readdirSync(join(root, "usr/lib/modules")).find((d) => existsSync(join(root, "boot", `vmlinuz-${d}`)));
    if (!kernelRelease) throw new Error(`bed ${release}: no kernel in ${root}/boot with modules in /usr/lib/modules`);
    const wanted = reported(release, `linux-image-${kernelRelease}`);
    const versions = Object.fromEntries(run("chroot", [root, "dpkg-query", "-W", ...wanted]).trim().split("\n").map((l) => l.split("\t") as [string, string]));
    step(`dom0 root has ${Object.entries(versions).map(([p, v]) => `${p} ${v}`).join(", ")}`);
    const r: BedRecord = { versions, kernelRelease };
    const b = bed(r, true);
    const boot = join(root, "boot");
    const xenGz = join(boot, `xen-${release}-amd64.gz`);
    writeFileSync(b.xen, existsSync(xenGz) ? gunzipSync(readFileSync(xenGz)) : readFileSync(join(boot, `xen-${release}-amd64`)));
    cpSync(join(boot, `vmlinuz-${kernelRelease}`), b.dom0Kernel);
    configureRoot(root, release, kernelRelease);

    step("dom0 initramfs");
    writeFileSync(b.dom0Initrd, gzipSync(initramfs(join(root, "usr/lib/modules", kernelRelease)), { level: 6 }));
    // Booted from outside: the root's own kernels and initrds are dead weight.
    for (const f of readdirSync(boot)) rmSync(join(boot, f), { recursive: true, force: true });

    step("dom0 root image (mkfs.ext4 -d)");
    rmSync(b.dom0Image, { force: true });
    writeFileSync(b.dom0Image, "");
    run("truncate", ["-s", String(DOM0_IMAGE_BYTES), b.dom0Image]);
    run("mkfs.ext4", ["-q", "-F", "-L", "dom0root", "-d", root, b.dom0Image]);
    writeFileSync(record, JSON.stringify(r, null, 1) + "\n");
    writeFileSync(entry.stamp, `${release} ${suite}\n`);
    pruneOtherBeds(entry.dir);
    step("done");
    return b;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Beds built from older inputs are ~0.5 GB each and never used again. */
function pruneOtherBeds(keep: string): void {
  const root = dirname(keep);
  for (const name of readdirSync(root)) {
    if (join(root, name) !== keep) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/** Whether a module file (relative to lib/modules/<release>/kernel) is in one of the kept trees. */
export function keptModule(rel: string, trees: readonly string[] = DOM0_MODULE_TREES): boolean {
  const bare = rel.replace(/\.(xz|zst|gz)$/, "");
  return trees.some((t) => bare === t || rel.startsWith(`${t}/`));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Our init and agent, the vchan-socket-proxy path libxl expects, and only the dom0's kernel modules. */
function configureRoot(root: string, release: BedRelease, kernelRelease: string): void {
  cpSync(DOM0_FILES.init, join(root, "sbin/xenbed-init"));
  cpSync(DOM0_FILES.agent, join(root, "sbin/xenbed-agent"));
  // libxl runs /usr/bin/vchan-socket-proxy; xen-utils ships it under /usr/lib/xen-<release>/bin.
  const proxy = join(root, "usr/bin/vchan-socket-proxy");
  if (!lexists(proxy)) symlinkSync(`/usr/lib/xen-${release}/bin/vchan-socket-proxy`, proxy);
  writeFileSync(join(root, "etc/hostname"), "dom0\n");
  const kernelDir = join(root, "usr/lib/modules", kernelRelease, "kernel");
  for (const f of filesUnder(kernelDir)) if (!keptModule(relative(kernelDir, f))) rmSync(f);
  run("depmod", ["-b", root, kernelRelease]);
}

/** busybox, the modules that reach the root image (in load order), and the first-stage init. */
function initramfs(modulesDir: string): Uint8Array {
  // Debian 13's kernel has virtio_pci built in.
  const builtIn = new Set(readFileSync(join(modulesDir, "modules.builtin"), "utf8").split("\n").filter(Boolean).map(moduleName));
  const wanted = INITRAMFS_MODULES.filter((m) => !builtIn.has(m));
  const order = loadOrder(wanted, parseModulesDep(readFileSync(join(modulesDir, "modules.dep"), "utf8")));
  const busybox = "/bin/busybox";
  if (!existsSync(busybox)) throw new Error("no /bin/busybox on this host: install busybox-static");
  const file = (path: string, data: Uint8Array, mode = 0o644): CpioEntry => ({ path, kind: "file", mode, data });
  // busybox insmod takes plain .ko files; Debian 13 ships its modules xz-compressed.
  const base = (f: string): string => f.slice(f.lastIndexOf("/") + 1).replace(/\.xz$/, "");
  const plain = (f: string): Uint8Array => (f.endsWith(".xz") ? execFileSync("xz", ["-dc", join(modulesDir, f)], { maxBuffer: 64 << 20 }) : readFileSync(join(modulesDir, f)));
  return writeCpio([
    file("init", readFileSync(DOM0_FILES.initramfsInit), 0o755),
    file("bin/busybox", readFileSync(busybox), 0o755),
    ...order.map((f) => file(`modules/${base(f)}`, plain(f))),
    file("modules/order", new TextEncoder().encode(order.map(base).join("\n") + "\n")),
    ...["dev", "proc", "sys", "newroot"].map((path): CpioEntry => ({ path, kind: "dir", mode: 0o755 })),
  ]);
}
