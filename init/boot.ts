// The boot sequence of the stubdom's PID 1, each step timed into health boot-ms. A step that fails
// for good is a sentence on hvc0 and in health `error`; PID 1 itself stays up so the domain can be
// inspected (the reaper's periodic sweep keeps the event loop alive forever).
import type { Sys } from "../runtime/sys.ts";
import { XenStoreClient } from "../runtime/xenstore/client.ts";
import { deviceTransport } from "../runtime/xenstore/deviceTransport.ts";
import { tapNetdevs } from "../qemu/dmArgv.ts";
import { cmdlineLayer, resolveConfig } from "./config.ts";
import { readGuestConfig } from "./guestConfig.ts";
import { HealthWriter } from "./health.ts";
import type { BootStep } from "./healthSchema.ts";
import { IMAGE_INFO, parseImageInfo } from "../rootfs/imageInfo.ts";
import { loadModules, MODULE_LIST, parseModuleList } from "./kernelModules.ts";
import { LiveConfig, readConfigLayer } from "./liveConfig.ts";
import { Log } from "./log.ts";
import { announceLogConsole, INITIALISED, LOG_CONSOLE_DIR } from "./logConsoleState.ts";
import { mountAll } from "./mounts.ts";
import { bridgeSteps, planBridges, type BridgePair } from "./network.ts";
import { Reaper } from "./reaper.ts";
import { applyNetSteps } from "./netSteps.ts";
import { startDeviceModel } from "./deviceModel.ts";
import { Supervisor } from "./supervisor.ts";
import { findXenStoreDevice, XENBUS_DEVICE } from "./xenstoreDevice.ts";
import { XenStoreLink } from "./xenstoreLink.ts";
import { readRunningXen } from "./xenRelease.ts";
import { openLogConsole, readInterfaces, readVifs } from "./devices.ts";

/** dom0's console channel is a vchan, so it exists on Xen only; its proxy is the image's vchan-socket-proxy. */
function startConsoleChannel(sys: Sys, log: Log, supervisor: Supervisor, device: string, logFd: number): void {
  if (device !== XENBUS_DEVICE) return log.info(`console: no channel for dom0: it is a vchan over Xen, and this XenStore channel (${device}) is not Xen's`);
  let proxy: string | undefined;
  try {
    proxy = parseImageInfo(sys.readText(IMAGE_INFO)).qmpProxy;
  } catch (e) {
    return log.error(`console: reading ${IMAGE_INFO} failed (${(e as Error).message}); dom0 cannot attach (stubdomctl console)`);
  }
  if (!proxy) return log.warn(`console: ${IMAGE_INFO} names no vchan-socket-proxy; dom0 cannot attach (stubdomctl console)`);
  supervisor.startConsole(proxy, logFd);
}

export async function boot(sys: Sys): Promise<void> {
  const log = new Log(sys);
  const bootMs: Partial<Record<BootStep, number>> = {};
  const timed = <T>(name: BootStep, fn: () => T): T => {
    const t = sys.now();
    try {
      return fn();
    } finally {
      bootMs[name] = Math.round(sys.now() - t);
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
  const cmdline = sys.getenv("STUBDOM_CMDLINE") ?? (sys.exists("/proc/cmdline") ? sys.readText("/proc/cmdline") : "");
  const cmdLayer = cmdlineLayer(cmdline);
  let { config, problems } = resolveConfig([cmdLayer]);
  log.setLevel(config["log-level"]);
  if (config.modules && sys.exists(MODULE_LIST)) {
    for (const f of timed("modules", () => loadModules(sys, parseModuleList(sys.readText(MODULE_LIST))))) log.warn(f);
  }
  const consoles = openLogConsole(sys, log);

  const device = config.xenstore || findXenStoreDevice(sys);
  if (!device) {
    log.error("no XenStore channel: neither /dev/xen/xenbus nor a virtio port named org.xen.xenstore exists; staying up for inspection");
    return;
  }
  let xs: XenStoreClient;
  try {
    xs = new XenStoreClient(deviceTransport(sys, device));
  } catch (e) {
    log.error(`opening the XenStore channel ${device} failed: ${(e as Error).message}; staying up for inspection`);
    return;
  }
  log.info(`xenstore: ${device}`);
  announceLogConsole(xs).then(
    (o) => (o === "written" ? log.info(`console 0: ${LOG_CONSOLE_DIR}/state = ${INITIALISED} (a dom0 QEMU 8.2 or later reads the log only once it is there)`) : log.debug(`console 0: ${LOG_CONSOLE_DIR}/state not written: ${o}`)),
    (e: Error) => log.warn(`console 0: writing ${LOG_CONSOLE_DIR}/state failed: ${e.message}`),
  );
  const health = new HealthWriter(xs, log);
  const supervisor = new Supervisor({ sys, log, reaper, xs, health, bootMs, wallOffsetMs: Date.now() - sys.now() }, config);
  new XenStoreLink(sys, log, xs, `the XenStore channel ${device}`, () => deviceTransport(sys, device), () => {
    health.invalidate();
    void supervisor.publish();
  });
  supervisor.setConfigProblems(problems);
  supervisor.booting("reading the guest configuration");
  supervisor.watchShutdown();
  startConsoleChannel(sys, log, supervisor, device, consoles.logFd);

  const configStart = sys.now();
  let guest;
  try {
    guest = await readGuestConfig(xs);
  } catch (e) {
    return supervisor.fail(`reading the guest configuration failed: ${(e as Error).message}`);
  }
  bootMs.config = Math.round(sys.now() - configStart);
  log.info(`stubdom ${guest.domid} serves guest ${guest.target} (${guest.vmPath}), ${guest.dmArgv.length} QEMU arguments`);
  try {
    sys.sethostname(`stubdom-${guest.domid}`);
    sys.writeText("/proc/sys/vm/overcommit_memory", "1");
  } catch (e) {
    log.warn(`system settings: ${(e as Error).message}`);
  }

  // In flight while dom0's settings are read: a XenStore round trip less before QEMU.
  const vifs = readVifs(xs);
  const live = new LiveConfig(cmdLayer, { config, problems });
  const applied = (r: { config: typeof config; problems: string[] }): void => {
    supervisor.setConfigProblems(r.problems);
    supervisor.applyConfig(r.config, consoles.shellFd);
  };
  try {
    applied(live.apply(await readConfigLayer(xs, guest.domid)));
  } catch (e) {
    log.warn(`reading dom0's settings: ${(e as Error).message}; the command line's and the defaults apply`);
  }
  await live
    .watch(xs, guest.domid, applied, (e) => log.warn(`reading dom0's settings again: ${e.message}; the settings in effect stay`))
    .catch((e: Error) => log.warn(`cannot watch the config keys: ${e.message}`));

  supervisor.booting("setting up the network redirect");
  let pairs: BridgePair[] = [];
  const netStart = sys.now();
  try {
    const plan = planBridges(tapNetdevs(guest.dmArgv), await vifs, readInterfaces(sys));
    if (plan.problems.length > 0) throw new Error(plan.problems.join("; "));
    pairs = plan.pairs;
    for (const p of pairs) applyNetSteps(sys, bridgeSteps(p));
    if (pairs.length) log.info(`network: ${pairs.map((p) => `${p.bridge} = ${p.pv} + ${p.tap}`).join(", ")}`);
  } catch (e) {
    return supervisor.fail(`setting up the network redirect failed: ${(e as Error).message}`);
  }
  bootMs.network = Math.round(sys.now() - netStart);

  supervisor.booting("opening the consoles and starting QEMU");
  let image;
  try {
    image = parseImageInfo(sys.readText(IMAGE_INFO));
  } catch (e) {
    return supervisor.fail(`reading the image description failed: ${(e as Error).message}`);
  }
  const xen = readRunningXen(sys);
  if (xen) log.info(`xen: ${xen.version}; the image's Xen libraries are ${image.xenRelease ?? "of an unnamed release"}`);
  supervisor.setXen(xen, image.xenRelease);
  const spawnStart = sys.now();
  const failed = await startDeviceModel({ sys, log, reaper, xs, supervisor, config, guest, image, device, logFd: consoles.logFd, pairs });
  if (failed) return supervisor.fail(failed);
  bootMs["qemu-spawn"] = Math.round(sys.now() - spawnStart);
  await supervisor.publish();
}
