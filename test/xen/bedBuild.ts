// The Xen test bed, built once from Debian packages into the cache and reused while its inputs stay
// the same: Xen 4.17's hypervisor (multiboot ELF), Debian's generic kernel as dom0 kernel (the
// cloud kernel has no XEN_DOM0), a small initramfs that mounts the root image, and that root image:
// a minbase Debian with Xen's tools, bookworm-security included so the tools match the hypervisor.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { cacheEntry, inputHash } from "../../buildkit/cache.ts";
import { resolveCloudKernel } from "../../kernel/debianKernel.ts";
import { loadOrder, parseModulesDep } from "../../kernel/modulesDep.ts";
import { writeCpio, type CpioEntry } from "../../rootfs/cpio.ts";
import { candidateVersions, installedVersions, unpackDebs } from "../../buildkit/debianPackages.ts";

export const XEN_HYPERVISOR = "xen-hypervisor-4.17-amd64";
/** socat carries `xl migrate` between two beds (no ssh needed: xl migrate -s '' takes a command);
 *  dnsmasq-base serves the Linux guest's DHCP and TFTP (its iPXE script), busybox httpd the rest. */
const DOM0_ROOT_PACKAGES = ["xen-utils-4.17", "xenstore-utils", "qemu-system-xen", "busybox", "kmod", "iproute2", "procps", "socat", "dnsmasq-base"];
const MIRRORS = [
  "deb http://deb.debian.org/debian bookworm main",
  "deb http://deb.debian.org/debian bookworm-updates main",
  "deb http://deb.debian.org/debian-security bookworm-security main",
];
/** Module trees of the generic kernel the dom0 needs: Xen backends, virtio (the NIC between two beds), 9p, ext4, bridges. */
const DOM0_MODULE_TREES = [
  "drivers/xen", "drivers/block", "drivers/virtio", "drivers/char/virtio_console.ko", "drivers/net/xen-netback",
  "drivers/net/tun.ko", "drivers/net/virtio_net.ko", "drivers/net/net_failover.ko", "net/core/failover.ko",
  "net/bridge", "net/802", "net/llc", "net/9p", "fs", "lib", "crypto", "arch",
];
/** What the initramfs loads to reach the root image. */
const INITRAMFS_MODULES = ["virtio_pci", "virtio_blk", "ext4", "crc32c_generic"];
const DOM0_IMAGE_BYTES = 1 << 30;
const HERE = "test/xen";
const DOM0_FILES = {
  initramfsInit: join(HERE, "dom0/initramfs-init.sh"),
  init: join(HERE, "dom0/dom0-init.sh"),
  agent: join(HERE, "dom0/agent.sh"),
};

export interface Bed {
  dir: string;
  /** The hypervisor as an ELF QEMU's -kernel loads (multiboot). */
  xen: string;
  dom0Kernel: string;
  dom0Initrd: string;
  /** ext4, 1 GiB sparse; boot it with snapshot=on so the cache never changes. */
  dom0Image: string;
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

/** What the bed is made of: the exact packages and our own scripts. */
export function bedInputs(): { hash: string; versions: Record<string, string>; dom0Kernel: string } {
  const dom0Kernel = resolveCloudKernel("linux-image-amd64").pkg;
  const versions = Object.fromEntries([
    ...candidateVersions([XEN_HYPERVISOR, dom0Kernel, ...DOM0_ROOT_PACKAGES]),
    ...installedVersions(["busybox-static"]),
  ]);
  const ours = [new URL(import.meta.url).pathname, ...Object.values(DOM0_FILES)].map((f) => readFileSync(f));
  const hash = inputHash([JSON.stringify(versions), MIRRORS.join("\n"), ...ours]);
  return { hash, versions, dom0Kernel };
}

export function ensureBed(log: (line: string) => void): Bed {
  const { hash, versions, dom0Kernel } = bedInputs();
  const entry = cacheEntry("xenbed", hash);
  const bed: Bed = {
    dir: entry.dir,
    xen: join(entry.dir, "xen.elf"),
    dom0Kernel: join(entry.dir, "vmlinuz-dom0"),
    dom0Initrd: join(entry.dir, "initrd-dom0.cpio.gz"),
    dom0Image: join(entry.dir, "dom0.img"),
    versions,
    built: !entry.hit,
  };
  if (entry.hit) {
    log(`bed: cached in ${entry.dir}`);
    return bed;
  }
  const t0 = Date.now();
  const step = (what: string): void => log(`bed: +${((Date.now() - t0) / 1000).toFixed(0)} s ${what}`);
  const work = join(entry.dir, "work");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    step(`unpacking ${XEN_HYPERVISOR} and ${dom0Kernel}`);
    const [xenDeb, kernelDeb] = unpackDebs([XEN_HYPERVISOR, dom0Kernel], log);
    const release = dom0Kernel.replace(/^linux-image-/, "");
    writeFileSync(bed.xen, gunzipSync(readFileSync(join(xenDeb!.dir, "boot/xen-4.17-amd64.gz"))));
    cpSync(join(kernelDeb!.dir, "boot", `vmlinuz-${release}`), bed.dom0Kernel);

    step(`mmdebstrap: minbase + ${DOM0_ROOT_PACKAGES.join(", ")}`);
    const root = join(work, "root");
    run("mmdebstrap", ["--variant=minbase", `--include=${DOM0_ROOT_PACKAGES.join(",")}`, "bookworm", root, ...MIRRORS]);
    const got = run("chroot", [root, "dpkg-query", "-W", "xen-utils-4.17", "qemu-system-xen"]).trim().replace(/\s+/g, " ");
    step(`dom0 root has ${got}`);
    configureRoot(root, join(kernelDeb!.dir, "lib/modules", release), release);

    step("dom0 initramfs");
    writeFileSync(bed.dom0Initrd, gzipSync(initramfs(join(root, "lib/modules", release)), { level: 6 }));

    step("dom0 root image (mkfs.ext4 -d)");
    rmSync(bed.dom0Image, { force: true });
    writeFileSync(bed.dom0Image, "");
    run("truncate", ["-s", String(DOM0_IMAGE_BYTES), bed.dom0Image]);
    run("mkfs.ext4", ["-q", "-F", "-L", "dom0root", "-d", root, bed.dom0Image]);
    writeFileSync(join(entry.dir, "bed.json"), JSON.stringify({ versions, release }, null, 1) + "\n");
    writeFileSync(entry.stamp, `${hash}\n`);
    pruneOtherBeds(entry.dir);
    step("done");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bed;
}

/** Beds built from older inputs are ~0.5 GB each and never used again. */
function pruneOtherBeds(keep: string): void {
  const root = dirname(keep);
  for (const name of readdirSync(root)) {
    if (join(root, name) !== keep) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/** Our init and agent, the vchan-socket-proxy path libxl expects, and the dom0 kernel's modules. */
function configureRoot(root: string, modulesFrom: string, release: string): void {
  cpSync(DOM0_FILES.init, join(root, "sbin/xenbed-init"));
  cpSync(DOM0_FILES.agent, join(root, "sbin/xenbed-agent"));
  // libxl 4.17 runs /usr/bin/vchan-socket-proxy; xen-utils-4.17 ships it under /usr/lib/xen-4.17/bin.
  const proxy = join(root, "usr/bin/vchan-socket-proxy");
  if (!lexists(proxy)) symlinkSync("/usr/lib/xen-4.17/bin/vchan-socket-proxy", proxy);
  writeFileSync(join(root, "etc/hostname"), "dom0\n");
  const modulesTo = join(root, "lib/modules", release);
  for (const tree of DOM0_MODULE_TREES) cpSync(join(modulesFrom, "kernel", tree), join(modulesTo, "kernel", tree), { recursive: true });
  for (const f of readdirSync(modulesFrom).filter((n) => /^modules\.(order|builtin)/.test(n))) cpSync(join(modulesFrom, f), join(modulesTo, f));
  run("depmod", ["-b", root, release]);
}

/** busybox, the modules that reach the root image (in load order), and the first-stage init. */
function initramfs(modulesDir: string): Uint8Array {
  const order = loadOrder(INITRAMFS_MODULES, parseModulesDep(readFileSync(join(modulesDir, "modules.dep"), "utf8")));
  const busybox = "/bin/busybox";
  if (!existsSync(busybox)) throw new Error("no /bin/busybox on this host: install busybox-static");
  const file = (path: string, data: Uint8Array, mode = 0o644): CpioEntry => ({ path, kind: "file", mode, data });
  const base = (f: string): string => f.slice(f.lastIndexOf("/") + 1);
  return writeCpio([
    file("init", readFileSync(DOM0_FILES.initramfsInit), 0o755),
    file("bin/busybox", readFileSync(busybox), 0o755),
    ...order.map((f) => file(`modules/${base(f)}`, readFileSync(join(modulesDir, f)))),
    file("modules/order", new TextEncoder().encode(order.map(base).join("\n") + "\n")),
    ...["dev", "proc", "sys", "newroot"].map((path): CpioEntry => ({ path, kind: "dir", mode: 0o755 })),
  ]);
}
