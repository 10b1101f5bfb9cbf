// Saving QEMU's device state for libxl. libxl asks QEMU, over QMP, to `xen-save-devices-state` into
// /dev/fdset/1, and once QEMU answers it reads /var/lib/xen/qemu-save.<guest>: the file a dom0 QEMU
// fills with whatever the stubdom writes to console 1 (hvc1). Two things stand in the way:
// - QEMU opens its target with O_TRUNC, which a tty refuses (EINVAL). So fdset 1 is a file of ours
//   in tmpfs, and the init copies it to hvc1 itself.
// - libxl must not read a half-written state. The relay (libxlQmpRelay.ts) holds QEMU's answer until
//   the copy is complete in dom0's file. Complete means: the copy (a `cat` child, since a write to an
//   hvc console waits in the kernel while the ring is full) has ended, the tty has passed every byte
//   to the console driver (ttyPending = 0), and the driver's ring, which holds at most
//   CONSOLE_RING_BYTES, holds only padding: after the state comes that many zero bytes. The dom0 QEMU
//   writes to the file what it takes from the ring in the same step, so every byte of the state is in
//   the file. QEMU's loader stops at the state's end (libxl's machine has suppress-vmdesc=on), so
//   the padding is never read on restore.
// dom0's file only grows, so a second save from one stubdom would leave the first state in front of
// it, and a restore would load that stale one: a second save is refused with a sentence.
import type { Sys, TimerHandle } from "../runtime/sys.ts";
import { describeExit } from "../runtime/sys.ts";
import type { Reaper } from "./reaper.ts";

/** `char out[2048]` of struct xencons_interface (xen/include/public/io/console.h). */
export const CONSOLE_RING_BYTES = 2048;
export const STATE_FILE = "/run/stubdom/device-state";
export const PAD_FILE = "/run/stubdom/device-state-pad";
/** The copy's bound: the ring moves a few MB/s through dom0; states are tens of kB. */
export const COPY_BOUND_MS = 120_000;
const DRAIN_POLL_MS = 20;
export const DRAIN_BOUND_MS = 10_000;

export type Delivery = { ok: true; bytes: number } | { ok: false; why: string };

export class DeviceStateSave {
  /** QEMU's fdset 1. */
  readonly fd: number;
  private saves = 0;

  constructor(
    private readonly sys: Sys,
    private readonly reaper: Reaper,
    /** hvc1, opened raw; the init never writes it itself. */
    private readonly consoleFd: number,
    private readonly logFd: number,
  ) {
    sys.mkdir("/run/stubdom", 0o700);
    sys.writeText(STATE_FILE, "");
    sys.writeText(PAD_FILE, "\0".repeat(CONSOLE_RING_BYTES));
    this.fd = sys.open(STATE_FILE, "w");
  }

  /** Why a save must not run now, or undefined: call before QEMU is asked. */
  refusal(): string | undefined {
    if (this.saves === 0) return undefined;
    return "this stubdom's device state was saved once already, and libxl's save file (written through console 1) only grows, so a second state would be restored as the first; restart the guest to save it again";
  }

  /** Empties the state file, so QEMU writes from its start (its fd shares our offset). */
  prepare(): void {
    this.sys.truncate(this.fd);
  }

  /** Copies what QEMU wrote to hvc1, then the padding, and resolves once dom0 has all of the state. */
  async deliver(): Promise<Delivery> {
    const bytes = this.sys.readBytes(STATE_FILE).length;
    if (bytes === 0) return { ok: false, why: "QEMU wrote no device state" };
    this.saves++;
    const copied = await this.copy();
    if (copied) return { ok: false, why: copied };
    const drained = await this.drained();
    return drained ? { ok: false, why: drained } : { ok: true, bytes };
  }

  /** A sentence when the copy failed, undefined when it ended well. */
  private copy(): Promise<string | undefined> {
    return new Promise((resolve) => {
      let pid: number;
      try {
        pid = this.sys.spawn(["/bin/cat", STATE_FILE, PAD_FILE], { fds: [-1, this.consoleFd, this.logFd] });
      } catch (e) {
        resolve(`copying the device state to hvc1: ${(e as Error).message}`);
        return;
      }
      const bound: TimerHandle = this.sys.setTimer(COPY_BOUND_MS, () => {
        try {
          this.sys.kill(pid, 9);
        } catch {
          // Ended meanwhile: its exit is on the way.
        }
      });
      this.reaper.own(pid, (e) => {
        bound.cancel();
        resolve(e.code === 0 ? undefined : `copying the device state to hvc1 ended with ${describeExit(e)}${e.signal === 9 ? ` after ${COPY_BOUND_MS / 1000} s: dom0 is not reading console 1` : ""}`);
      });
    });
  }

  /** Waits, polling, until the tty has passed every byte on to the console driver. */
  private drained(): Promise<string | undefined> {
    const start = this.sys.now();
    return new Promise((resolve) => {
      const poll = (): void => {
        let pending: number;
        try {
          pending = this.sys.ttyPending(this.consoleFd);
        } catch (e) {
          return resolve(`waiting for hvc1 to drain: ${(e as Error).message}`);
        }
        if (pending === 0) return resolve(undefined);
        if (this.sys.now() - start > DRAIN_BOUND_MS) return resolve(`hvc1 still holds ${pending} bytes after ${DRAIN_BOUND_MS / 1000} s: dom0 is not reading console 1`);
        this.sys.setTimer(DRAIN_POLL_MS, poll);
      };
      poll();
    });
  }
}
