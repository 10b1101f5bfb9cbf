// libxl's QMP into the stubdom: vchan-socket-proxy connects to LIBXL_QMP_SOCKET for each dom0
// connection, and this relay carries the lines between it and QEMU's own monitor for libxl. It
// reads libxl's commands only to see `xen-save-devices-state`: before QEMU gets that one the state
// file is emptied, and QEMU's answer is held until the state is complete in dom0 (deviceState.ts),
// or replaced by an error that says why not. A `device_add` of a host PCI device
// (xen-pci-passthrough) waits until the device is there for QEMU (pciPassthrough.ts), and becomes an
// error that says why when it is not; what libxl sends meanwhile waits behind it. Everything else
// passes as it came, in order.
// While QEMU is down (a restart), a connection waits for the next QEMU's monitor, retrying with a
// backoff up to QEMU_WAIT_MS: closing it at once would make vchan-socket-proxy, which reconnects as
// soon as a connection ends, spin against the init.
import { fdStream, type ByteStream } from "../runtime/fdStream.ts";
import type { Sys } from "../runtime/sys.ts";
import { decodeUtf8, encodeUtf8 } from "../runtime/utf8.ts";
import { QmpLines, qmpObject } from "../qemu/qmpLines.ts";
import type { Delivery } from "./deviceState.ts";
import { acceptConnections } from "./acceptConnections.ts";
import type { Log } from "./log.ts";

export const SAVE_COMMAND = "xen-save-devices-state";
/** The QEMU device libxl adds for each host PCI device it passes through. */
export const PCI_PASSTHROUGH_DRIVER = "xen-pci-passthrough";
/** How long a libxl connection waits for QEMU's monitor (a restart's backoff is at most 10 s by default). */
export const QEMU_WAIT_MS = 30_000;
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;
/** libxl's lines held while no QEMU is there yet; more means it is not waiting for answers. */
const MAX_WAITING_LINES = 64;

export interface SaveHook {
  refusal(): string | undefined;
  prepare(): void;
  deliver(): Promise<Delivery>;
}

export interface PciHook {
  /** Resolves once host device `hostaddr` is there for QEMU; to a sentence when it is not. */
  ready(hostaddr: string): Promise<string | undefined>;
}

export interface RelayHooks {
  save: SaveHook;
  pci: PciHook;
}

/** QMP's error reply for command `id` (the id as libxl sent it, already JSON). */
export const qmpError = (idJson: string, desc: string): Uint8Array =>
  encodeUtf8(`{"error": {"class": "GenericError", "desc": ${JSON.stringify(desc)}}, "id": ${idJson}}\r\n`);

/** One libxl connection: its stream and, once QEMU's monitor answers, QEMU's. */
class Relay {
  private readonly fromLibxl = new QmpLines();
  private readonly fromQemu = new QmpLines();
  private qemu: ByteStream | undefined;
  /** libxl's lines that arrived before QEMU's monitor did. */
  private waiting: Uint8Array[] = [];
  /** The id (as JSON) of the save command QEMU is working on. */
  private saveId: string | undefined;
  /** QEMU's lines that wait behind a held save answer. */
  private held: Uint8Array[] | undefined;
  /** libxl's lines that wait behind a device_add whose device is not there yet. */
  private behindPci: Uint8Array[] | undefined;
  private open = true;

  constructor(
    private readonly libxl: ByteStream,
    private readonly hooks: RelayHooks,
    private readonly log: Log,
  ) {
    libxl.onData((b) => this.guard(() => this.fromLibxlData(b)));
    libxl.onClose(() => this.close());
  }

  get closed(): boolean {
    return !this.open;
  }

  attach(qemu: ByteStream): void {
    this.qemu = qemu;
    qemu.onData((b) => this.guard(() => this.fromQemuData(b)));
    qemu.onClose(() => this.close());
    for (const line of this.waiting.splice(0)) qemu.write(line);
  }

  private toQemu(line: Uint8Array): void {
    if (this.qemu) return this.qemu.write(line);
    if (this.waiting.length >= MAX_WAITING_LINES) throw new Error(`libxl sent ${MAX_WAITING_LINES} lines while QEMU's monitor was not there`);
    this.waiting.push(line);
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.warn(`qmp relay: ${(e as Error).message}; closing libxl's connection`);
      this.close();
    }
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.libxl.close();
    this.qemu?.close();
  }

  private fromLibxlData(bytes: Uint8Array): void {
    for (const line of this.fromLibxl.push(bytes)) {
      if (this.behindPci) {
        if (this.behindPci.length >= MAX_WAITING_LINES) throw new Error(`libxl sent ${MAX_WAITING_LINES} lines while a PCI device_add waited`);
        this.behindPci.push(line);
      } else this.fromLibxlLine(line);
    }
  }

  private fromLibxlLine(line: Uint8Array): void {
    const cmd = qmpObject(line, decodeUtf8);
    const id = JSON.stringify(cmd?.id ?? null);
    if (cmd?.execute === SAVE_COMMAND) {
      const refused = this.hooks.save.refusal();
      if (refused) {
        this.log.error(`save: refused: ${refused}`);
        this.libxl.write(qmpError(id, `stubdom: ${refused}`));
        return;
      }
      this.hooks.save.prepare();
      this.saveId = id;
      this.log.info("save: libxl asked QEMU for the device state");
    }
    const args = cmd?.execute === "device_add" ? cmd.arguments : undefined;
    if (typeof args === "object" && args !== null && (args as { driver?: unknown }).driver === PCI_PASSTHROUGH_DRIVER) {
      const hostaddr = String((args as { hostaddr?: unknown }).hostaddr ?? "");
      this.behindPci = [];
      void this.hooks.pci.ready(hostaddr).then((why) => this.pciSettled(line, id, hostaddr, why));
      return;
    }
    this.toQemu(line);
  }

  /** The held device_add goes to QEMU, or becomes an error for libxl; then what waited behind it. */
  private pciSettled(line: Uint8Array, id: string, hostaddr: string, why: string | undefined): void {
    const behind = this.behindPci ?? [];
    this.behindPci = undefined;
    if (!this.open) return;
    this.guard(() => {
      if (why === undefined) this.toQemu(line);
      else {
        this.log.error(`pci: device_add of host ${hostaddr} refused: ${why}`);
        this.libxl.write(qmpError(id, `stubdom: ${why}`));
      }
      while (behind.length > 0 && !this.behindPci) this.fromLibxlLine(behind.shift()!);
      if (this.behindPci) this.behindPci.unshift(...behind);
    });
  }

  private fromQemuData(bytes: Uint8Array): void {
    for (const line of this.fromQemu.push(bytes)) {
      if (this.held) {
        this.held.push(line);
        continue;
      }
      const reply = this.saveId === undefined ? undefined : qmpObject(line, decodeUtf8);
      if (reply && JSON.stringify(reply.id ?? null) === this.saveId && ("return" in reply || "error" in reply)) {
        const id = this.saveId;
        this.saveId = undefined;
        if ("return" in reply) {
          this.held = [];
          void this.hooks.save.deliver().then((d) => this.release(id, line, d));
          continue;
        }
        this.log.error(`save: QEMU could not save the device state: ${JSON.stringify(reply.error)}`);
      }
      this.libxl.write(line);
    }
  }

  private release(id: string, answer: Uint8Array, d: Delivery): void {
    if (d.ok) this.log.info(`save: ${d.bytes} bytes of device state are in dom0's save file; QEMU's answer goes to libxl`);
    else this.log.error(`save: failed: ${d.why}`);
    const held = this.held ?? [];
    this.held = undefined;
    if (!this.open) return;
    this.guard(() => {
      this.libxl.write(d.ok ? answer : qmpError(id, `stubdom: ${d.why}`));
      for (const l of held) this.libxl.write(l);
    });
  }
}

/** Connects `relay` to QEMU's monitor, retrying with a backoff while QEMU is not there. */
function connectQemu(sys: Sys, log: Log, relay: Relay, qemuSocket: string, started: number, delay = RETRY_FIRST_MS): void {
  if (relay.closed) return;
  let fd: number;
  try {
    fd = sys.unixConnect(qemuSocket);
  } catch (e) {
    if (delay === RETRY_FIRST_MS) log.info(`qmp relay: QEMU's monitor for libxl is not there (${(e as Error).message}); libxl's connection waits for it`);
    if (sys.now() - started >= QEMU_WAIT_MS) {
      log.warn(`qmp relay: no QEMU monitor for libxl within ${QEMU_WAIT_MS / 1000} s; closing libxl's connection`);
      return relay.close();
    }
    sys.setTimer(delay, () => connectQemu(sys, log, relay, qemuSocket, started, Math.min(delay * 2, RETRY_MAX_MS)));
    return;
  }
  relay.attach(fdStream(sys, fd, "QEMU's monitor for libxl"));
}

/** Accepts libxl's connections on `listenFd` (nonblocking) and relays each to QEMU's monitor at `qemuSocket`. */
export function startLibxlQmpRelay(sys: Sys, log: Log, listenFd: number, qemuSocket: string, hooks: RelayHooks): void {
  acceptConnections(sys, log, listenFd, "qmp relay: accepting libxl's connection", (fd) =>
    connectQemu(sys, log, new Relay(fdStream(sys, fd, "libxl's QMP connection"), hooks, log), qemuSocket, sys.now()),
  );
}
