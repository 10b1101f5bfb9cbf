// The real-Xen tier's Linux guest: Debian's generic kernel (the package dom0 runs) and an initramfs
// of busybox, the modules of QEMU's emulated devices and test/xen/guest/init.sh. It boots over the
// network (iPXE in QEMU's e1000 ROM fetches both over HTTP from dom0), so nothing of it lives on the
// guest's disks, which are only the test's to write. `xen_emul_unplug=never` keeps the emulated
// devices: with Xen's PV drivers the guest's I/O would bypass the device model we test.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { unpackDebs } from "../../buildkit/debianPackages.ts";
import { resolveCloudKernel } from "../../kernel/debianKernel.ts";
import { loadOrder, parseModulesDep } from "../../kernel/modulesDep.ts";
import { writeCpio, type CpioEntry } from "../../rootfs/cpio.ts";

/** e1000, PIIX IDE with SCSI disks and a CD drive, and the CRC code sd_mod needs (crypto modules it cannot request itself: no modprobe). */
const GUEST_MODULES = ["crct10dif_generic", "crc64_rocksoft_generic", "e1000", "ata_piix", "sd_mod", "sr_mod"];
/** `quiet`: every byte the kernel prints is a port write QEMU emulates; under nested TCG the boot log alone costs tens of seconds. */
export const GUEST_CMDLINE = "console=ttyS1,115200 quiet xen_emul_unplug=never panic=10";
const HERE = "test/xen/guest";

export interface LinuxGuest {
  vmlinuz: Uint8Array;
  initrd: Uint8Array;
  release: string;
}

export function linuxGuest(log: (line: string) => void = () => undefined): LinuxGuest {
  const { pkg } = resolveCloudKernel("linux-image-amd64");
  const release = pkg.replace(/^linux-image-/, "");
  const [layer] = unpackDebs([pkg], log);
  const modulesDir = join(layer!.dir, "lib/modules", release);
  // depmod -n prints modules.dep first, then the alias files: only the part before the first comment.
  const depmod = execFileSync("depmod", ["-n", "-b", layer!.dir, release], { encoding: "utf8", maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "ignore"] });
  const order = loadOrder(GUEST_MODULES, parseModulesDep(depmod.slice(0, depmod.indexOf("\n#") + 1)));
  const busybox = "/bin/busybox";
  if (!existsSync(busybox)) throw new Error("no /bin/busybox on this host: install busybox-static");
  const base = (f: string): string => f.slice(f.lastIndexOf("/") + 1);
  const file = (path: string, data: Uint8Array, mode = 0o644): CpioEntry => ({ path, kind: "file", mode, data });
  const initrd = writeCpio([
    ...["dev", "proc", "sys", "etc", "bin", "sbin", "usr/bin", "usr/sbin", "modules"].map((path): CpioEntry => ({ path, kind: "dir", mode: 0o755 })),
    file("init", readFileSync(join(HERE, "init.sh")), 0o755),
    file("etc/udhcpc.sh", readFileSync(join(HERE, "udhcpc.sh")), 0o755),
    file("bin/block-writer", readFileSync(join(HERE, "block-writer.sh")), 0o755),
    file("bin/busybox", readFileSync(busybox), 0o755),
    ...order.map((f) => file(`modules/${base(f)}`, readFileSync(join(modulesDir, f)))),
    file("modules/order", new TextEncoder().encode(order.map(base).join("\n") + "\n")),
  ]);
  return { vmlinuz: readFileSync(join(layer!.dir, "boot", `vmlinuz-${release}`)), initrd: gzipSync(initrd, { level: 6 }), release };
}
