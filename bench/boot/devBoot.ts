// One measured boot of the dev-mode stubdom VM, for either init. The VM is dev mode's (host/dev/devVm.ts)
// plus a virtio NIC standing in for the PV vif, so both inits do their bridging; the guest's argv
// is the demo's plus a tap NIC as libxl writes it. Times come from two clocks:
// - inside the VM, the kernel's boot-time trace: exec of /init, exec of QEMU, PID 1's console writes;
// - on the host, when the init's first console line, health `running` (ours) and the guest's first
//   serial line (hvc3) arrive. The init's first console line is in both, which maps host times
//   onto the trace clock: t = host - hostFirstLine + traceFirstLine.
// After the guest's line, a shell on hvc0 (ours: the debug shell, switched on live by its config
// key; the baseline: its Qubes-style "press enter" shell) prints the trace and the memory figures.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DEMO, demoArgv } from "../../host/dev/demo.ts";
import { DevVm } from "../../host/dev/devVm.ts";
import { bounded } from "../../host/dev/lineStream.ts";
import { configDir, seedStubdom, type SeedSpec } from "../../host/dev/seed.ts";
import { waitForValue } from "../../host/dev/waitForValue.ts";
import { XenStoreServer } from "../../host/xenstored/server.ts";
import { DEV_QEMU } from "../../qemu/devQemu.ts";
import { DEMO_GUEST_LINE } from "../../qemu/demoGuest.ts";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { bootTimeline, parseTrace, TRACE_CMDLINE } from "./trace.ts";
import { parseProbe, PROBE_COMMANDS, PROBE_END, type Probe } from "./probe.ts";
import { healthDir } from "../../init/healthPaths.ts";

export type InitKind = "ours" | "baseline";

/** The guest NIC: libxl gives the stubdom's PV NIC the guest NIC's MAC. */
const GUEST_MAC = "00:16:3e:5e:6c:01";

export const benchSeed = (): SeedSpec => ({
  ...DEMO,
  argv: [...demoArgv(), "-netdev", "type=tap,id=net0,ifname=vif1.0-emu,script=no,downscript=no", "-device", `e1000,id=nic0,netdev=net0,mac=${GUEST_MAC}`],
  vifs: [{ devid: 0, mac: GUEST_MAC }],
});

const ANCHOR: Record<InitKind, RegExp> = { ours: /stubdom-init: starting/, baseline: /baseline-init: starting/ };
/** The baseline's lines around its module loop, told apart in the trace by their length. */
const MODULE_LINES = ["baseline-init: loading modules\n", "baseline-init: modules loaded\n"].map((l) => new TextEncoder().encode(l).length);

export interface BootSample {
  init: InitKind;
  /** Which pair of the run it belongs to (set by the caller). */
  round?: number;
  /** Milliseconds from PID 1's exec of /init. */
  firstLineMs: number;
  qemuExecMs: number;
  /** The module step: ours times it itself (health boot-ms/modules); the baseline prints a line before and after. */
  modulesMs: number;
  /** Ours only: health `state` = running, as dom0 sees it. */
  runningMs?: number;
  guestLineMs: number;
  execsBefore: string[];
  forksBefore: number;
  probe: Probe;
  bootMsKeys?: Record<string, string>;
}

export interface BootOptions {
  init: InitKind;
  kernel: string;
  rootfs: string;
  memoryMiB?: number;
  boundMs?: number;
}

/** dev mode's VM with a virtio NIC added: a wrapper QEMU binary appends it to devVm's argv. */
function qemuWithNic(runDir: string): string {
  const wrapper = join(runDir, "qemu-with-nic");
  const nic = `-netdev hubport,id=pv0,hubid=0 -device virtio-net-pci,netdev=pv0,mac=${GUEST_MAC},romfile=`;
  writeFileSync(wrapper, `#!/bin/sh\nexec qemu-system-x86_64 "$@" ${nic}\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/** Records the host time of the first line matching `re`. */
function firstLineAt(lines: { onLine(cb: (l: string) => void): void }, re: RegExp): { at?: number } {
  const seen: { at?: number } = {};
  lines.onLine((l) => {
    if (seen.at === undefined && re.test(l)) seen.at = performance.now();
  });
  return seen;
}

export async function measureBoot(o: BootOptions): Promise<BootSample> {
  const bound = o.boundMs ?? 120_000;
  const runDir = mkdtempSync(join(tmpdir(), "stubdom-bench-"));
  const xenstored = new XenStoreServer();
  let vm: DevVm | undefined;
  let xs: XenStoreClient | undefined;
  try {
    await xenstored.listen(join(runDir, "xenstored.sock"), 0);
    xs = new XenStoreClient(await connectUnix(join(runDir, "xenstored.sock")));
    const seed = benchSeed();
    await seedStubdom(xs, seed);
    const health = (k: string): string => `${healthDir(seed.stubdom)}/${k}`;
    const running = o.init === "ours" ? waitForValue(xs, health("state"), (v) => v === "running", bound).then(() => performance.now()) : undefined;
    running?.catch(() => undefined);
    vm = await DevVm.start({
      kernel: o.kernel, rootfs: o.rootfs, runDir, xenstore: xenstored, domid: seed.stubdom,
      memoryMiB: o.memoryMiB, cmdline: TRACE_CMDLINE, qemu: qemuWithNic(runDir),
    });
    const anchor = firstLineAt(vm.console.lines, ANCHOR[o.init]);
    const guest = firstLineAt(vm.hvc[3].lines, new RegExp(DEMO_GUEST_LINE));
    const exited = vm.exited.then((e) => {
      throw new Error(`the stubdom VM exited (code ${e.code}, signal ${e.signal})`);
    });
    exited.catch(() => undefined);
    await Promise.race([vm.hvc[3].lines.waitFor(new RegExp(DEMO_GUEST_LINE), bound), exited]);
    const runningAt = running ? await bounded(running, bound, "health running") : undefined;

    // The shell that reports: ours by its config key, the baseline's by pressing enter.
    const hvc0 = vm.hvc[0];
    if (o.init === "ours") {
      await xs.write(`${configDir(seed.stubdom)}/debug-shell`, "1");
      await hvc0.lines.waitFor(/stubdom# /, 30_000);
    } else {
      await hvc0.lines.waitFor(/==== Press enter for shell ====/, 30_000);
      hvc0.send("\n");
      await hvc0.lines.waitFor(/baseline# /, 30_000);
    }
    const before = hvc0.lines.all.length;
    hvc0.send(`${PROBE_COMMANDS}\n`);
    await hvc0.lines.waitFor(PROBE_END, 60_000);
    const probe = parseProbe(hvc0.lines.all.slice(before));
    const timeline = bootTimeline(parseTrace(probe.trace), DEV_QEMU);

    const ms = (traceSeconds: number): number => (traceSeconds - timeline.init) * 1000;
    const firstWrite = timeline.consoleWrites[0]?.at;
    if (firstWrite === undefined || anchor.at === undefined || guest.at === undefined) throw new Error("the init's first console line or the guest's line is missing");
    const onTrace = (host: number): number => ms(firstWrite) + (host - anchor.at!);
    let modulesMs: number;
    let bootMsKeys: Record<string, string> | undefined;
    if (o.init === "ours") {
      const keys = await xs.directory(health("boot-ms"));
      bootMsKeys = Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await xs!.readString(health(`boot-ms/${k}`))] as const)));
      modulesMs = Number(bootMsKeys.modules ?? NaN);
    } else {
      const start = timeline.consoleWrites.find((w) => w.bytes === MODULE_LINES[0]);
      const end = timeline.consoleWrites.find((w) => w.bytes === MODULE_LINES[1]);
      if (start === undefined || end === undefined) throw new Error("the baseline's module lines are missing from the trace");
      modulesMs = (end.at - start.at) * 1000;
    }
    return {
      init: o.init,
      firstLineMs: ms(firstWrite),
      qemuExecMs: ms(timeline.qemu),
      modulesMs,
      runningMs: runningAt === undefined ? undefined : onTrace(runningAt),
      guestLineMs: onTrace(guest.at),
      execsBefore: timeline.execsBefore,
      forksBefore: timeline.forksBefore,
      probe,
      bootMsKeys,
    };
  } catch (e) {
    const consoles = vm ? `\n--- kernel console ---\n${vm.console.lines.all.slice(-4000)}\n--- hvc0 ---\n${vm.hvc[0].lines.all.slice(-4000)}\n--- qemu stderr ---\n${vm.stderr.all}` : "";
    throw new Error(`${o.init} boot: ${(e as Error).message}${consoles}`);
  } finally {
    await vm?.stop(2000);
    xs?.close();
    await xenstored.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}
