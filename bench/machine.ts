// What the bench ran on, and how busy the machine was meanwhile (other engineers' VMs share it).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";

export function machineLine(): string {
  const qemu = execFileSync("qemu-system-x86_64", ["--version"], { encoding: "utf8" }).split("\n")[0].replace(/^QEMU emulator version /, "");
  const kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  return `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${kernel}, Node ${process.version}, QEMU ${qemu} (TCG; /dev/kvm unusable here)`;
}

/** QEMU processes on the machine that are not `mine`. */
export function otherQemus(mine: ReadonlySet<number> = new Set()): number {
  let n = 0;
  for (const d of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(d) || mine.has(Number(d))) continue;
    try {
      if (/^qemu-system/.test(readFileSync(`/proc/${d}/comm`, "utf8"))) n++;
    } catch {
      // Gone already.
    }
  }
  return n;
}

export interface LoadSample {
  load1: number;
  otherQemus: number;
}

/** Sampled before each measurement: the 1-minute load average and the QEMUs already running. */
export const sampleLoad = (): LoadSample => ({ load1: loadavg()[0], otherQemus: otherQemus() });
