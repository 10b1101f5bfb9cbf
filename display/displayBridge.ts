// The display bridge: QEMU's VNC server (on a unix socket only the init's children reach) draws the
// guest's VGA; the bridge copies each changed row into xen-fbfront's framebuffer, which passes it
// to the dom0 QEMU that serves VNC for the guest; and it sends the vkbd's keys and pointer, which
// that dom0 QEMU feeds in, back to QEMU. It follows the guest's mode changes by resizing the vfb.
// What it does goes to `report` as lines the init turns into health (bridgeReport.ts).
import { fdStream, type ByteStream } from "../runtime/fdStream.ts";
import type { Sys } from "../runtime/sys.ts";
import type { BridgeReport } from "./bridgeReport.ts";
import { fbGeometry, fitMode, rowOffset, type FbGeometry } from "./framebuffer.ts";
import { INPUT_EVENT_BYTES, InputTranslator, parseInputEvents } from "./inputEvents.ts";
import { ENCODING_DESKTOP_SIZE, ENCODING_QEMU_EXTENDED_KEY, ENCODING_RAW, RfbClient, setEncodings, setPixelFormat, updateRequest, type RfbEvent } from "./rfbProtocol.ts";

export interface BridgePaths {
  vncSocket: string;
  /** The vfb's device and its sysfs folder. */
  fb: string;
  fbSysfs: string;
  /** Where input devices are listed (their names) and opened. */
  inputSysfs: string;
  inputDev: string;
  cmdline: string;
  /** The vfb's xenbus device: its `state` says whether dom0 serves it. */
  vfbXenbus: string;
}

export const DEFAULT_PATHS: BridgePaths = {
  vncSocket: "/run/display/vnc.sock",
  fb: "/dev/fb0",
  fbSysfs: "/sys/class/graphics/fb0",
  inputSysfs: "/sys/class/input",
  inputDev: "/dev/input",
  cmdline: "/proc/cmdline",
  vfbXenbus: "/sys/bus/xen/devices/vfb-0",
};

/** xen-kbdfront's two devices. */
const XEN_INPUT_NAME = /^Xen Virtual (Keyboard|Pointer)$/;
/** How often the frame count is reported, and how long the vkbd and dom0's vfb backend are waited for. */
const REPORT_MS = 1000;
const INPUT_SEARCH_MS = 30_000;
/** A frame's worth of key and pointer events waiting for QEMU to read. */
const QUEUE_BYTES = 64 * 1024;

export class DisplayBridge {
  private fbFd = -1;
  private geometry: FbGeometry | undefined;
  private screen = { width: 0, height: 0 };
  private vnc: ByteStream | undefined;
  private rfb: RfbClient | undefined;
  private frames = 0;
  private reportedFrames = -1;
  private fullNext = false;
  private readonly inputs = new Map<string, number>();
  private readonly input = new InputTranslator(() => this.screen);

  constructor(
    private readonly sys: Sys,
    private readonly paths: BridgePaths,
    private readonly report: (r: BridgeReport) => void,
    /** The bridge cannot go on: the sentence; its caller exits, and the init restarts it. */
    private readonly fatal: (sentence: string) => void,
  ) {}

  start(): void {
    try {
      this.fbFd = this.sys.open(this.paths.fb, "rw");
      this.geometry = fbGeometry((name) => this.sys.readText(`${this.paths.fbSysfs}/${name}`).trim(), this.sys.readText(this.paths.cmdline));
    } catch (e) {
      return this.fatal(`opening the vfb ${this.paths.fb}: ${(e as Error).message}`);
    }
    let fd: number;
    try {
      fd = this.sys.unixConnect(this.paths.vncSocket);
    } catch (e) {
      return this.fatal(`connecting to QEMU's VNC server at ${this.paths.vncSocket}: ${(e as Error).message}`);
    }
    const vnc = fdStream(this.sys, fd, `QEMU's VNC server (${this.paths.vncSocket})`, QUEUE_BYTES);
    this.vnc = vnc;
    this.rfb = new RfbClient((bytes) => vnc.write(bytes));
    vnc.onClose((reason) => this.fatal(reason));
    vnc.onData((bytes) => {
      let events: RfbEvent[];
      try {
        events = this.rfb!.feed(bytes);
      } catch (e) {
        vnc.close();
        return this.fatal(`QEMU's VNC server: ${(e as Error).message}`);
      }
      for (const ev of events) this.handle(ev);
    });
    this.sys.setTimer(REPORT_MS, () => this.tick());
    this.sys.setTimer(INPUT_SEARCH_MS, () => this.checkVfb());
  }

  /**
   * A vfb that dom0 does not serve shows nothing in dom0's viewer, whatever the bridge copies:
   * Debian 13's QEMU (9.1 and later) serves it only when started with `-vga xenfb` (README).
   */
  private checkVfb(): void {
    let state: string;
    try {
      state = this.sys.readText(`${this.paths.vfbXenbus}/state`).trim();
    } catch (e) {
      state = `unknown (${(e as Error).message})`;
    }
    if (state !== "Connected") {
      this.report({ kind: "problem", sentence: `dom0 does not serve the vfb (its state is ${state} after ${INPUT_SEARCH_MS / 1000} s), so VNC in dom0 shows nothing; with QEMU 9.1 or later in dom0, add device_model_args_pv = [ "-vga", "xenfb" ] to the guest's xl.cfg` });
    }
  }

  private handle(ev: RfbEvent): void {
    const vnc = this.vnc!;
    switch (ev.kind) {
      case "ready":
        vnc.write(setPixelFormat());
        vnc.write(setEncodings([ENCODING_RAW, ENCODING_DESKTOP_SIZE, ENCODING_QEMU_EXTENDED_KEY]));
        vnc.write(updateRequest(false, ev.width, ev.height));
        this.report({ kind: "connected", name: ev.name });
        this.findInputs();
        return;
      case "size":
        return this.resize(ev.width, ev.height);
      case "row": {
        const g = this.geometry!;
        const at = rowOffset(g, this.screen, ev.x, ev.y, ev.pixels.length);
        if (at) this.sys.writeAt(this.fbFd, at.bytes < ev.pixels.length ? ev.pixels.subarray(0, at.bytes) : ev.pixels, at.offset);
        return;
      }
      case "update":
        // A mode change comes inside an update: the next one asks for the whole new screen.
        if (ev.rows > 0) this.frames++;
        vnc.write(updateRequest(!this.fullNext, this.screen.width, this.screen.height));
        this.fullNext = false;
        return;
    }
  }

  private resize(width: number, height: number): void {
    const g = this.geometry!;
    const fit = fitMode(g, width, height);
    try {
      this.sys.fbSetMode(this.fbFd, fit.width, fit.height);
    } catch (e) {
      this.report({ kind: "problem", sentence: `setting the vfb to ${fit.width}x${fit.height}: ${(e as Error).message}` });
    }
    // The first size is the session's, whose whole screen the "ready" handler asked for already.
    this.fullNext = this.screen.width !== 0;
    this.screen = { width, height };
    this.report({ kind: "mode", width, height });
    if (fit.clipped) this.report({ kind: "problem", sentence: `the guest's ${width}x${height} mode is larger than the vfb's ${g.maxWidth}x${g.maxHeight}: dom0 sees its top-left part` });
  }

  /** Opens xen-kbdfront's devices once they exist; looks again each second for a while. */
  private findInputs(waited = 0): void {
    let names: string[] = [];
    try {
      names = this.sys.readdir(this.paths.inputSysfs).filter((n) => n.startsWith("event"));
    } catch {
      names = [];
    }
    for (const n of names) {
      if (this.inputs.has(n)) continue;
      let label: string;
      try {
        label = this.sys.readText(`${this.paths.inputSysfs}/${n}/device/name`).trim();
      } catch {
        continue;
      }
      if (!XEN_INPUT_NAME.test(label)) continue;
      this.openInput(n, label);
    }
    if (this.inputs.size >= 2) return;
    if (waited >= INPUT_SEARCH_MS) {
      this.report({ kind: "problem", sentence: `no Xen virtual keyboard and pointer in ${this.paths.inputSysfs} after ${INPUT_SEARCH_MS / 1000} s: keys typed in dom0 do not reach the guest` });
      return;
    }
    this.sys.setTimer(REPORT_MS, () => this.findInputs(waited + REPORT_MS));
  }

  private openInput(name: string, label: string): void {
    const path = `${this.paths.inputDev}/${name}`;
    let fd: number;
    try {
      fd = this.sys.open(path, "r");
      this.sys.setNonblocking(fd);
    } catch (e) {
      this.report({ kind: "problem", sentence: `opening ${label} (${path}): ${(e as Error).message}` });
      return;
    }
    this.inputs.set(name, fd);
    this.report({ kind: "input", device: label });
    let partial = new Uint8Array(0);
    this.sys.onReadable(fd, () => {
      let chunk: Uint8Array;
      try {
        chunk = this.sys.read(fd, INPUT_EVENT_BYTES * 64);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "EAGAIN" || code === "EINTR") return;
        this.sys.onReadable(fd, null);
        this.report({ kind: "problem", sentence: `reading ${label} (${path}): ${(e as Error).message}` });
        return;
      }
      const bytes = partial.length === 0 ? chunk : Uint8Array.from([...partial, ...chunk]);
      const whole = bytes.length - (bytes.length % INPUT_EVENT_BYTES);
      partial = bytes.slice(whole);
      if (!this.rfb) return;
      for (const m of this.input.translate(parseInputEvents(bytes.subarray(0, whole)))) {
        try {
          this.vnc?.write(m);
        } catch (e) {
          this.report({ kind: "problem", sentence: `a key or pointer event for QEMU was dropped: ${(e as Error).message}` });
          return;
        }
      }
    });
  }

  private tick(): void {
    if (this.frames !== this.reportedFrames) {
      this.reportedFrames = this.frames;
      this.report({ kind: "frames", count: this.frames });
    }
    this.sys.setTimer(REPORT_MS, () => this.tick());
  }
}
