// Starts one QEMU run: fresh listening QMP sockets handed to QEMU as inherited fds (so nothing
// waits for QEMU to create a socket), the device-state file and the restore console as fds, its
// output into the init's pipe, argv translated from libxl's dm-argv, and our own QMP connection
// queued on the socket before QEMU even runs.
import { RESTORE_PLACEHOLDER, translateDmArgv, withBridgeVnc, withoutIncoming, withoutMissingDiscs, type QemuFds } from "../qemu/dmArgv.ts";
import { QmpClient } from "../qemu/qmpClient.ts";
import { fdStream } from "../runtime/fdStream.ts";
import type { Sys } from "../runtime/sys.ts";

export const QMP_DIR = "/run/qmp";
export const INIT_QMP_SOCKET = `${QMP_DIR}/init.sock`;
/** vchan-socket-proxy connects here for libxl (on Xen): the init's relay (libxlQmpRelay.ts). */
export const LIBXL_QMP_SOCKET = `${QMP_DIR}/libxl.sock`;
/** QEMU's own monitor for libxl, behind the relay. */
export const QEMU_LIBXL_SOCKET = `${QMP_DIR}/qemu-libxl.sock`;

export interface QemuPlan {
  binary: string;
  dmArgv: readonly string[];
  /** The write end of the pipe QEMU's stdout/stderr go to (childOutput.ts). */
  outputFd: number;
  /** The device-state file (fdset 1, deviceState.ts), when libxl created the save console. */
  saveFd?: number;
  /** hvc2, opened raw: the restore stream, when libxl created it. */
  restoreFd?: number;
  libxlQmp: boolean;
  sandbox: boolean;
  /** Where QEMU's VNC server listens for the display bridge, when libxl gave the stubdom a vfb. */
  vncSocket?: string;
}

export class QemuLauncher {
  private runs = 0;
  qmp: QmpClient | undefined;
  /** Whether the run started last reads libxl's saved device state (only the first can). */
  restores = false;

  constructor(
    private readonly sys: Sys,
    private readonly plan: QemuPlan,
    private readonly onQmpEvent: (event: string, data: unknown) => void,
  ) {}

  /** Spawns QEMU and returns its pid; throws a sentence when it cannot. */
  launch(): number {
    const { sys, plan } = this;
    // Only a QEMU that was actually spawned consumed the restore stream: a launch that failed
    // before (no hvc2, no binary) must not turn the restore into a fresh boot on the retry.
    const first = this.runs === 0;
    sys.mkdir(QMP_DIR, 0o700);
    const listeners: number[] = [];
    try {
      listeners.push(sys.unixListen(INIT_QMP_SOCKET));
      if (plan.libxlQmp) listeners.push(sys.unixListen(QEMU_LIBXL_SOCKET));
      const childFds = [sys.open("/dev/null", "r"), plan.outputFd, plan.outputFd, ...listeners];
      const devnull = childFds[0];
      const fds: QemuFds = { initQmp: 3, libxlQmp: plan.libxlQmp ? 4 : undefined };
      if (plan.saveFd !== undefined) fds.save = childFds.push(plan.saveFd) - 1;
      if (first && plan.restoreFd !== undefined) fds.restore = childFds.push(plan.restoreFd) - 1;
      const again = (): string[] => withoutMissingDiscs(withoutIncoming(plan.dmArgv), (p) => sys.exists(p));
      const translated = translateDmArgv(first ? plan.dmArgv : again(), fds, plan.sandbox);
      // libxl gives a stubdom's QEMU `-display none` and no VNC: the bridge's one is added here.
      const argv = plan.vncSocket ? withBridgeVnc(translated, plan.vncSocket) : translated;
      let pid: number;
      try {
        pid = sys.spawn([plan.binary, ...argv], { fds: childFds });
        this.runs++;
        this.restores = first && plan.dmArgv.includes(RESTORE_PLACEHOLDER);
      } finally {
        sys.close(devnull);
      }
      this.qmp?.close();
      this.qmp = new QmpClient(fdStream(sys, sys.unixConnect(INIT_QMP_SOCKET), "QEMU's QMP socket"), this.onQmpEvent);
      return pid;
    } finally {
      for (const fd of listeners) sys.close(fd);
    }
  }

  /** The graceful stop: QMP quit, when our monitor is up. */
  quit(): void {
    this.qmp?.execute("quit").catch(() => undefined);
  }
}
