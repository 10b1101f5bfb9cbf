// The stubdom's devices as the init sees them: its hvc consoles and network interfaces (from
// /dev and sysfs) and its PV NICs (from XenStore).
import type { Sys } from "../runtime/sys.ts";
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import type { Log } from "./log.ts";
import type { InterfaceKind, NetInterface, Vif } from "./network.ts";

export interface LogConsole {
  /** Where supervisor and QEMU output goes: hvc0, or the kernel console (fd 1) when there is none. */
  logFd: number;
  /** hvc0 for a debug shell, when it exists. */
  shellFd?: number;
}

export interface DataConsoles {
  /** hvc1, libxl's save console; the device state is copied there (deviceState.ts). */
  saveFd?: number;
  /** hvc2, libxl's restore console; QEMU reads it. */
  restoreFd?: number;
}

/**
 * hvc0 carries the log (and QEMU's output); dev mode's kernel console is ttyS0, so hvc0 is then a
 * log sink of its own. The log writes through descriptions it owns, nonblocking; children get
 * descriptions of their own, blocking as programs expect.
 */
export function openLogConsole(sys: Sys, log: Log): LogConsole {
  try {
    log.replaceStdout(sys.open("/proc/self/fd/1", "w"));
  } catch (e) {
    // A socket (the native test tier's stdout) cannot be reopened; a console always can.
    log.info(`log: fd 1 cannot be reopened (${(e as Error).message}); the log writes to it directly`);
  }
  if (!sys.exists("/dev/hvc0")) return { logFd: 1 };
  const c = { logFd: sys.open("/dev/hvc0", "w"), shellFd: sys.open("/dev/hvc0", "rw") };
  // The last console listed is /dev/console, PID 1's stdout; hvc0 may be listed before it (dev mode
  // has console=hvc0 built in and console=ttyS0 after it) and then gets kernel messages only.
  const active = sys.exists("/sys/class/tty/console/active") ? sys.readText("/sys/class/tty/console/active").trim().split(/\s+/) : [];
  if (active[active.length - 1] !== "hvc0") log.addSink(sys.open("/dev/hvc0", "w"));
  return c;
}

/**
 * libxl's save stream (console 1, hvc1) and restore stream (console 2, hvc2) exist only when
 * device/console/<N> does. They carry binary data, so they are opened already raw.
 */
export async function openDataConsoles(sys: Sys, xs: XenStoreClient): Promise<DataConsoles> {
  const ids = await xs.directory("device/console").catch(() => [] as string[]);
  const c: DataConsoles = {};
  if (ids.includes("1")) c.saveFd = sys.openRawTty("/dev/hvc1", "w");
  if (ids.includes("2")) c.restoreFd = sys.openRawTty("/dev/hvc2", "r");
  return c;
}

/** Every device/vif/<id> with its MAC, or why the MAC could not be read. */
export async function readVifs(xs: XenStoreClient): Promise<Vif[]> {
  const ids = await xs.directory("device/vif").catch(() => [] as string[]);
  return Promise.all(
    ids.map((id) =>
      xs.readString(`device/vif/${id}/mac`).then(
        (mac): Vif => ({ id, mac }),
        (e: Error): Vif => ({ id, readError: (e as { code?: string }).code ?? e.message }),
      ),
    ),
  );
}

/** sysfs `type` values (ARPHRD_*) and the marks of a bridge or a tun/tap device. */
const ARPHRD_ETHER = "1";
const ARPHRD_LOOPBACK = "772";

function interfaceKind(sys: Sys, dir: string): InterfaceKind {
  const type = sys.readText(`${dir}/type`).trim();
  if (type === ARPHRD_LOOPBACK) return "loopback";
  if (type !== ARPHRD_ETHER) return "other";
  if (sys.exists(`${dir}/bridge`)) return "bridge";
  if (sys.exists(`${dir}/tun_flags`)) return "tap";
  return "ether";
}

export function readInterfaces(sys: Sys): NetInterface[] {
  if (!sys.exists("/sys/class/net")) return [];
  return sys.readdir("/sys/class/net").map((name) => {
    const dir = `/sys/class/net/${name}`;
    return { name, mac: sys.readText(`${dir}/address`).trim(), kind: interfaceKind(sys, dir) };
  });
}
