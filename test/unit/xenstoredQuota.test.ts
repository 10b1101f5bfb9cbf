// The C xenstored's default quotas for domains other than dom0 (nodes 1000, watches 128,
// outstanding requests 20, node size 2048, perms per node 5, transactions 10), GET/SET_QUOTA.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { getQuota, quotaNames, setQuota } from "../support/toolstack.ts";
import { joinNul, pathAndValue } from "../../runtime/xenstore/payload.ts";
import { encodeMessage, MsgType } from "../../runtime/xenstore/wire.ts";
import { XenStoreServer } from "../../host/xenstored/server.ts";
import { code, xenstoreWorld } from "../support/xenstoreWorld.ts";

const setup = async () => {
  const { dom0, dom } = xenstoreWorld();
  await dom0.mkdir("/local/domain/5");
  await dom0.setPerms("/local/domain/5", [{ domid: 5, access: "n" }]);
  return { dom0, d5: dom(5) };
};


test("a domain owns at most 1000 nodes; dom0 has no such limit", async () => {
  const { dom0, d5 } = await setup();
  // Its home counts (dom0 made it, but domain 5 owns it), then 50 groups: a directory's child
  // list is bound by the node size, so 1000 nodes need some depth.
  for (let g = 0; g < 50; g++) await d5.mkdir(`g${g}`);
  for (let i = 0; i < 1000 - 51; i++) await d5.write(`g${i % 50}/n${i}`, "");
  assert.is(await code(d5.write("one-more", "")), "ENOSPC");
  assert.is(await code(d5.write("g0/n0", "an existing node may still change")), "ok");
  await d5.rm("g0/n0");
  assert.is(await code(d5.write("one-more", "")), "ok");
  for (let i = 0; i < 1100; i++) await dom0.write(`/dom0/n${i}`, "");
});

test("the node quota is checked at commit for what a transaction adds", async () => {
  const { dom0, d5 } = await setup();
  await setQuota(dom0, "nodes", 5, 5);
  const tx = await d5.transactionStart();
  for (let i = 0; i < 4; i++) await d5.write(`t${i}`, "", tx);
  assert.is(await code(d5.write("t4", "", tx)), "ENOSPC", "inside the transaction");
  await d5.write("outside", "");
  assert.is(await code(d5.transactionEnd(tx, true)), "ENOSPC", "home + outside + 4 is over 5");
});

test("a node must stay under 2048 bytes: header, perms, value and child names", async () => {
  const { dom0, d5 } = await setup();
  // 24-byte header + 8 per perm (one here) + the value.
  assert.is(await code(d5.write("v", new Uint8Array(2048 - 24 - 8 - 1))), "ok");
  assert.is(await code(d5.write("v", new Uint8Array(2048 - 24 - 8))), "ENOSPC");
  const name = "c".repeat(99);
  let made = 0;
  while ((await code(d5.write(`dir/${name}${String(made).padStart(3, "0")}`, ""))) === "ok") made++;
  assert.is(made, Math.floor((2048 - 24 - 8 - 1) / 103), "the parent's child list is what fills up");
  assert.is(await code(dom0.write("/local/domain/5/v", new Uint8Array(4000))), "ok", "dom0 is not limited");
});

test("at most 5 perms per SET_PERMS from a domain", async () => {
  const { d5 } = await setup();
  await d5.write("p", "");
  const perms = (n: number) => Array.from({ length: n }, (_, i) => ({ domid: i === 0 ? 5 : i, access: "r" as const }));
  assert.is(await code(d5.setPerms("p", perms(5))), "ok");
  assert.is(await code(d5.setPerms("p", perms(6))), "ENOSPC");
});

test("at most 128 watches per domain, then E2BIG", async () => {
  const { d5 } = await setup();
  for (let i = 0; i < 128; i++) await d5.watch("w", `t${i}`, () => undefined);
  assert.is(await code(d5.watch("w", "t128", () => undefined)), "E2BIG");
  await d5.unwatch("w", "t0");
  assert.is(await code(d5.watch("w", "t128", () => undefined)), "ok");
});

test("at most 10 open transactions, and 1024 nodes touched in one", async () => {
  const { d5 } = await setup();
  const open: number[] = [];
  for (let i = 0; i < 10; i++) open.push(await d5.transactionStart());
  assert.is(await code(d5.transactionStart()), "ENOSPC");
  await d5.transactionEnd(open.pop()!, false);
  const tx = await d5.transactionStart();
  let touched = 0;
  while ((await code(d5.read(`missing${touched}`, tx))) === "ENOENT") touched++;
  assert.is(touched, 1024 - 1, "the home was touched too, checking that the paths are readable");
  assert.is(await code(d5.transactionEnd(tx, true)), "ENOMEM", "a transaction cut short cannot commit");
});

test("GET_QUOTA names the quotas and tells global and per-domain values; SET_QUOTA changes them", async () => {
  const { dom0, d5 } = await setup();
  assert.equal(await quotaNames(dom0), ["nodes", "watches", "outstanding", "transactions", "transaction-nodes", "node-permissions", "path-max", "node-size"]);
  assert.is(await getQuota(dom0, "watches"), 128);
  await setQuota(dom0, "watches", 1, 5);
  assert.is(await getQuota(dom0, "watches", 5), 1);
  assert.is(await getQuota(dom0, "watches"), 128, "the global value is untouched");
  await d5.watch("a", "a", () => undefined);
  assert.is(await code(d5.watch("b", "b", () => undefined)), "E2BIG");
  await setQuota(dom0, "nodes", 7);
  assert.is(await getQuota(dom0, "nodes", 9), 7, "a domain first heard of now starts from the global values");
  assert.is(await code(getQuota(dom0, "memory")), "EINVAL");
  assert.is(await code(getQuota(d5, "nodes")), "EACCES");
});

test("a domain that does not take its replies has at most 20 outstanding; its later requests wait", async () => {
  const dir = mkdtempSync(join(tmpdir(), "xs-quota-"));
  const logs: string[] = [];
  let onLog: () => void = () => undefined;
  const server = new XenStoreServer((l) => {
    logs.push(l);
    onLog();
  });
  const sawLog = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line like ${re}; got ${logs.join(" | ")}`)), 10_000);
      onLog = () => {
        if (logs.some((l) => re.test(l))) {
          clearTimeout(timer);
          resolve();
        }
      };
      onLog();
    });
  try {
    await server.listen(join(dir, "dom0"), 0);
    await server.listen(join(dir, "dom5"), 5);
    const dom0 = new XenStoreClient(await connectUnix(join(dir, "dom0")));
    await dom0.mkdir("/local/domain/5");
    await dom0.setPerms("/local/domain/5", [{ domid: 5, access: "n" }]);
    await dom0.write("/local/domain/5/big", new Uint8Array(4000));
    let markerSeen = false;
    let markerWritten: () => void = () => undefined;
    const marker = new Promise<void>((resolve) => (markerWritten = resolve));
    await dom0.watch("/local/domain/5/marker", "m", () => {
      if (markerSeen) markerWritten();
    });
    const sock = connect(join(dir, "dom5"));
    await new Promise<void>((r) => sock.once("connect", () => r()));
    sock.pause();
    // 300 replies of 4 KB fill the socket buffers many times over; the marker comes last.
    for (let i = 1; i <= 300; i++) sock.write(encodeMessage({ type: MsgType.READ, reqId: i, txId: 0, payload: joinNul(["big"]) }));
    sock.write(encodeMessage({ type: MsgType.WRITE, reqId: 999, txId: 0, payload: pathAndValue("marker", Uint8Array.of(49)) }));
    await sawLog(/has 20 replies outstanding/);
    assert.is(await code(dom0.read("/local/domain/5/marker")), "ENOENT", "the stalled domain's write has not run");
    markerSeen = true;
    sock.resume();
    await marker;
    sock.destroy();
    dom0.close();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
