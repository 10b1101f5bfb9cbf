// On a one-at-a-time channel (Linux's /dev/xen/xenbus) the client never has two requests in
// flight: the device keeps a queued request's body in a buffer the next write reuses.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { XenStoreClient, type Transport } from "../../runtime/xenstore/client.ts";
import { encodeMessage, FrameReader, MsgType } from "../../runtime/xenstore/wire.ts";
import { joinNul, splitNul } from "../../runtime/xenstore/payload.ts";

function device(oneAtATime: boolean) {
  let deliver: (b: Uint8Array) => void = () => undefined;
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
    onClose: () => undefined,
    close: () => undefined,
  };
  /** Answers the oldest request in flight with its own path as the value. */
  const answer = () => {
    const r = inFlight.shift()!;
    deliver(encodeMessage({ type: MsgType.READ, reqId: r.reqId, txId: 0, payload: joinNul([`value of ${r.path}`]).slice(0, -1) }));
  };
  return { t, answer, inFlight, most: () => most };
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

test("pipelined: a socket channel has every request in flight at once", async () => {
  const d = device(false);
  const xs = new XenStoreClient(d.t);
  const reads = ["/a", "/b", "/c"].map((p) => xs.readString(p));
  assert.is(d.inFlight.length, 3);
  for (let i = 0; i < 3; i++) d.answer();
  assert.equal(await Promise.all(reads), ["value of /a", "value of /b", "value of /c"]);
});

test.run();
