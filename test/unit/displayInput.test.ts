// The vkbd's events as the bridge reads them from /dev/input/event*, and what goes to QEMU: a key
// as its PC scancode, the pointer once per report, clamped to the guest's screen.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { InputTranslator, INPUT_EVENT_BYTES, parseInputEvents, type InputEvent } from "../../display/inputEvents.ts";
import { qnumOf } from "../../display/keyCodes.ts";
import { pointerEvent, qemuKeyEvent } from "../../display/rfbProtocol.ts";

const raw = (events: InputEvent[]): Uint8Array => {
  const out = new Uint8Array(events.length * INPUT_EVENT_BYTES);
  const v = new DataView(out.buffer);
  events.forEach((e, i) => {
    v.setUint16(i * INPUT_EVENT_BYTES + 16, e.type, true);
    v.setUint16(i * INPUT_EVENT_BYTES + 18, e.code, true);
    v.setInt32(i * INPUT_EVENT_BYTES + 20, e.value, true);
  });
  return out;
};

test("input_event records: whole ones only, little endian, negative values kept", () => {
  const evs = [{ type: 2, code: 0, value: -5 }, { type: 0, code: 0, value: 0 }];
  const bytes = raw(evs);
  assert.equal(parseInputEvents(bytes), evs);
  assert.equal(parseInputEvents(bytes.subarray(0, INPUT_EVENT_BYTES + 10)), evs.slice(0, 1));
});

const keys: [string, number, number | undefined][] = [
  ["Esc", 1, 0x01],
  ["A", 30, 0x1e],
  ["keypad .", 83, 0x53],
  ["F11", 87, 0x57],
  ["keypad Enter", 96, 0x9c],
  ["right Ctrl", 97, 0x9d],
  ["Up", 103, 0xc8],
  ["Delete", 111, 0xd3],
  ["left Meta", 125, 0xdb],
  ["a key no PC has (KEY_MACRO)", 112, undefined],
  ["a button code", 0x110, undefined],
];
for (const [name, keycode, qnum] of keys) test(`keycode ${keycode} (${name}) -> ${qnum?.toString(16) ?? "none"}`, () => assert.is(qnumOf(keycode), qnum));

const screen = { width: 640, height: 480 };
const cases: [string, InputEvent[], Uint8Array[]][] = [
  ["a key press, repeat and release", [{ type: 1, code: 30, value: 1 }, { type: 1, code: 30, value: 2 }, { type: 1, code: 30, value: 0 }], [qemuKeyEvent(true, 0x1e), qemuKeyEvent(true, 0x1e), qemuKeyEvent(false, 0x1e)]],
  ["an absolute move with the left button, sent at the report", [{ type: 3, code: 0, value: 100 }, { type: 3, code: 1, value: 50 }, { type: 1, code: 0x110, value: 1 }, { type: 0, code: 0, value: 0 }], [pointerEvent(1, 100, 50)]],
  ["positions past the screen are clamped", [{ type: 3, code: 0, value: 5000 }, { type: 3, code: 1, value: -3 }, { type: 0, code: 0, value: 0 }], [pointerEvent(0, 639, 0)]],
  ["relative moves add up", [{ type: 2, code: 0, value: 10 }, { type: 2, code: 1, value: 7 }, { type: 0, code: 0, value: 0 }, { type: 2, code: 0, value: -4 }, { type: 0, code: 0, value: 0 }], [pointerEvent(0, 10, 7), pointerEvent(0, 6, 7)]],
  ["the wheel is a press and release of buttons 4 and 5", [{ type: 2, code: 8, value: 1 }, { type: 2, code: 8, value: -1 }], [pointerEvent(8, 0, 0), pointerEvent(0, 0, 0), pointerEvent(16, 0, 0), pointerEvent(0, 0, 0)]],
  ["a report with nothing new sends nothing", [{ type: 0, code: 0, value: 0 }], []],
];
for (const [what, events, want] of cases) {
  test(`pointer and keys: ${what}`, () => {
    const t = new InputTranslator(() => screen);
    assert.equal(t.translate(events).map((m) => [...m]), want.map((m) => [...m]));
  });
}

test("a key with no scancode is remembered, not sent", () => {
  const t = new InputTranslator(() => screen);
  assert.equal(t.translate([{ type: 1, code: 112, value: 1 }]), []);
  assert.equal([...t.unknownKeys], [112]);
});

test.run();
