// How the client paces requests and survives its channel: one request in flight on Linux's
// /dev/xen/xenbus (the device keeps a queued request's body in a buffer the next write reuses), at
// most MAX_IN_FLIGHT on a socket, a bounded queue behind them; a lost channel fails everything at
// once, once, and a new channel gets every watch back.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MAX_IN_FLIGHT, MAX_WAITING, XenStoreClient, type Transport } from "../../runtime/xenstore/client.ts";
import { encodeMessage, FrameReader, MsgType } from "../../runtime/xenstore/wire.ts";
import { joinNul, splitNul } from "../../runtime/xenstore/payload.ts";

function device(oneAtATime: boolean) {
  let deliver: (b: Uint8Array) => void = () => undefined;
  let hangUp: (reason: string) => void = () => undefined;
  const frames = new FrameReader();
  const inFlight: { reqId: number; path: string }[] = [];
  let most = 0;
  const t: Transport = {
    oneAtATime,
    write: (b) => {
      for (const m of frames.push(b)) inFlight.push({ reqId: m.reqId, path: splitNul(m.payload)[0] });
      most = Math.max(most, inFlight.length);
    },
    onData: (cb) => (deliver = cb),
    onClose: (cb) => (hangUp = cb),
    close: () => undefined,
  };
  /** Answers the oldest request in flight with its own path as the value. */
  const answer = () => {
    const r = inFlight.shift()!;
    deliver(encodeMessage({ type: MsgType.READ, reqId: r.reqId, txId: 0, payload: joinNul([`value of ${r.path}`]).slice(0, -1) }));
  };
  /** Fires a watch event as xenstored does, for `token`. */
  const event = (path: string, token: string) => deliver(encodeMessage({ type: MsgType.WATCH_EVENT, reqId: 0, txId: 0, payload: joinNul([path, token]) }));
  return { t, answer, event, inFlight, most: () => most, hangUp: (r: string) => hangUp(r), deliver: (b: Uint8Array) => deliver(b) };
}

test("one at a time: each request is written only after the previous reply", async () => {
  const d = device(true);
  const xs = new XenStoreClient(d.t);
  const reads = ["/a", "/b", "/c"].map((p) => xs.readString(p));
  assert.is(d.inFlight.length, 1);
  for (let i = 0; i < 3; i++) d.answer();
  assert.equal(await Promise.all(reads), ["value of /a", "value of /b", "value of /c"]);
  assert.is(d.most(), 1);
});

test("pipelined: a socket channel has up to MAX_IN_FLIGHT requests in flight, the rest wait in order", async () => {
  const d = device(false);
  const xs = new XenStoreClient(d.t);
  const paths = Array.from({ length: 100 }, (_, i) => `/k${i}`);
  const reads = paths.map((p) => xs.readString(p));
  assert.is(d.inFlight.length, MAX_IN_FLIGHT);
  while (d.inFlight.length > 0) d.answer();
  assert.equal(await Promise.all(reads), paths.map((p) => `value of ${p}`));
  assert.is(d.most(), MAX_IN_FLIGHT);
});

test("past MAX_WAITING queued requests, one more fails at once with ENOBUFS; the queued ones still complete", async () => {
  const d = device(true);
  const xs = new XenStoreClient(d.t);
  const reads = Array.from({ length: MAX_WAITING + 1 }, (_, i) => xs.readString(`/q${i}`));
  const refused = await xs.readString("/one-too-many").then(() => "ok", (e: { code?: string }) => e.code);
  assert.is(refused, "ENOBUFS");
  while (d.inFlight.length > 0) d.answer();
  assert.is((await Promise.all(reads)).length, MAX_WAITING + 1);
});

test("a lost channel: pending and queued requests fail with EPIPE, onLost hears it once, new requests fail at once", async () => {
  const d = device(true);
  const xs = new XenStoreClient(d.t);
  const lost: string[] = [];
  xs.onLost((r) => lost.push(r));
  const reads = ["/a", "/b"].map((p) => xs.readString(p).then(() => "ok", (e: { code?: string }) => e.code));
  d.hangUp("xenstored went away");
  d.hangUp("xenstored went away");
  assert.equal(await Promise.all(reads), ["EPIPE", "EPIPE"]);
  assert.equal(lost, ["xenstored went away"]);
  assert.is(xs.lost, "xenstored went away");
  assert.is(await xs.readString("/c").then(() => "ok", (e: { code?: string }) => e.code), "EPIPE");
});

test("a frame that declares more than 4096 payload bytes is a lost channel, not a crash", async () => {
  const d = device(false);
  let closed = false;
  d.t.close = () => void (closed = true);
  const xs = new XenStoreClient(d.t);
  const lost: string[] = [];
  xs.onLost((r) => lost.push(r));
  const read = xs.readString("/a").then(() => "ok", (e: { code?: string }) => e.code);
  const bad = new Uint8Array(16);
  new DataView(bad.buffer).setUint32(12, 5000, true);
  d.deliver(bad);
  assert.is(await read, "EPIPE");
  assert.match(lost[0], /bad frame from xenstored: frame declares 5000 payload bytes/);
  assert.ok(closed, "the transport is closed");
});

test("reconnect: every watch is registered again on the new channel, and its events reach the same handler", async () => {
  const first = device(false);
  const xs = new XenStoreClient(first.t);
  const heard: string[] = [];
  const w1 = xs.watch("control/shutdown", "tok-shutdown", (p) => void heard.push(p));
  const w2 = xs.watch("stubdom/config", "tok-config", (p) => void heard.push(p), 1);
  first.answer();
  first.answer();
  await Promise.all([w1, w2]);
  first.hangUp("gone");
  const second = device(false);
  const back = xs.reconnect(second.t);
  assert.equal(second.inFlight.map((r) => r.path), ["control/shutdown", "stubdom/config"]);
  second.answer();
  second.answer();
  await back;
  assert.is(xs.lost, undefined);
  second.event("stubdom/config/restart", "tok-config");
  first.event("control/shutdown", "tok-shutdown");
  assert.equal(heard, ["stubdom/config/restart"], "the old channel is not listened to any more");
  const read = xs.readString("/x");
  second.answer();
  assert.is(await read, "value of /x");
});

test.run();
