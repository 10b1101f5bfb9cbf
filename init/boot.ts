// The boot sequence of the stubdom's PID 1: mount, load modules, open XenStore, read what libxl
// wrote, start QEMU, report health. A failing step ends in a sentence on the log and in health
// `error`; PID 1 itself stays up so the domain remains inspectable.
import { describeExit, type Sys } from "../runtime/sys.ts";
import { XenStoreClient } from "../runtime/xenstore/client.ts";
import { deviceTransport } from "../runtime/xenstore/deviceTransport.ts";
import { readGuestConfig } from "./guestConfig.ts";
import { Health } from "./health.ts";
import { readImageInfo } from "./imageInfo.ts";
import { loadModules, MODULE_LIST, parseModuleList } from "./kernelModules.ts";
import { Log } from "./log.ts";
import { mountAll } from "./mounts.ts";
import { Reaper } from "./reaper.ts";
import { findXenStoreDevice } from "./xenstoreDevice.ts";

const HVC0 = "/dev/hvc0";

/** Opens hvc0 for the log when the kernel console is elsewhere (dev mode: ttyS0); returns its fd. */
function openLogConsole(sys: Sys, log: Log): number | undefined {
  if (!sys.exists(HVC0)) return undefined;
  const active = sys.exists("/sys/class/tty/console/active") ? sys.readText("/sys/class/tty/console/active").trim().split(/\s+/) : [];
  const fd = sys.open(HVC0, "w");
  if (!active.includes("hvc0")) log.addSink(fd);
  return fd;
}

export async function boot(sys: Sys): Promise<void> {
  const log = new Log(sys);
  const timings: Record<string, number> = {};
  const timed = <T>(name: string, fn: () => T): T => {
    const t = sys.now();
    try {
      return fn();
    } finally {
      timings[name] = Math.round(sys.now() - t);
    }
  };
  log.info("stubdom-init: starting");
  const reaper = new Reaper(sys, log);
  reaper.start();

  try {
    timed("mounts", () => mountAll(sys));
  } catch (e) {
    log.error(`mounting the boot filesystems failed: ${(e as Error).message}`);
  }
  const moduleFailures = timed("modules", () => (sys.exists(MODULE_LIST) ? loadModules(sys, parseModuleList(sys.readText(MODULE_LIST))) : []));
  for (const f of moduleFailures) log.warn(f);
  const hvc0 = openLogConsole(sys, log);

  const device = findXenStoreDevice(sys);
  if (!device) {
    log.error("no XenStore channel: neither /dev/xen/xenbus nor a virtio port named org.xen.xenstore exists; staying up for inspection");
    return;
  }
  log.info(`xenstore: ${device}`);
  const xs = new XenStoreClient(deviceTransport(sys, device));
  const health = new Health(xs, log);
  await health.state("booting");

  let config;
  const configStart = sys.now();
  try {
    config = await readGuestConfig(xs);
  } catch (e) {
    const sentence = `reading the guest configuration failed: ${(e as Error).message}`;
    log.error(sentence);
    await health.fail(sentence);
    return;
  }
  timings.config = Math.round(sys.now() - configStart);
  log.info(`stubdom ${config.domid} serves guest ${config.target} (${config.vmPath}), ${config.dmArgv.length} QEMU arguments`);

  let qemuPath: string;
  let pid: number;
  try {
    qemuPath = readImageInfo(sys).qemu;
    const out = hvc0 ?? 1;
    const devnull = sys.open("/dev/null", "r");
    pid = timed("qemu-spawn", () => sys.spawn([qemuPath, ...config.dmArgv], { fds: [devnull, out, out] }));
    sys.close(devnull);
  } catch (e) {
    const sentence = `starting QEMU failed: ${(e as Error).message}`;
    log.error(sentence);
    await health.fail(sentence);
    return;
  }
  log.info(`qemu: started pid ${pid}: ${qemuPath} ${config.dmArgv.join(" ")}`);
  reaper.own(pid, (e) => {
    const sentence = `QEMU (pid ${pid}) exited with ${describeExit(e)}`;
    log.error(sentence);
    void health.set("qemu/last-exit", describeExit(e)).then(() => health.fail(sentence));
  });
  await Promise.all([
    health.set("qemu/pid", String(pid)),
    ...Object.entries(timings).map(([k, v]) => health.set(`boot-ms/${k}`, String(v))),
    health.set("mem-free-kb", String(sys.memFreeKb())),
  ]);
  await health.state("running");
  log.info("state: running");
}
