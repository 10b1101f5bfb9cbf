// The stubdom's console 0 (its log) says it is ready, in XenStore, for a dom0 QEMU that waits to be
// told. libxl serves a stubdom's consoles from a dom0 QEMU. From QEMU 8.2 on (Debian 13's QEMU 10),
// that QEMU reads console 0's ring only once the frontend's `console/state` says Initialised (3),
// and neither libxl nor Linux's hvc_xen ever writes that key: the log is never read, and the
// stubdom's kernel spins in its console write as soon as the 2 KiB ring is full. So the init writes
// it first thing (README: "Debian 13 (Xen 4.20)"). Where dom0 does not let the stubdom create it,
// the refusal is expected and nothing is lost: such a host's console backend does not wait for it.
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import { XenStoreError } from "../runtime/xenstore/client.ts";

/** Relative to the stubdom's own /local/domain/<S>: libxl's frontend keys of console 0. */
export const LOG_CONSOLE_DIR = "console";
/** XenbusStateInitialised: the frontend's ring and event channel (libxl's, here) are published. */
export const INITIALISED = "3";

export type LogConsoleOutcome = "written" | "no console" | "refused";

/** Writes console/state = 3 when console 0 has a backend; "refused" when dom0 did not allow it. */
export async function announceLogConsole(xs: XenStoreClient): Promise<LogConsoleOutcome> {
  try {
    await xs.read(`${LOG_CONSOLE_DIR}/backend`);
  } catch (e) {
    if (e instanceof XenStoreError && e.code === "ENOENT") return "no console";
    if (e instanceof XenStoreError && e.code === "EACCES") return "refused";
    throw e;
  }
  try {
    await xs.write(`${LOG_CONSOLE_DIR}/state`, INITIALISED);
    return "written";
  } catch (e) {
    if (e instanceof XenStoreError && e.code === "EACCES") return "refused";
    throw e;
  }
}
