// The last boot step: the device model and what serves it. QEMU's output goes through a pipe the
// init reads, the save console gets the device-state file and, on Xen, the relay for libxl's QMP
// and the vchan proxy to dom0; then QEMU starts under supervision, and each time it answers QMP its
// taps join their bridges. On Xen, new CD vbds are handed to QEMU for libxl's cd-insert.
import type { Sys } from "../runtime/sys.ts";
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import type { ImageInfo } from "../rootfs/imageInfo.ts";
import { CdromMedia, VBD_DIR } from "./cdromMedia.ts";
import { VNC_SOCKET } from "./displayService.ts";
import type { Config } from "./configSchema.ts";
import { DeviceStateSave } from "./deviceState.ts";
import { openDataConsoles } from "./devices.ts";
import type { GuestConfig } from "./guestConfig.ts";
import { applyNetSteps } from "./netSteps.ts";
import { startLibxlQmpRelay } from "./libxlQmpRelay.ts";
import type { Log } from "./log.ts";
import { PciPassthrough } from "./pciPassthrough.ts";
import { tapSteps, type BridgePair } from "./network.ts";
import { LIBXL_QMP_SOCKET, QEMU_LIBXL_SOCKET, QemuLauncher, QMP_DIR } from "./qemuLauncher.ts";
import { ChildOutput } from "./childOutput.ts";
import type { Reaper } from "./reaper.ts";
import type { Supervisor } from "./supervisor.ts";
import { XENBUS_DEVICE } from "./xenstoreDevice.ts";

export interface DeviceModelContext {
  sys: Sys;
  log: Log;
  reaper: Reaper;
  xs: XenStoreClient;
  supervisor: Supervisor;
  config: Config;
  guest: GuestConfig;
  image: ImageInfo;
  /** The XenStore channel in use: libxl's QMP path (a vchan) exists only on Xen's. */
  device: string;
  logFd: number;
  pairs: readonly BridgePair[];
}

/** The init's own binary (stubjs), which runs the display bridge's bundle too. */
const RUNTIME = "/init";
const VFB_DIR = "device/vfb";

/** libxl gives the stubdom a vfb when the guest has vnc, sdl or spice (xl's default: vnc=1). */
async function hasVfb(xs: XenStoreClient, log: Log): Promise<boolean> {
  try {
    const vfbs = await xs.directory(VFB_DIR);
    if (vfbs.length > 0) log.info(`display: libxl gave this stubdom a vfb (${VFB_DIR}/${vfbs.join(", ")}): QEMU draws the guest's screen for the display bridge`);
    return vfbs.length > 0;
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") log.warn(`display: reading ${VFB_DIR}: ${(e as Error).message}; the guest's screen is not bridged`);
    return false;
  }
}

/** Returns a sentence when the device model cannot be started at all. */
export async function startDeviceModel(c: DeviceModelContext): Promise<string | undefined> {
  const { sys, log, reaper, supervisor, image } = c;
  let data;
  try {
    data = await openDataConsoles(sys, c.xs);
  } catch (e) {
    return `opening the save/restore consoles failed: ${(e as Error).message}`;
  }
  // Before QEMU starts: the kernel log holds addresses that would undo KASLR for whoever reads it.
  try {
    sys.klogClear();
  } catch (e) {
    log.warn(`clearing the kernel log: ${(e as Error).message}`);
  }

  const qmpProxy = c.device === XENBUS_DEVICE ? image.qmpProxy : undefined;
  if (image.qmpProxy && !qmpProxy) log.info(`qmp-proxy: not started: libxl's QMP path is a vchan over Xen, and this XenStore channel (${c.device}) is not Xen's`);
  const sandbox = c.config.sandbox && image.sandbox !== false;
  if (c.config.sandbox && !sandbox) log.warn(`${image.qemu} has no seccomp (image.json "sandbox": false): starting it without -sandbox`);

  const display = c.device === XENBUS_DEVICE && (await hasVfb(c.xs, log));
  let save: DeviceStateSave | undefined;
  try {
    const output = new ChildOutput(sys, log);
    if (data.saveFd !== undefined) save = new DeviceStateSave(sys, reaper, data.saveFd, c.logFd);
    if (qmpProxy) {
      sys.mkdir(QMP_DIR, 0o700);
      if (save) {
        const pci = new PciPassthrough(sys, log, c.xs, image.pcifrontLookup !== true);
        startLibxlQmpRelay(sys, log, sys.unixListen(LIBXL_QMP_SOCKET), QEMU_LIBXL_SOCKET, { save, pci });
      }
      else log.warn("save: no save console (device/console/1): libxl cannot save this guest's device model");
    }
    const launcher = new QemuLauncher(
      sys,
      { binary: image.qemu, dmArgv: c.guest.dmArgv, outputFd: output.writeFd, saveFd: save?.fd, restoreFd: data.restoreFd, libxlQmp: qmpProxy !== undefined, sandbox, vncSocket: display ? VNC_SOCKET : undefined },
      (event) => supervisor.qmpEvent(event),
    );
    if (display) sys.mkdir(VNC_SOCKET.slice(0, VNC_SOCKET.lastIndexOf("/")), 0o700);
    supervisor.startQemu(launcher, output, () => {
      if (display) supervisor.startDisplay(RUNTIME);
      for (const p of c.pairs) {
        try {
          applyNetSteps(sys, tapSteps(p));
          log.info(`network: ${p.tap} attached to ${p.bridge}`);
        } catch (e) {
          supervisor.fail(`attaching QEMU's tap ${p.tap} to ${p.bridge} failed: ${(e as Error).message}`);
        }
      }
    });
    if (c.device === XENBUS_DEVICE) {
      new CdromMedia({ sys, log, xs: c.xs, qmp: () => launcher.qmp }).start().catch((e: Error) => log.error(`cdrom: cannot watch ${VBD_DIR}: ${e.message}; xl cd-insert will time out`));
    }
  } catch (e) {
    return `preparing QEMU's channels failed: ${(e as Error).message}`;
  }
  // With the relay, libxl's monitor is the init's socket: no vchan proxy may connect before it listens.
  if (qmpProxy && save) supervisor.startQmpProxy([qmpProxy, "--mode=server", "0", `device-model/${c.guest.target}/qmp-vchan`, LIBXL_QMP_SOCKET], c.logFd);
  return undefined;
}
