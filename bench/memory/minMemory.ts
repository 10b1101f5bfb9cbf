// The smallest stubdom memory (QEMU -m of the dev-mode VM, in 8 MiB steps) at which the demo guest's
// device model still works: health `state` = running and the guest's first serial line on hvc3,
// each within a bound. A binary search between a size that fails (or the floor) and one that works.
import { performance } from "node:perf_hooks";
import { DEMO, demoArgv } from "../../host/dev/demo.ts";
import { DevStubdom } from "../../host/dev/devStubdom.ts";
import { DEMO_GUEST_LINE } from "../../qemu/demoGuest.ts";

export const STEP_MIB = 8;

export interface MemoryProbe {
  memoryMiB: number;
  ok: boolean;
  /** Why it failed, in a few words; or health mem-free-kb when it worked. */
  detail: string;
  memAvailableKb?: number;
  seconds: number;
}

export interface ProbeOptions {
  kernel: string;
  rootfs: string;
  runningBoundMs?: number;
  guestBoundMs?: number;
}

/** Kernel console lines after which the boot cannot work. */
const FATAL = /Initramfs unpacking failed|Kernel panic|Out of memory: Killed process/;

/** Why a boot died, from the kernel console, if it says. */
function kernelReason(console: string): string | undefined {
  if (console.trim() === "") return "no kernel output: QEMU could not place the kernel and initrd in this memory";
  return console.split(/\r?\n/).find((l) => FATAL.test(l))?.trim();
}

export async function probeMemory(memoryMiB: number, o: ProbeOptions): Promise<MemoryProbe> {
  const t0 = performance.now();
  const ds = await DevStubdom.start({ kernel: o.kernel, rootfs: o.rootfs, memoryMiB, seed: { ...DEMO, argv: demoArgv() } });
  const seconds = (): number => (performance.now() - t0) / 1000;
  // A boot that cannot work says so on the kernel console; no need to wait out the bound.
  const fatal = new Promise<never>((_, reject) => ds.vm.console.lines.onLine((l) => FATAL.test(l) && reject(new Error(l.trim()))));
  fatal.catch(() => undefined);
  try {
    await Promise.race([ds.waitRunning(o.runningBoundMs ?? 120_000), fatal]);
    const exited = ds.vm.exited.then(() => {
      throw new Error("the stubdom VM exited");
    });
    exited.catch(() => undefined);
    await Promise.race([ds.vm.hvc[3].lines.waitFor(new RegExp(DEMO_GUEST_LINE), o.guestBoundMs ?? 90_000), exited, fatal]);
    const state = await ds.xs.readString(ds.healthPath("state"));
    const memAvailableKb = Number(await ds.xs.readString(ds.healthPath("mem-available-kb")));
    if (state !== "running") return { memoryMiB, ok: false, detail: `health state ${state} after the guest's line`, seconds: seconds() };
    return { memoryMiB, ok: true, detail: `mem-available-kb ${memAvailableKb}`, memAvailableKb, seconds: seconds() };
  } catch (e) {
    const why = kernelReason(ds.vm.console.lines.all) ?? (e as Error).message.split("\n")[0];
    return { memoryMiB, ok: false, detail: why, seconds: seconds() };
  } finally {
    await ds.stop();
  }
}

/**
 * Binary search over multiples of STEP_MIB in (fails, works]: `works` must work (it is probed
 * first); `fails` is assumed to fail unless probed. Every probe is returned, in order.
 */
export async function minMemory(
  fails: number,
  works: number,
  probe: (mib: number) => Promise<MemoryProbe>,
  log: (line: string) => void,
): Promise<{ minMiB: number | undefined; probes: MemoryProbe[] }> {
  const probes: MemoryProbe[] = [];
  const run = async (mib: number): Promise<boolean> => {
    const p = await probe(mib);
    probes.push(p);
    log(`memory: -m ${mib}: ${p.ok ? "works" : "fails"} (${p.detail}, ${p.seconds.toFixed(1)} s)`);
    return p.ok;
  };
  if (!(await run(works))) return { minMiB: undefined, probes };
  let lo = fails;
  let hi = works;
  while (hi - lo > STEP_MIB) {
    const mid = lo + Math.floor((hi - lo) / 2 / STEP_MIB) * STEP_MIB;
    if (await run(mid)) hi = mid;
    else lo = mid;
  }
  return { minMiB: hi, probes };
}
