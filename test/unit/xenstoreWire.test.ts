import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeMessage, ERROR_NAMES, FrameError, FrameReader, MsgType, msgTypeName, PAYLOAD_MAX, type Message } from "../../runtime/xenstore/wire.ts";
import { joinNul, splitNul } from "../../runtime/xenstore/payload.ts";
import { nodePathProblem, pathProblem } from "../../runtime/xenstore/path.ts";
import { parsePerm } from "../../runtime/xenstore/perms.ts";
import { XenStoreClient, XenStoreError, type Transport } from "../../runtime/xenstore/client.ts";
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

test("every xs_wire.h type has its number and name", () => {
  const want: [string, number][] = [
    ["CONTROL", 0], ["DIRECTORY", 1], ["READ", 2], ["GET_PERMS", 3], ["WATCH", 4], ["UNWATCH", 5],
    ["TRANSACTION_START", 6], ["TRANSACTION_END", 7], ["INTRODUCE", 8], ["RELEASE", 9], ["GET_DOMAIN_PATH", 10],
    ["WRITE", 11], ["MKDIR", 12], ["RM", 13], ["SET_PERMS", 14], ["WATCH_EVENT", 15], ["ERROR", 16],
    ["IS_DOMAIN_INTRODUCED", 17], ["RESUME", 18], ["SET_TARGET", 19], ["RESET_WATCHES", 21], ["DIRECTORY_PART", 22],
    ["GET_FEATURE", 23], ["SET_FEATURE", 24], ["GET_QUOTA", 25], ["SET_QUOTA", 26], ["INVALID", 0xffff],
  ];
  assert.equal(Object.entries(MsgType), want);
  for (const [name, n] of want) assert.is(msgTypeName(n), name);
  assert.is(msgTypeName(20), "type 20", "RESTRICT was removed");
});

test("errors are xsd_errors[] names, in order", () => {
  assert.equal(ERROR_NAMES, ["EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO", "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM"]);
});

test("NUL-separated fields round-trip UTF-8, and a field that is not UTF-8 is refused", () => {
  assert.equal(splitNul(joinNul(["caf\u00e9", "/a", "✓"])), ["caf\u00e9", "/a", "✓"]);
  assert.throws(() => splitNul(Uint8Array.of(0x2f, 0xff, 0)), (e: unknown) => e instanceof Utf8Error);
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
  ["@releaseDomain/5", true],
  ["x".repeat(2048), true],
  ["x".repeat(2049), false],
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

test("a special path names no node", () => {
  assert.is(nodePathProblem("/a"), undefined);
  assert.ok(nodePathProblem("@introduceDomain"));
});

test("permissions parse like C's strtol(p, &end, 0) into an unsigned int, and refuse junk", () => {
  assert.equal(parsePerm("r5"), { access: "r", domid: 5 });
  assert.equal(parsePerm("b0x10"), { access: "b", domid: 16 });
  assert.equal(parsePerm("n010"), { access: "n", domid: 8 });
  assert.equal(parsePerm("w 7"), { access: "w", domid: 7 });
  assert.equal(parsePerm("r-1"), { access: "r", domid: 4294967295 });
  assert.equal(parsePerm("r+0"), { access: "r", domid: 0 });
  assert.equal(parsePerm("r4294967296"), { access: "r", domid: 0 }, "the low 32 bits");
  assert.equal(parsePerm("r99999999999999999999"), { access: "r", domid: 4294967295 }, "LONG_MAX");
  for (const bad of ["x1", "r", "r5x", "r0x", "r08", "r 5 ", "R5"]) assert.is(parsePerm(bad), undefined, bad);
});

/** A transport that answers each request from `answer` on the next microtask. */
function scripted(answer: (m: Message) => Message[], maxPayload?: number): Transport {
  let data: (b: Uint8Array) => void = () => undefined;
  const reader = new FrameReader();
  return {
    maxPayload,
    write: (bytes) => {
      for (const m of reader.push(bytes)) for (const r of answer(m)) queueMicrotask(() => data(encodeMessage(r)));
    },
    onData: (cb) => void (data = cb),
    onClose: () => undefined,
    close: () => undefined,
  };
}

test("the client matches replies by req_id, whatever their order, and events by token", async () => {
  const held: Message[] = [];
  const events: string[] = [];
  const xs = new XenStoreClient(
    scripted((m) => {
      if (m.type === MsgType.WATCH) return [{ ...m, payload: joinNul(["OK"]) }, { type: MsgType.WATCH_EVENT, reqId: 77, txId: 9, payload: joinNul(["/w", "tok"]) }];
      held.push({ ...m, payload: encodeUtf8(splitNul(m.payload)[0] + "!") });
      // Answer the pair of reads in reverse order.
      return held.length === 2 ? held.splice(0).reverse() : [];
    }),
  );
  await xs.watch("/w", "tok", (p, t) => void events.push(`${p} ${t}`));
  const [a, b] = await Promise.all([xs.readString("/a"), xs.readString("/b")]);
  assert.equal([a, b], ["/a!", "/b!"]);
  assert.equal(events, ["/w tok"]);
});

test("an ERROR reply rejects with its errno name; a closed transport rejects with EPIPE", async () => {
  const xs = new XenStoreClient(scripted((m) => [{ ...m, type: MsgType.ERROR, payload: joinNul(["EACCES"]) }]));
  const e = await xs.read("/x").catch((err: unknown) => err);
  assert.instance(e, XenStoreError);
  assert.is((e as XenStoreError).code, "EACCES");
  xs.close();
});

test("the client pages a long directory with DIRECTORY_PART and restarts when the generation changes", async () => {
  const names = Array.from({ length: 700 }, (_, i) => `n${i}`);
  const all = joinNul(names);
  let gen = 1;
  let parts = 0;
  const xs = new XenStoreClient(
    scripted((m) => {
      if (m.type === MsgType.DIRECTORY) return [{ ...m, type: MsgType.ERROR, payload: joinNul(["E2BIG"]) }];
      const offset = Number(splitNul(m.payload)[1]);
      if (++parts === 2) gen++; // the node changes under the reader once
      let end = Math.min(all.length, offset + 1000);
      while (end < all.length && all[end - 1] !== 0) end--;
      const done = end === all.length;
      const head = joinNul([String(gen)]);
      const out = new Uint8Array(head.length + (end - offset) + (done ? 1 : 0));
      out.set(head);
      out.set(all.subarray(offset, end), head.length);
      return [{ ...m, payload: out }];
    }),
  );
  assert.equal(await xs.directory("/big"), names);
  assert.ok(parts > 4);
});

test("the client holds a transport to its own payload limit", async () => {
  const xs = new XenStoreClient(scripted((m) => [{ ...m, payload: joinNul(["OK"]) }], 4080));
  const path = "/p";
  assert.is(await xs.write(path, new Uint8Array(4080 - path.length - 1)).then(() => "ok"), "ok");
  const e = await xs.write(path, new Uint8Array(4080 - path.length)).catch((err: XenStoreError) => err.code);
  assert.is(e, "E2BIG");
});

test("UTF-8 round-trips and strict decoding refuses bad input", () => {
  const s = "stubdom ✓ 𝄞";
  assert.is(decodeUtf8(encodeUtf8(s)), s);
  for (const bad of [[0xff], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
    assert.throws(() => decodeUtf8(Uint8Array.from(bad)), (e: unknown) => e instanceof Utf8Error);
  }
});

test.run();
