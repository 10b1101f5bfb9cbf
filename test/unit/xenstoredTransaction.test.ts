// Transactions in the dev daemon, as C xenstored (transaction.c) runs them: isolation, per-node
// conflict detection answering EAGAIN, nesting and ending rules, the client's retry helper.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { joinNul } from "../../runtime/xenstore/payload.ts";
import { MsgType } from "../../runtime/xenstore/wire.ts";
import { checkStore } from "../../host/xenstored/check.ts";
import { code, xenstoreWorld } from "../support/xenstoreWorld.ts";

const setup = () => {
  const w = xenstoreWorld();
  return { ...w, other: w.dom(0) };
};


test("a transaction sees its own writes, others see them only after the commit", async () => {
  const { dom0, other, daemon } = setup();
  const tx = await dom0.transactionStart();
  await dom0.write("/t/a", "1", tx);
  assert.is(await dom0.readString("/t/a", tx), "1");
  assert.is(await code(other.read("/t/a")), "ENOENT");
  await dom0.transactionEnd(tx, true);
  assert.is(await other.readString("/t/a"), "1");
  assert.is(checkStore(daemon.committed), undefined);
});

test("a node keeps the value the transaction first saw", async () => {
  const { dom0, other } = setup();
  await dom0.write("/v", "a");
  const tx = await dom0.transactionStart();
  assert.is(await dom0.readString("/v", tx), "a");
  await other.write("/v", "b");
  assert.is(await dom0.readString("/v", tx), "a");
  await dom0.write("/v", "c", tx);
  assert.is(await code(dom0.transactionEnd(tx, true)), "EAGAIN", "Xen's own 'ta err' case");
  assert.is(await other.readString("/v"), "b");
});

test("only a change to a node the transaction touched conflicts", async () => {
  const { dom0, other } = setup();
  await dom0.write("/c/read", "1");
  await dom0.write("/c/unrelated", "1");
  const cases: [string, (tx: number) => Promise<unknown>, () => Promise<unknown>, string][] = [
    ["unrelated write", (tx) => dom0.read("/c/read", tx), () => other.write("/c/unrelated", "2"), "ok"],
    ["write to a node read", (tx) => dom0.read("/c/read", tx), () => other.write("/c/read", "3"), "EAGAIN"],
    ["removal of a node read", (tx) => dom0.read("/c/read", tx), () => other.rm("/c/read"), "EAGAIN"],
    ["creation of a node seen missing", (tx) => code(dom0.read("/c/new", tx)), () => other.write("/c/new", "x"), "EAGAIN"],
    ["a sibling added under a parent the transaction extends", (tx) => dom0.write("/c/mine", "1", tx), () => other.write("/c/theirs", "1"), "EAGAIN"],
    ["a child's value under a listed directory", (tx) => dom0.directory("/c", tx), () => other.write("/c/unrelated", "4"), "ok"],
  ];
  for (const [what, inside, outside, want] of cases) {
    const tx = await dom0.transactionStart();
    await inside(tx);
    await outside();
    assert.is(await code(dom0.transactionEnd(tx, true)), want, what);
  }
});

test("two transactions creating the same node: the second to commit retries", async () => {
  const { dom0, other } = setup();
  const a = await dom0.transactionStart();
  const b = await other.transactionStart();
  await dom0.write("/same/n", "a", a);
  await other.write("/same/n", "b", b);
  assert.is(await code(dom0.transactionEnd(a, true)), "ok");
  assert.is(await code(other.transactionEnd(b, true)), "EAGAIN");
  assert.is(await dom0.readString("/same/n"), "a");
});

test("aborting discards; ending twice, nesting and bad verdicts are refused", async () => {
  const { dom0 } = setup();
  const tx = await dom0.transactionStart();
  await dom0.write("/x", "1", tx);
  await dom0.transactionEnd(tx, false);
  assert.is(await code(dom0.read("/x")), "ENOENT");
  assert.is(await code(dom0.transactionEnd(tx, true)), "ENOENT");
  const t2 = await dom0.transactionStart();
  assert.is(await code(dom0.call(MsgType.TRANSACTION_START, joinNul([""]), t2)), "EBUSY");
  assert.is(await code(dom0.call(MsgType.TRANSACTION_END, joinNul(["yes"]), t2)), "EINVAL");
  assert.is(await code(dom0.call(MsgType.TRANSACTION_END, joinNul(["T"]), 0)), "ENOENT");
  assert.is(await code(dom0.transactionEnd(t2, true)), "ok", "a refused verdict leaves it open");
});

test("transaction ids belong to their connection", async () => {
  const { dom0, other } = setup();
  const mine = await dom0.transactionStart();
  assert.is(await code(other.read("/", mine)), "ENOENT");
  assert.is(await other.transactionStart(), mine, "each connection numbers from 1");
});

test("RESET_WATCHES ends the connection's transactions", async () => {
  const { dom0 } = setup();
  const tx = await dom0.transactionStart();
  await dom0.resetWatches();
  assert.is(await code(dom0.read("/", tx)), "ENOENT");
});

test("rm in a transaction takes the subtree on commit", async () => {
  const { dom0, other, daemon } = setup();
  await dom0.write("/gone/a/b", "1");
  const tx = await dom0.transactionStart();
  await dom0.rm("/gone", tx);
  assert.is(await code(dom0.read("/gone/a/b", tx)), "ENOENT");
  assert.is(await other.readString("/gone/a/b"), "1");
  await dom0.transactionEnd(tx, true);
  assert.is(await code(other.read("/gone/a")), "ENOENT");
  assert.equal(daemon.committed.subtree("/gone"), []);
  assert.is(checkStore(daemon.committed), undefined);
});

test("rm of a node whose parent went away since the transaction saw it is EINVAL, as in C", async () => {
  const { dom0, other, daemon } = setup();
  await dom0.write("/p/q/r", "1");
  const tx = await dom0.transactionStart();
  await dom0.read("/p/q/r", tx);
  await other.rm("/p/q");
  assert.is(await code(dom0.rm("/p/q/r", tx)), "EINVAL");
  assert.is(await code(dom0.transactionEnd(tx, true)), "EAGAIN");
  assert.is(checkStore(daemon.committed), undefined);
});

test("the retry helper runs the body again after EAGAIN", async () => {
  const { dom0, other } = setup();
  await dom0.write("/n", "0");
  let tries = 0;
  await dom0.transaction(async (tx) => {
    const n = Number(await dom0.readString("/n", tx));
    if (++tries === 1) await other.write("/n", "10");
    await dom0.write("/n", String(n + 1), tx);
  });
  assert.is(tries, 2);
  assert.is(await dom0.readString("/n"), "11");
});

test.run();
