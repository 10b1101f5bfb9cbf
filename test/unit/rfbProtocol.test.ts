// The bridge's RFB client against the bytes QEMU's VNC server sends: the handshake and its answers,
// updates of Raw rows and DesktopSize, however the stream is split, and each refusal in words.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CLIENT_VERSION, ENCODING_DESKTOP_SIZE, ENCODING_QEMU_EXTENDED_KEY, ENCODING_RAW, pointerEvent, qemuKeyEvent, RfbClient, RfbError, setEncodings, updateRequest, type RfbEvent } from "../../display/rfbProtocol.ts";

const u16 = (n: number): number[] => [n >> 8, n & 0xff];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const s32 = (n: number): number[] => u32(n >>> 0);
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

const handshake = (w: number, h: number, name = "QEMU (guest)"): number[] => [
  ...ascii("RFB 003.008\n"),
  1, 1, // one security type: None
  ...u32(0), // SecurityResult OK
  ...u16(w), ...u16(h), 32, 24, 0, 1, ...u16(255), ...u16(255), ...u16(255), 16, 8, 0, 0, 0, 0,
  ...u32(name.length), ...ascii(name),
];
const rect = (x: number, y: number, w: number, h: number, enc: number): number[] => [...u16(x), ...u16(y), ...u16(w), ...u16(h), ...s32(enc)];
const pixels = (w: number, h: number, seed: number): number[] => Array.from({ length: w * h * 4 }, (_, i) => (i + seed) & 0xff);
const update = (...rects: number[][]): number[] => [0, 0, ...u16(rects.length), ...rects.flat()];

function run(stream: number[], split: number): { events: RfbEvent[]; sent: number[][] } {
  const sent: number[][] = [];
  const c = new RfbClient((b) => sent.push([...b]));
  const events: RfbEvent[] = [];
  for (let i = 0; i < stream.length; i += split) events.push(...c.feed(Uint8Array.from(stream.slice(i, i + split))));
  return { events, sent };
}

const session = [
  ...handshake(720, 400),
  ...update(rect(0, 0, 2, 2, ENCODING_RAW), ...[]).slice(0, 4 + 12), ...pixels(2, 2, 7),
  ...update(rect(0, 0, 640, 480, ENCODING_DESKTOP_SIZE)),
  2, // bell
  3, 0, 0, 0, ...u32(3), ...ascii("abc"), // cut text
  ...update(rect(10, 20, 1, 1, ENCODING_RAW), ...[]).slice(0, 16), 1, 2, 3, 4,
];

for (const split of [1, 3, 7, 64, session.length]) {
  test(`a session split every ${split} bytes: the same events and answers`, () => {
    const { events, sent } = run(session, split);
    assert.equal(sent, [[...CLIENT_VERSION], [1], [1]], "version, security None, shared ClientInit");
    const rows = events.filter((e) => e.kind === "row").map((e) => (e.kind === "row" ? [e.x, e.y, [...e.pixels]] : []));
    assert.equal(rows, [
      [0, 0, pixels(2, 2, 7).slice(0, 8)],
      [0, 1, pixels(2, 2, 7).slice(8, 16)],
      [10, 20, [1, 2, 3, 4]],
    ]);
    assert.equal(events.filter((e) => e.kind !== "row"), [
      { kind: "ready", width: 720, height: 400, name: "QEMU (guest)" },
      { kind: "size", width: 720, height: 400 },
      { kind: "update", rows: 2 },
      { kind: "size", width: 640, height: 480 },
      { kind: "update", rows: 0 },
      { kind: "update", rows: 1 },
    ]);
  });
}

const refusals: [string, number[], RegExp][] = [
  ["another protocol", ascii("HTTP/1.1 400\n"), /speaks "HTTP\/1.1 400", not RFB/],
  ["a refusal with a reason", [...ascii("RFB 003.008\n"), 0, ...u32(4), ...ascii("busy")], /refused the connection: busy/],
  ["authentication only", [...ascii("RFB 003.008\n"), 1, 2], /wants authentication \(security types 2\)/],
  ["a failed security result", [...ascii("RFB 003.008\n"), 1, 1, ...u32(1), ...u32(2), ...ascii("no")], /refused the connection: no/],
  ["an encoding not asked for", [...handshake(8, 8), ...update(rect(0, 0, 1, 1, 16))], /encoding 16, which the bridge did not ask for/],
  ["a rectangle off the screen", [...handshake(8, 8), ...update(rect(4, 4, 8, 1, ENCODING_RAW))], /8x1 rectangle at 4,4 lies outside the 8x8 screen/],
  ["an unknown message", [...handshake(8, 8), 9], /message type 9/],
];
for (const [what, stream, said] of refusals) {
  test(`refused with a sentence: ${what}`, () => {
    const c = new RfbClient(() => undefined);
    assert.throws(() => c.feed(Uint8Array.from(stream)), (e: Error) => e instanceof RfbError && said.test(e.message));
    assert.throws(() => c.feed(new Uint8Array(0)), /already ended/);
  });
}

test("client messages: encodings, update requests, pointer, QEMU's extended key", () => {
  assert.equal([...setEncodings([ENCODING_RAW, ENCODING_DESKTOP_SIZE, ENCODING_QEMU_EXTENDED_KEY])], [2, 0, 0, 3, ...s32(0), ...s32(-223), ...s32(-258)]);
  assert.equal([...updateRequest(true, 720, 400)], [3, 1, 0, 0, 0, 0, ...u16(720), ...u16(400)]);
  assert.equal([...pointerEvent(5, 300, 2)], [5, 5, ...u16(300), ...u16(2)]);
  assert.equal([...qemuKeyEvent(true, 0xc8)], [255, 0, 0, 1, 0, 0, 0, 0, ...u32(0xc8)]);
});

test.run();
