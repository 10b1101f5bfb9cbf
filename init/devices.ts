// The stubdom's devices as the init sees them: its hvc consoles and network interfaces (from
// /dev and sysfs) and its PV NICs (from XenStore).
import type { Sys } from "../runtime/sys.ts";
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import type { Log } from "./log.ts";
import type { NetInterface, Vif } from "./network.ts";

export interface LogConsole {
  /** Where supervisor and QEMU output goes: hvc0, or the kernel console (fd 1) when there is none. */
  logFd: number;
  /** hvc0 for a debug shell, when it exists. */
  shellFd?: number;
}

export interface DataConsoles {
  saveFd?: number;
  restoreFd?: number;
}

const openRaw = (sys: Sys, path: string, mode: "r" | "w" | "rw"): number => {
  const fd = sys.open(path, mode);
  sys.ttyRaw(fd);
  return fd;
};

/** hvc0 carries the log; dev mode's kernel console is ttyS0, so hvc0 is then added as a sink. */
export function openLogConsole(sys: Sys, log: Log): LogConsole {
  if (!sys.exists("/dev/hvc0")) return { logFd: 1 };
  const c = { logFd: sys.open("/dev/hvc0", "w"), shellFd: sys.open("/dev/hvc0", "rw") };
  const active = sys.exists("/sys/class/tty/console/active") ? sys.readText("/sys/class/tty/console/active").trim().split(/\s+/) : [];
  if (!active.includes("hvc0")) log.addSink(c.logFd);
  return c;
}

/**
 * libxl's save stream (console 1, hvc1) and restore stream (console 2, hvc2) exist only when
 * device/console/<N> does. They carry data, so they are opened raw.
 */
export async function openDataConsoles(sys: Sys, xs: XenStoreClient): Promise<DataConsoles> {
  const ids = await xs.directory("device/console").catch(() => [] as string[]);
  const c: DataConsoles = {};
  if (ids.includes("1")) c.saveFd = openRaw(sys, "/dev/hvc1", "w");
  if (ids.includes("2")) c.restoreFd = openRaw(sys, "/dev/hvc2", "r");
  return c;
}

export async function readVifs(xs: XenStoreClient): Promise<Vif[]> {
  const ids = await xs.directory("device/vif").catch(() => [] as string[]);
  return Promise.all(ids.map(async (id) => ({ devid: Number(id), mac: await xs.readString(`device/vif/${id}/mac`) })));
}

export function readInterfaces(sys: Sys): NetInterface[] {
  if (!sys.exists("/sys/class/net")) return [];
  return sys.readdir("/sys/class/net").map((name) => ({ name, mac: sys.readText(`/sys/class/net/${name}/address`).trim() }));
}
