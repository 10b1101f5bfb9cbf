// The toolstack's requests against the dev daemon (domain.c, control.c): INTRODUCE, RELEASE,
// RESUME, IS_DOMAIN_INTRODUCED, GET/SET_FEATURE, CONTROL, and what a domain channel implies.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { XenStoreClient, XenStoreError } from "../../runtime/xenstore/client.ts";
import { joinNul } from "../../runtime/xenstore/payload.ts";
import { control, getFeature, introduce, isDomainIntroduced, release, resume, setFeature } from "../support/toolstack.ts";
import { Feature, MsgType } from "../../runtime/xenstore/wire.ts";
import { code, xenstoreWorld } from "../support/xenstoreWorld.ts";

const setup = xenstoreWorld;


async function introductions(xs: XenStoreClient): Promise<string[]> {
  const events: string[] = [];
  await xs.watch("@introduceDomain", "i", (p) => void events.push(p), 1);
  await xs.watch("@releaseDomain", "r", (p) => void events.push(p), 1);
  events.length = 0;
  return events;
}

test("INTRODUCE announces a domain once; IS_DOMAIN_INTRODUCED follows it; RELEASE forgets it", async () => {
  const { dom0 } = setup();
  const events = await introductions(dom0);
  assert.is(await isDomainIntroduced(dom0, 3), false);
  assert.is(await isDomainIntroduced(dom0, 0), true, "dom0 always is");
  assert.is(await isDomainIntroduced(dom0, 0x7ff0), true, "DOMID_SELF");
  await introduce(dom0, 3, 0xfeffc, 1);
  await introduce(dom0, 3, 0xfeffc, 1);
  assert.is(await isDomainIntroduced(dom0, 3), true);
  await release(dom0, 3);
  assert.is(await isDomainIntroduced(dom0, 3), false);
  await dom0.getDomainPath(0);
  assert.equal(events, ["@introduceDomain/3", "@releaseDomain/3"]);
  assert.is(await code(release(dom0, 3)), "ENOENT");
  assert.is(await code(resume(dom0, 3)), "ENOENT");
  assert.is(await code(release(dom0, 0)), "EINVAL");
  assert.is(await code(introduce(dom0, 4, 1, 0)), "EINVAL", "an event channel must be above 0");
  assert.is(await code(dom0.call(MsgType.INTRODUCE, joinNul(["4", "1"]))), "EINVAL");
});

test("RELEASE closes the domain's channel and removes the nodes it owns", async () => {
  const { dom0, hub, daemon } = setup();
  await dom0.mkdir("/local/domain/5");
  await dom0.setPerms("/local/domain/5", [{ domid: 0, access: "n" }, { domid: 5, access: "b" }]);
  const d5 = new XenStoreClient(hub.connect(5));
  await d5.write("data/health", "running");
  await dom0.setPerms("@releaseDomain", [{ domid: 0, access: "n" }, { domid: 5, access: "r" }]);
  const watched: string[] = [];
  await dom0.watch("/local/domain/5/data", "t", (p) => void watched.push(p));
  await release(dom0, 5);
  const gone = await d5.read("data").catch((e: XenStoreError) => e);
  assert.instance(gone, XenStoreError);
  assert.is((gone as XenStoreError).code, "EPIPE");
  assert.match((gone as XenStoreError).message, /domain 5 released/);
  assert.is(await code(dom0.read("/local/domain/5/data")), "ENOENT");
  assert.is(await code(dom0.read("/local/domain/5")), "ok", "dom0's node stays");
  assert.equal(await dom0.getPerms("@releaseDomain").catch((e: XenStoreError) => e.code), "EINVAL");
  assert.equal(daemon.specialPerms.get("@releaseDomain"), [{ domid: 0, access: "n" }], "the domain's grant went with it");
  assert.equal(watched, ["/local/domain/5/data", "/local/domain/5/data"]);
});

test("a domain's channel introduces it; its closing releases it but keeps its nodes", async () => {
  const { dom0, hub } = setup();
  const events = await introductions(dom0);
  await dom0.mkdir("/local/domain/6");
  await dom0.setPerms("/local/domain/6", [{ domid: 6, access: "n" }]);
  const channel = hub.connect(6);
  const d6 = new XenStoreClient(channel);
  await d6.write("data/state", "failed");
  assert.is(await isDomainIntroduced(dom0, 6), true);
  channel.close();
  assert.is(await isDomainIntroduced(dom0, 6), false);
  assert.is(await dom0.readString("/local/domain/6/data/state"), "failed");
  assert.equal(events, ["@introduceDomain/6", "@releaseDomain/6"]);
});

test("introducing a domain again restarts its connection: watches and transactions go", async () => {
  const { dom0, hub } = setup();
  const d7 = new XenStoreClient(hub.connect(7));
  const heard: string[] = [];
  await d7.watch("/local/domain/7", "w", (p) => void heard.push(p));
  const tx = await d7.transactionStart();
  await introduce(dom0, 7, 1, 1);
  await dom0.write("/local/domain/7/x", "");
  assert.is(await code(d7.read("/local/domain/7/x", tx)), "ENOENT");
  assert.equal(heard, ["/local/domain/7"], "only the initial event");
});

test("GET_FEATURE tells WATCHDEPTH; SET_FEATURE works before introduction and takes away depth", async () => {
  const { dom0, hub } = setup();
  assert.is(await getFeature(dom0), Feature.WATCHDEPTH);
  await setFeature(dom0, 8, 0);
  assert.is(await getFeature(dom0, 8), 0);
  assert.is(await code(setFeature(dom0, 8, Feature.RECONNECTION)), "EINVAL", "not a feature we have");
  const d8 = new XenStoreClient(hub.connect(8));
  assert.is(await getFeature(d8), 0, "a domain sees its own");
  assert.is(await code(d8.watch("x", "t", () => undefined, 1)), "EINVAL", "no depth without the feature");
  assert.is(await code(setFeature(dom0, 8, Feature.WATCHDEPTH)), "EBUSY");
  assert.is(await code(getFeature(d8, 0)), "EACCES");
});

test("CONTROL check reports a consistent store; help lists the commands; junk is EINVAL", async () => {
  const { dom0 } = setup();
  await dom0.write("/a/b", "1");
  assert.is(await control(dom0, "check"), "OK");
  assert.match(await control(dom0, "help"), /check/);
  assert.is(await control(dom0, "print", "hello"), "OK");
  assert.is(await code(control(dom0, "live-update")), "EINVAL");
});

test("CONTROL check finds a broken store", async () => {
  const { dom0, daemon } = setup();
  await dom0.write("/a/b", "1");
  daemon.committed.remove("/a/b");
  assert.is(await code(control(dom0, "check")), "EIO");
});

test.run();
