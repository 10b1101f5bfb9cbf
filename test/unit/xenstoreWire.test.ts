import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeMessage, FrameError, FrameReader, MsgType, PAYLOAD_MAX } from "../../runtime/xenstore/wire.ts";
import { joinNul, splitNul } from "../../runtime/xenstore/payload.ts";
import { pathProblem } from "../../runtime/xenstore/path.ts";
import { parsePerm } from "../../runtime/xenstore/perms.ts";
import { decodeUtf8, encodeUtf8, Utf8Error } from "../../runtime/utf8.ts";

test("a message encodes as the 16-byte little-endian header then the payload", () => {
  const bytes = encodeMessage({ type: MsgType.READ, reqId: 7, txId: 3, payload: joinNul(["/a"]) });
  assert.equal([...bytes], [2, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 0x2f, 0x61, 0]);
});

test("the frame reader reassembles split and joined messages", () => {
  const a = encodeMessage({ type: 2, reqId: 1, txId: 0, payload: joinNul(["x"]) });
  const b = encodeMessage({ type: 11, reqId: 2, txId: 0, payload: new Uint8Array(100) });
  const stream = new Uint8Array([...a, ...b]);
  for (const cut of [1, 15, 16, a.length, a.length + 17, stream.length - 1]) {
    const r = new FrameReader();
    const got = [...r.push(stream.slice(0, cut)), ...r.push(stream.slice(cut))];
    assert.equal(got.map((m) => m.reqId), [1, 2], `cut at ${cut}`);
    assert.is(got[1].payload.length, 100);
    assert.is(r.pending, 0);
  }
});

test("a frame over 4096 payload bytes is refused both ways", () => {
  assert.throws(() => encodeMessage({ type: 11, reqId: 1, txId: 0, payload: new Uint8Array(PAYLOAD_MAX + 1) }), (e: unknown) => e instanceof FrameError);
  const header = new Uint8Array(16);
  new DataView(header.buffer).setUint32(12, PAYLOAD_MAX + 1, true);
  assert.throws(() => new FrameReader().push(header), (e: unknown) => e instanceof FrameError);
});

test("NUL-separated fields split without a trailing empty field", () => {
  assert.equal(splitNul(joinNul(["a", "bc", ""])), ["a", "bc", ""]);
  assert.equal(splitNul(new Uint8Array(0)), []);
});

const pathCases: [string, boolean][] = [
  ["/local/domain/3/data", true],
  ["device-model/1/state", true],
  ["@introduceDomain", true],
  ["", false],
  ["/a//b", false],
  ["/a/", false],
  ["/a b", false],
  ["/caf\u00e9", false],
  ["/" + "x".repeat(3072), false],
];
for (const [p, ok] of pathCases) {
  test(`path ${JSON.stringify(p.slice(0, 24))} is ${ok ? "valid" : "refused"}`, () => assert.is(pathProblem(p) === undefined, ok));
}

test("permissions parse like strtol base 0 and refuse junk", () => {
  assert.equal(parsePerm("r5"), { access: "r", domid: 5 });
  assert.equal(parsePerm("b0x10"), { access: "b", domid: 16 });
  assert.equal(parsePerm("n010"), { access: "n", domid: 8 });
  assert.is(parsePerm("x1"), undefined);
  assert.is(parsePerm("r"), undefined);
});

test("UTF-8 round-trips and strict decoding refuses bad input", () => {
  const s = "stubdom ✓ 𝄞";
  assert.is(decodeUtf8(encodeUtf8(s)), s);
  for (const bad of [[0xff], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
    assert.throws(() => decodeUtf8(Uint8Array.from(bad)), (e: unknown) => e instanceof Utf8Error);
  }
});

test.run();
