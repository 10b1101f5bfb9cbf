// The kernel's own floor: the stubdom kernel booted by plain QEMU (TCG) with a 1 MiB initrd
// (busybox and an /init that prints MemTotal and powers off). Whatever the init, a stubdom cannot
// run in less. Also the bzImage header's init_size: the memory the kernel needs to decompress
// and start in place (boot protocol 2.10+).
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { compress } from "../../rootfs/compress.ts";
import { writeCpio } from "../../rootfs/cpio.ts";
import { BENCH_DIR } from "../boot/images.ts";
import type { MemoryProbe } from "./minMemory.ts";

const MARK = "kernel-floor: up";
const INIT = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox grep MemTotal /proc/meminfo
echo "${MARK}"
/bin/busybox poweroff -f
`;

/** Writes the tiny initrd once and returns its path. */
export function tinyInitrd(busybox = "/bin/busybox"): string {
  mkdirSync(BENCH_DIR, { recursive: true });
  const path = join(BENCH_DIR, "kernel-floor.cpio.gz");
  const cpio = writeCpio([
    { path: "bin", kind: "dir", mode: 0o755 },
    { path: "proc", kind: "dir", mode: 0o755 },
    { path: "dev", kind: "dir", mode: 0o755 },
    { path: "dev/console", kind: "char", mode: 0o600, major: 5, minor: 1 },
    { path: "bin/busybox", kind: "file", mode: 0o755, data: readFileSync(busybox) },
    { path: "init", kind: "file", mode: 0o755, data: new TextEncoder().encode(INIT) },
  ]);
  writeFileSync(path, compress(cpio, "gzip"));
  return path;
}

/** init_size from the bzImage setup header, in bytes. */
export function bzImageInitSize(kernel: string): number {
  const b = readFileSync(kernel);
  if (b.toString("latin1", 0x202, 0x206) !== "HdrS") throw new Error(`${kernel} is not a bzImage`);
  return b.readUInt32LE(0x260);
}

export function probeKernel(memoryMiB: number, kernel: string, initrd: string, boundMs = 60_000): Promise<MemoryProbe> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const args = ["-accel", "tcg", "-m", String(memoryMiB), "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
      "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1 loglevel=4", "-serial", "stdio"];
    const child = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), boundMs);
    child.stdout.setEncoding("latin1").on("data", (s: string) => (out += s));
    child.stderr.setEncoding("latin1").on("data", (s: string) => (out += s));
    child.on("close", () => {
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      const total = /MemTotal:\s+(\d+) kB/.exec(out);
      if (out.includes(MARK)) resolve({ memoryMiB, ok: true, detail: `MemTotal ${total ? (Number(total[1]) / 1024).toFixed(1) : "?"} MiB`, seconds });
      else resolve({ memoryMiB, ok: false, detail: out.trim() === "" ? "no kernel output: the kernel cannot decompress itself in this memory" : out.trim().split(/\r?\n/).pop()!.slice(0, 120), seconds });
    });
  });
}
