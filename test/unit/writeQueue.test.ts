// WriteQueue, fdStream and the log's sinks at the Sys seam: a peer that stops reading makes writes
// wait in a bounded queue, never block; what waits goes out in order once the fd is writable.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fdStream } from "../../runtime/fdStream.ts";
import { WriteQueue } from "../../runtime/writeQueue.ts";
import { Log, LOG_QUEUE_BYTES } from "../../init/log.ts";
import { FakeSys } from "../support/fakeSys.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function queue(max = 10) {
  const sys = new FakeSys();
  const errors: string[] = [];
  sys.setNonblocking(7);
  const q = new WriteQueue(sys, 7, max, (e) => errors.push(e.message));
  return { sys, q, errors };
}

test("what the fd takes goes at once; the rest waits for the write handler, in order", () => {
  const { sys, q } = queue();
  sys.room.set(7, 3);
  assert.ok(q.offer(bytes("abcde")));
  assert.ok(q.offer(bytes("fg")));
  assert.is(sys.bytesWritten(7), "abc");
  assert.is(q.queuedBytes, 4);
  assert.ok(sys.writeHandlers.has(7), "waiting for writability");
  sys.makeRoom(7);
  assert.is(sys.bytesWritten(7), "abcdefg");
  assert.is(q.queuedBytes, 0);
  assert.not.ok(sys.writeHandlers.has(7), "the handler is gone once drained");
});

test("an attached fd goes with the first byte written of its chunk, once, also after a wait", () => {
  const { sys, q } = queue(100);
  sys.room.set(7, 2);
  assert.ok(q.offer(bytes("ab")));
  assert.ok(q.offer(bytes("cdef"), 42));
  assert.is(sys.bytesWritten(7), "ab");
  assert.equal(sys.attached.get(7) ?? [], [], "nothing sent with the first chunk");
  sys.room.set(7, 1);
  sys.writeHandlers.get(7)!();
  assert.equal(sys.attached.get(7), [{ fd: 42, at: 2 }], "the fd went with c");
  sys.makeRoom(7);
  assert.is(sys.bytesWritten(7), "abcdef");
  assert.equal(sys.attached.get(7), [{ fd: 42, at: 2 }], "and not again with def");
});

test("past its bound the queue refuses, and queues nothing of that write", () => {
  const { sys, q } = queue(10);
  sys.room.set(7, 0);
  assert.ok(q.offer(bytes("12345678")));
  assert.not.ok(q.offer(bytes("abc")));
  assert.ok(q.offer(bytes("90")));
  sys.makeRoom(7);
  assert.is(sys.bytesWritten(7), "1234567890");
});

test("a failed write closes the queue and is reported once", () => {
  const { sys, q, errors } = queue();
  sys.failing.set(7, "EPIPE");
  q.offer(bytes("x"));
  assert.not.ok(q.offer(bytes("y")));
  assert.equal(errors, ["write fd 7: EPIPE"]);
});

test("fdStream: a stalled peer gets ENOBUFS past the bound, never a blocked write; a failed write closes the stream", () => {
  const sys = new FakeSys();
  const closed: string[] = [];
  const s = fdStream(sys, 9, "the test socket", 8);
  s.onClose((r) => closed.push(r));
  assert.ok(sys.nonblocking.has(9));
  sys.room.set(9, 0);
  s.write(bytes("1234"));
  s.write(bytes("5678"));
  assert.throws(() => s.write(bytes("9")), (e: { code?: string }) => e.code === "ENOBUFS");
  sys.failing.set(9, "ECONNRESET");
  sys.makeRoom(9);
  assert.equal(closed, ["writing the test socket: write fd 9: ECONNRESET"]);
  assert.throws(() => s.write(bytes("x")), (e: { code?: string }) => e.code === "EPIPE");
});

test("log: a console nobody reads loses lines, counts them, and says so once it is read again", () => {
  const sys = new FakeSys();
  const log = new Log(sys);
  log.addSink(20);
  sys.room.set(20, 0);
  const line = "x".repeat(1000);
  const lines = Math.ceil(LOG_QUEUE_BYTES / 1000) + 10;
  for (let i = 0; i < lines; i++) log.info(line);
  sys.makeRoom(20);
  const out = sys.bytesWritten(20);
  const kept = out.split("\n").filter((l) => l.endsWith(line)).length;
  assert.ok(kept < lines && kept > 0, `${kept} of ${lines} lines kept`);
  assert.match(out, new RegExp(`warn: log: ${lines - kept} line\\(s\\) dropped here while this console was not read\\n$`));
});

test("log: the kernel console before the boot reopens it is written directly; after, through a queue of its own", () => {
  const sys = new FakeSys();
  const log = new Log(sys);
  log.info("early");
  assert.match(sys.bytesWritten(1), /info: early/);
  log.replaceStdout(21);
  sys.room.set(21, 0);
  log.info("late");
  assert.ok(sys.nonblocking.has(21));
  assert.not.match(sys.bytesWritten(1), /late/);
  sys.makeRoom(21);
  assert.match(sys.bytesWritten(21), /info: late/);
});

test.run();
