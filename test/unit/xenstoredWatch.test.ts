// Watches in the dev daemon (C xenstored watch.c): the initial event, relative paths, what fires
// on write/mkdir/set-perms/rm, depth, permissions, the special @introduceDomain/@releaseDomain.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { code, xenstoreWorld } from "../support/xenstoreWorld.ts";

const setup = xenstoreWorld;


/**
 * Records the events of one watch. `settle` makes a dom0 round trip: the in-memory daemon answers
 * in order, so every event caused before it has been delivered when it resolves.
 */
async function recorder(xs: XenStoreClient, path: string, token: string, depth?: number) {
  const events: string[] = [];
  await xs.watch(path, token, (p) => void events.push(p), depth);
  return events;
}
const settle = (xs: XenStoreClient): Promise<unknown> => xs.getDomainPath(0);

test("a watch fires once at once, then on changes at or below it; parents a write creates do not fire", async () => {
  const { dom0 } = setup();
  const events = await recorder(dom0, "/w", "t");
  await dom0.write("/w/a/b", "1");
  await dom0.write("/w2", "1");
  await dom0.mkdir("/w/a/b");
  await dom0.mkdir("/w/c");
  await dom0.setPerms("/w/c", [{ domid: 0, access: "r" }]);
  await settle(dom0);
  assert.equal(events, ["/w", "/w/a/b", "/w/c", "/w/c"]);
});

test("a relative watch hears relative paths; the same path may carry several tokens, not the same twice", async () => {
  const { dom0, dom } = setup();
  await dom0.mkdir("/local/domain/5");
  await dom0.setPerms("/local/domain/5", [{ domid: 5, access: "n" }]);
  const d5 = dom(5);
  const rel = await recorder(d5, "data", "rel");
  const abs = await recorder(d5, "/local/domain/5/data", "abs");
  assert.is(await code(d5.watch("data", "rel", () => undefined)), "EEXIST");
  await dom0.write("/local/domain/5/data/x", "1");
  await settle(dom0);
  await settle(d5);
  assert.equal(rel, ["data", "data/x"]);
  assert.equal(abs, ["/local/domain/5/data", "/local/domain/5/data/x"]);
});

test("rm fires the removed root for watches above it and each removed node for watches on it", async () => {
  const { dom0 } = setup();
  await dom0.write("/r/a/b/c", "1");
  const above = await recorder(dom0, "/r", "above");
  const onB = await recorder(dom0, "/r/a/b", "onB");
  const onMissing = await recorder(dom0, "/r/a/b/none", "missing");
  await dom0.rm("/r/a");
  await settle(dom0);
  assert.equal(above, ["/r", "/r/a"]);
  assert.equal(onB, ["/r/a/b", "/r/a/b"]);
  assert.equal(onMissing, ["/r/a/b/none"], "a watched path that never existed hears nothing");
});

test("UNWATCH stops one watch, RESET_WATCHES all of them, unknown ones are ENOENT", async () => {
  const { dom0 } = setup();
  const one = await recorder(dom0, "/u", "one");
  const two = await recorder(dom0, "/u", "two");
  await dom0.unwatch("/u", "one");
  assert.is(await code(dom0.unwatch("/u", "one")), "ENOENT");
  await dom0.write("/u/x", "1");
  await dom0.resetWatches();
  await dom0.write("/u/y", "1");
  await settle(dom0);
  assert.equal(one, ["/u"]);
  assert.equal(two, ["/u", "/u/x"]);
});

test("a depth limits how far below the path a watch hears", async () => {
  const { dom0 } = setup();
  const d0 = await recorder(dom0, "/d", "d0", 0);
  const d1 = await recorder(dom0, "/d", "d1", 1);
  const root1 = await recorder(dom0, "/", "root1", 1);
  await dom0.write("/d", "1");
  await dom0.write("/d/a", "1");
  await dom0.write("/d/a/b", "1");
  await settle(dom0);
  assert.equal(d0, ["/d", "/d"]);
  assert.equal(d1, ["/d", "/d", "/d/a"]);
  assert.equal(root1, ["/", "/d"]);
});

test("a watcher hears of nodes it may read, or whose parent it may read, or which it could read before", async () => {
  const { dom0, dom } = setup();
  await dom0.write("/p/open/x", "");
  await dom0.setPerms("/p", [{ domid: 0, access: "r" }]);
  await dom0.setPerms("/p/open", [{ domid: 0, access: "r" }]);
  await dom0.setPerms("/p/open/x", [{ domid: 0, access: "r" }]);
  const d5 = dom(5);
  const events = await recorder(d5, "/p", "t");
  await dom0.write("/p/open/x", "readable");
  await dom0.write("/p/open/hidden", "");
  await dom0.setPerms("/p/open/hidden", [{ domid: 0, access: "n" }]);
  await dom0.write("/p/open/hidden/deep", "parent unreadable");
  await dom0.setPerms("/p/open/x", [{ domid: 0, access: "n" }]);
  await dom0.write("/p/open/x", "no longer readable, but its parent is");
  await dom0.setPerms("/p/open", [{ domid: 0, access: "n" }]);
  await dom0.write("/p/open/x", "neither");
  await settle(dom0);
  await settle(d5);
  assert.equal(events, ["/p", "/p/open/x", "/p/open/hidden", "/p/open/hidden", "/p/open/x", "/p/open/x", "/p/open"]);
});

test("changes in a transaction fire on commit, once per node, and not at all on abort", async () => {
  const { dom0 } = setup();
  const events = await recorder(dom0, "/t", "t");
  const tx = await dom0.transactionStart();
  await dom0.write("/t/a", "1", tx);
  await dom0.write("/t/a", "2", tx);
  await settle(dom0);
  assert.equal(events, ["/t"], "nothing before the commit");
  await dom0.transactionEnd(tx, true);
  const aborted = await dom0.transactionStart();
  await dom0.write("/t/b", "1", aborted);
  await dom0.transactionEnd(aborted, false);
  await settle(dom0);
  assert.equal(events, ["/t", "/t/a"]);
});

test("an event too long for one message is not sent", async () => {
  const { dom0 } = setup();
  const token = "k".repeat(4000);
  const events = await recorder(dom0, "/", token);
  await dom0.write(`/${"x".repeat(100)}`, "");
  await dom0.write("/y", "");
  await settle(dom0);
  assert.equal(events, ["/", "/y"]);
});

test("@introduceDomain/@releaseDomain reach dom0, and a domain only once granted by SET_PERMS", async () => {
  const { hub, dom0, dom } = setup();
  const d0 = await recorder(dom0, "@introduceDomain", "i");
  const rel = await recorder(dom0, "@releaseDomain", "r");
  const perDomain = await recorder(dom0, "@releaseDomain", "per", 1);
  const only7 = await recorder(dom0, "@releaseDomain/7", "only7");
  const d3 = dom(3);
  const d3seen = await recorder(d3, "@introduceDomain", "i3");
  const d7 = hub.connect(7);
  await settle(dom0);
  await dom0.setPerms("@introduceDomain", [{ domid: 0, access: "n" }, { domid: 3, access: "r" }]);
  const d8 = hub.connect(8);
  d7.close();
  d8.close();
  await settle(dom0);
  await settle(d3);
  assert.equal(d0, ["@introduceDomain", "@introduceDomain", "@introduceDomain", "@introduceDomain"], "domains 3, 7, 8");
  assert.equal(rel, ["@releaseDomain", "@releaseDomain", "@releaseDomain"]);
  assert.equal(perDomain, ["@releaseDomain", "@releaseDomain/7", "@releaseDomain/8"]);
  assert.equal(only7, ["@releaseDomain/7", "@releaseDomain/7"]);
  assert.equal(d3seen, ["@introduceDomain", "@introduceDomain"], "domain 3 hears only domain 8, after the grant");
  assert.is(await code(d3.setPerms("@releaseDomain", [{ domid: 3, access: "r" }])), "EACCES");
  assert.is(await code(dom0.setPerms("@other", [{ domid: 3, access: "r" }])), "EINVAL");
});

test.run();
