// The vkbd's events as xen-kbdfront hands them to userspace (struct input_event from
// /dev/input/event*), turned into what QEMU's VNC server takes: QEMU extended key events for keys,
// RFB pointer events for the pointer. Pure: bytes in, RFB messages out.
import { qnumOf } from "./keyCodes.ts";
import { pointerEvent, qemuKeyEvent } from "./rfbProtocol.ts";

/** x86-64: struct timeval (16 bytes), then type u16, code u16, value s32. */
export const INPUT_EVENT_BYTES = 24;

export interface InputEvent {
  type: number;
  code: number;
  value: number;
}

const EV_SYN = 0;
const EV_KEY = 1;
const EV_REL = 2;
const EV_ABS = 3;
const SYN_REPORT = 0;
const REL_X = 0;
const REL_Y = 1;
const REL_WHEEL = 8;
const ABS_X = 0;
const ABS_Y = 1;
/** RFB's button mask by Linux button code: left, right, middle. */
const BUTTON_BITS: Readonly<Record<number, number>> = { 0x110: 1, 0x111: 4, 0x112: 2 };
const WHEEL_UP = 8;
const WHEEL_DOWN = 16;

/** Whole events from `bytes`; a trailing partial one is the caller's to keep. */
export function parseInputEvents(bytes: Uint8Array): InputEvent[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: InputEvent[] = [];
  for (let at = 0; at + INPUT_EVENT_BYTES <= bytes.length; at += INPUT_EVENT_BYTES) {
    out.push({ type: v.getUint16(at + 16, true), code: v.getUint16(at + 18, true), value: v.getInt32(at + 20, true) });
  }
  return out;
}

export interface Screen {
  width: number;
  height: number;
}

/**
 * The pointer's position and buttons across events: moves and buttons go out once per
 * SYN_REPORT, as one pointer event. Absolute positions arrive in the dom0 viewer's pixels, which
 * are the guest screen's (the vfb has the guest's mode); they are clamped to the screen.
 */
export class InputTranslator {
  private x = 0;
  private y = 0;
  private buttons = 0;
  private moved = false;
  /** Keys that went out with no scancode to send, by keycode (for the bridge's report). */
  readonly unknownKeys = new Set<number>();

  constructor(private readonly screen: () => Screen) {}

  translate(events: readonly InputEvent[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    const { width, height } = this.screen();
    const clampX = (x: number): number => Math.max(0, Math.min(width - 1, x));
    const clampY = (y: number): number => Math.max(0, Math.min(height - 1, y));
    for (const e of events) {
      if (e.type === EV_KEY) {
        const bit = BUTTON_BITS[e.code];
        if (bit !== undefined) {
          this.buttons = e.value ? this.buttons | bit : this.buttons & ~bit;
          this.moved = true;
          continue;
        }
        const qnum = qnumOf(e.code);
        // Value 2 is autorepeat: the guest sees another press, as from a real keyboard.
        if (qnum !== undefined) out.push(qemuKeyEvent(e.value !== 0, qnum));
        else this.unknownKeys.add(e.code);
      } else if (e.type === EV_ABS) {
        if (e.code === ABS_X) this.x = clampX(e.value);
        else if (e.code === ABS_Y) this.y = clampY(e.value);
        this.moved = true;
      } else if (e.type === EV_REL) {
        if (e.code === REL_X) this.x = clampX(this.x + e.value);
        else if (e.code === REL_Y) this.y = clampY(this.y + e.value);
        else if (e.code === REL_WHEEL && e.value !== 0) {
          const wheel = e.value > 0 ? WHEEL_UP : WHEEL_DOWN;
          out.push(pointerEvent(this.buttons | wheel, this.x, this.y), pointerEvent(this.buttons, this.x, this.y));
          continue;
        }
        this.moved = true;
      } else if (e.type === EV_SYN && e.code === SYN_REPORT && this.moved) {
        this.moved = false;
        out.push(pointerEvent(this.buttons, this.x, this.y));
      }
    }
    return out;
  }
}
