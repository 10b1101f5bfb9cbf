// The dev daemon through our client, in memory: permissions, inheritance, watches, transactions.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { XenStoreClient, XenStoreError } from "../../runtime/xenstore/client.ts";
import { XenStoreDaemon } from "../../host/xenstored/daemon.ts";
import { MemoryHub } from "../../host/xenstored/memoryTransport.ts";

const setup = () => {
  const hub = new MemoryHub(new XenStoreDaemon());
  return { hub, dom0: new XenStoreClient(hub.connect(0)), domU: (d: number) => new XenStoreClient(hub.connect(d)) };
};

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return "ok";
  } catch (e) {
    assert.instance(e, XenStoreError);
    return (e as XenStoreError).code;
  }
};

test("write creates parents, read returns raw bytes, rm removes the subtree", async () => {
  const { dom0 } = setup();
  await dom0.write("/a/b/c", Uint8Array.of(1, 2, 255));
  assert.equal([...(await dom0.read("/a/b/c"))], [1, 2, 255]);
  assert.equal(await dom0.directory("/a"), ["b"]);
  await dom0.rm("/a/b");
  assert.is(await code(dom0.read("/a/b/c")), "ENOENT");
  assert.is(await code(dom0.rm("/a/b")), "ok", "removing a missing node under an existing parent is fine");
  assert.is(await code(dom0.rm("/nope/x")), "ENOENT");
});

test("a domain reads only what its perms allow, and relative paths are its home", async () => {
  const { dom0, domU } = setup();
  await dom0.mkdir("/local/domain/5");
  await dom0.setPerms("/local/domain/5", [{ domid: 0, access: "n" }, { domid: 5, access: "r" }]);
  await dom0.write("/local/domain/5/target", "4");
  await dom0.write("/local/domain/6/secret", "x");
  const d5 = domU(5);
  assert.is(await d5.readString("target"), "4");
  assert.is(await code(d5.read("/local/domain/6/secret")), "EACCES");
  assert.is(await code(d5.write("target", "9")), "EACCES");
});

test("an unprivileged creator owns what it creates; children inherit perms", async () => {
  const { dom0, domU } = setup();
  await dom0.mkdir("/local/domain/5/data");
  await dom0.setPerms("/local/domain/5/data", [{ domid: 5, access: "n" }]);
  const d5 = domU(5);
  await d5.write("data/stubdom/state", "running");
  assert.equal(await dom0.getPerms("/local/domain/5/data/stubdom/state"), [{ domid: 5, access: "n" }]);
  assert.is(await code(d5.setPerms("data/stubdom/state", [{ domid: 7, access: "n" }])), "EPERM");
});

test("SET_TARGET gives a device model its guest's rights", async () => {
  const { dom0, domU } = setup();
  await dom0.mkdir("/local/domain/4");
  await dom0.setPerms("/local/domain/4", [{ domid: 0, access: "n" }, { domid: 4, access: "r" }]);
  await dom0.write("/local/domain/4/vm", "/vm/u");
  const d5 = domU(5);
  assert.is(await code(d5.read("/local/domain/4/vm")), "EACCES");
  await dom0.setTarget(5, 4);
  assert.is(await d5.readString("/local/domain/4/vm"), "/vm/u");
  assert.is(await code(d5.setTarget(5, 1)), "EACCES");
});

test("a watch fires once at once, then for changes below it, with relative paths kept relative", async () => {
  const { dom0, domU } = setup();
  await dom0.mkdir("/local/domain/5");
  await dom0.setPerms("/local/domain/5", [{ domid: 5, access: "n" }]);
  const d5 = domU(5);
  const events: string[] = [];
  let notify: () => void = () => undefined;
  await d5.watch("data", "t", (p) => {
    events.push(p);
    notify();
  });
  const next = () => new Promise<void>((r) => (notify = r));
  let wait = next();
  await dom0.write("/local/domain/5/data/x", "1");
  await wait;
  wait = next();
  await dom0.write("/local/domain/5/other", "1");
  await dom0.rm("/local/domain/5/data");
  await wait;
  assert.equal(events, ["data", "data/x", "data"]);
});

test("a transaction commits atomically and a conflicting one gets EAGAIN", async () => {
  const { dom0 } = setup();
  const tx = await dom0.transactionStart();
  await dom0.write("/t/a", "1", tx);
  assert.is(await code(dom0.read("/t/a")), "ENOENT", "not visible before commit");
  await dom0.transactionEnd(tx, true);
  assert.is(await dom0.readString("/t/a"), "1");
  const tx2 = await dom0.transactionStart();
  await dom0.write("/t/b", "2", tx2);
  await dom0.write("/t/a", "changed outside");
  assert.is(await code(dom0.transactionEnd(tx2, true)), "EAGAIN");
  let tries = 0;
  await dom0.transaction(async (t) => {
    if (++tries === 1) await dom0.write("/t/c", "interference");
    await dom0.write("/t/d", "done", t);
  });
  assert.is(tries, 2);
  assert.is(await dom0.readString("/t/d"), "done");
});

test("bad paths and oversized requests are refused before sending", async () => {
  const { dom0 } = setup();
  assert.is(await code(dom0.read("/a//b")), "EINVAL");
  assert.is(await code(dom0.write("/big", new Uint8Array(5000))), "E2BIG");
});

test.run();
