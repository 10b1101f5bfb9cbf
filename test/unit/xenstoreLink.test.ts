// XenStoreLink at the Sys seam: a lost channel is one line, reconnect attempts back off, a long
// outage adds one line after STILL_DOWN_AFTER attempts and one per QUIET_EVERY after that, and the
// return is one line, after which health is rewritten.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Log } from "../../init/log.ts";
import { QUIET_EVERY, reconnectDelay, RECONNECT_MAX_MS, STILL_DOWN_AFTER, XenStoreLink } from "../../init/xenstoreLink.ts";
import { XenStoreClient, type Transport } from "../../runtime/xenstore/client.ts";
import { FakeSys } from "../support/fakeSys.ts";

function channel() {
  let hangUp: (reason: string) => void = () => undefined;
  const t: Transport = { write: () => undefined, onData: () => undefined, onClose: (cb) => (hangUp = cb), close: () => undefined };
  return { t, hangUp: (r: string) => hangUp(r) };
}

function link() {
  const sys = new FakeSys();
  const log = new Log(sys);
  const first = channel();
  const xs = new XenStoreClient(first.t);
  let opens = 0;
  let available = false;
  let restored = 0;
  const current = { ch: first };
  new XenStoreLink(sys, log, xs, "the test channel", () => {
    opens++;
    if (!available) throw new Error("connecting: ENOENT");
    current.ch = channel();
    return current.ch.t;
  }, () => restored++);
  const lines = (): string[] => sys.bytesWritten(1).trim().split("\n").filter((l) => l !== "");
  return { sys, xs, first, current, lines, opens: () => opens, restored: () => restored, setAvailable: (v: boolean) => (available = v) };
}

test("the backoff doubles from 0.5 s and stops at 30 s", () => {
  assert.equal([1, 2, 3, 4, 5, 6, 7, 8].map(reconnectDelay), [500, 1000, 2000, 4000, 8000, 16000, RECONNECT_MAX_MS, RECONNECT_MAX_MS]);
});

test("a short loss: one line, one attempt, one line back, health rewritten", async () => {
  const l = link();
  l.setAvailable(true);
  l.first.hangUp("connection reset");
  await l.sys.advance(500);
  assert.is(l.opens(), 1);
  assert.is(l.restored(), 1);
  const lines = l.lines();
  assert.is(lines.length, 2, lines.join("\n"));
  assert.match(lines[0], /error: xenstore: lost the test channel: connection reset; reconnecting/);
  assert.match(lines[1], /info: xenstore: the test channel is back after 1 attempt\(s\), 0\.5 s without it/);
  assert.is(l.xs.lost, undefined);
});

test("a long outage: a line after STILL_DOWN_AFTER attempts, then one per QUIET_EVERY; attempts at most every 30 s", async () => {
  const l = link();
  l.first.hangUp("gone");
  const hour = 3_600_000;
  await l.sys.advance(hour);
  const attempts = l.opens();
  assert.ok(attempts < hour / RECONNECT_MAX_MS + 10, `${attempts} attempts in an hour`);
  const still = l.lines().filter((x) => /still cannot be opened/.test(x));
  assert.is(still.length, 1 + Math.floor((attempts - STILL_DOWN_AFTER) / QUIET_EVERY));
  assert.match(still[0], new RegExp(`after ${STILL_DOWN_AFTER} attempts \\(connecting: ENOENT\\)`));
  assert.is(l.lines().length, 1 + still.length);
  l.setAvailable(true);
  await l.sys.advance(RECONNECT_MAX_MS);
  assert.is(l.restored(), 1);
  assert.match(l.lines().at(-1) ?? "", /is back after [0-9]+ attempt/);
});

test("a channel that drops again at once keeps backing off instead of starting over", async () => {
  const l = link();
  l.setAvailable(true);
  l.first.hangUp("gone");
  for (let i = 0; i < 6; i++) {
    await l.sys.advance(reconnectDelay(i + 1));
    l.current.ch.hangUp("gone again");
  }
  const before = l.opens();
  await l.sys.advance(reconnectDelay(7) - 1);
  assert.is(l.opens(), before, "the seventh attempt waits the seventh delay");
});

test.run();
