// What the host records when dom0 stops answering: whether the bed's QEMU is busy or idle, whether
// its vCPU is halted and where, and the local APIC timer that should wake it. A stall then says
// which of its possible causes it was (an idle QEMU whose timer never fires, a vCPU spinning, a
// monitor that does not answer at all), where before it only said that dom0 was silent.
import { readFileSync } from "node:fs";
import type { BedMonitor } from "./bedMonitor.ts";

export interface StallState {
  /** One line for the run's output. */
  summary: string;
  /** The monitor's answers, for serial.log. */
  detail: string;
}

const MONITOR_MS = 10_000;
const CPU_WINDOW_MS = 1_000;

/** User plus system CPU time of process `pid` in ms (fields 14 and 15 of its stat, in ticks of 10 ms on x86 Linux). */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The vCPU's RIP, CPL and halt flag from `info registers`. */
export function registerSummary(registers: string): string {
  const rip = /RIP=([0-9a-f]+)/.exec(registers)?.[1];
  const cpl = /CPL=(\d)/.exec(registers)?.[1];
  const hlt = /HLT=(\d)/.exec(registers)?.[1];
  if (rip === undefined) return `registers unreadable: ${registers.slice(0, 100)}`;
  return `vCPU ${hlt === "1" ? "halted" : "running"} at RIP ${rip} (CPL ${cpl ?? "?"})`;
}

/** The timer's lines of `info lapic` and the vectors in service and pending, on one line. */
export function lapicTimerSummary(lapic: string): string {
  const lines = lapic.split("\n").filter((l) => /^(LVTT|Timer|ISR|IRR)\s/.test(l.trim()));
  return lines.length > 0 ? `LAPIC ${lines.map((l) => l.trim().replace(/\s+/g, " ")).join("; ")}` : `LAPIC unreadable: ${lapic.slice(0, 100)}`;
}

/** The monitor's answer, or what kept it from answering. */
async function ask(monitor: BedMonitor, command: string): Promise<string> {
  return monitor.command(command, MONITOR_MS).catch((e: unknown) => `(${(e as Error).message})`);
}

/** Reads the stalled bed's state; takes about CPU_WINDOW_MS plus the monitor's answers. */
export async function stallState(monitor: BedMonitor, qemuPid: number): Promise<StallState> {
  const before = cpuMs(qemuPid);
  await new Promise((r) => setTimeout(r, CPU_WINDOW_MS));
  const after = cpuMs(qemuPid);
  const busy = before === undefined || after === undefined ? "QEMU's CPU time unreadable" : `QEMU used ${after - before} ms of CPU in ${CPU_WINDOW_MS} ms`;
  const registers = await ask(monitor, "info registers");
  const lapic = await ask(monitor, "info lapic");
  return {
    summary: [busy, registerSummary(registers), lapicTimerSummary(lapic)].join("; "),
    detail: `info registers\n${registers}\ninfo lapic\n${lapic}`,
  };
}
