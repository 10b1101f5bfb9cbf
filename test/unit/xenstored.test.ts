// The dev daemon's node operations and permissions through our client, in memory, with the
// answers C xenstored gives (core.c): errno hiding, ownership, inheritance, SET_TARGET, paths.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { splitNul } from "../../runtime/xenstore/payload.ts";
import { MsgType } from "../../runtime/xenstore/wire.ts";
import { encodeUtf8 } from "../../runtime/utf8.ts";
import { checkStore } from "../../host/xenstored/check.ts";
import { code, xenstoreWorld } from "../support/xenstoreWorld.ts";

const setup = xenstoreWorld;


/** A request with a hand-made payload (`|` for NUL), past the client's own checks. */
const raw = (xs: XenStoreClient, type: number, payload: string, txId = 0): Promise<string[]> =>
  xs.call(type, encodeUtf8(payload.split("|").join("\0")), txId).then(splitNul);

test("write creates parents, read returns raw bytes, rm removes the subtree", async () => {
  const { dom0, daemon } = setup();
  await dom0.write("/a/b/c", Uint8Array.of(1, 0, 255));
  assert.equal([...(await dom0.read("/a/b/c"))], [1, 0, 255]);
  assert.equal(await dom0.directory("/a"), ["b"]);
  await dom0.rm("/a/b");
  assert.is(await code(dom0.read("/a/b/c")), "ENOENT");
  assert.is(await code(dom0.rm("/a/b")), "ok", "removing a missing node under an existing parent is fine");
  assert.is(await code(dom0.rm("/nope/x")), "ENOENT");
  assert.is(await code(raw(dom0, MsgType.RM, "/|")), "EINVAL", "the root stays");
  assert.is(checkStore(daemon.committed), undefined);
});

test("children are listed in creation order and mkdir leaves existing values alone", async () => {
  const { dom0 } = setup();
  for (const n of ["z", "a", "m"]) await dom0.write(`/o/${n}`, n);
  await dom0.mkdir("/o/a");
  assert.equal(await dom0.directory("/o"), ["z", "a", "m"]);
  assert.is(await dom0.readString("/o/a"), "a");
});

test("a domain cannot read /local/domain/<another domid>, existing or not", async () => {
  const { dom0, dom } = setup();
  await dom0.write("/local/domain/6/secret", "x");
  const d5 = dom(5);
  for (const p of ["/local/domain/6", "/local/domain/6/secret", "/local/domain/7", "/local/domain/7/x"]) {
    assert.is(await code(d5.read(p)), "EACCES", p);
    assert.is(await code(d5.directory(p)), "EACCES", p);
  }
  assert.is(await code(d5.directory("/local/domain")), "EACCES");
  assert.is(await code(d5.write("/local/domain/6/secret", "y")), "EACCES");
  assert.is(await dom0.readString("/local/domain/6/secret"), "x");
});

test("a missing node reads as ENOENT only where the nearest ancestor lets the caller read", async () => {
  const { dom0, dom } = setup();
  await dom0.mkdir("/local/domain/5");
  await dom0.setPerms("/local/domain/5", [{ domid: 0, access: "n" }, { domid: 5, access: "r" }]);
  const d5 = dom(5);
  assert.is(await code(d5.read("/local/domain/5/missing/deeper")), "ENOENT");
  assert.is(await code(d5.write("/local/domain/5/x", "1")), "EACCES", "r is not w");
  await dom0.write("/local/domain/5/hidden", "h");
  await dom0.setPerms("/local/domain/5/hidden", [{ domid: 0, access: "n" }]);
  assert.is(await code(d5.read("/local/domain/5/hidden")), "EACCES");
  assert.is(await code(d5.read("/local/domain/5/hidden/below")), "EACCES");
});

test("relative paths are the domain's home; dom0's socket home is /local/domain/0", async () => {
  const { dom0, dom } = setup();
  await dom0.mkdir("/local/domain/5");
  await dom0.setPerms("/local/domain/5", [{ domid: 5, access: "n" }]);
  await dom(5).write("data/x", "1");
  assert.is(await dom0.readString("/local/domain/5/data/x"), "1");
  await dom0.write("rel", "0");
  assert.is(await dom0.readString("/local/domain/0/rel"), "0");
});

test("an unprivileged creator owns what it creates; children inherit the rest of the perms", async () => {
  const { dom0, dom } = setup();
  await dom0.mkdir("/local/domain/5/data");
  await dom0.setPerms("/local/domain/5/data", [{ domid: 0, access: "b" }, { domid: 5, access: "b" }, { domid: 7, access: "r" }]);
  const d5 = dom(5);
  await d5.write("data/stubdom/state", "running");
  const want = [{ domid: 5, access: "b" }, { domid: 5, access: "b" }, { domid: 7, access: "r" }];
  assert.equal(await dom0.getPerms("/local/domain/5/data/stubdom"), want);
  assert.equal(await dom0.getPerms("/local/domain/5/data/stubdom/state"), want);
  await dom0.write("/local/domain/5/data/by0", "x");
  assert.equal((await dom0.getPerms("/local/domain/5/data/by0"))[0], { domid: 0, access: "b" }, "dom0 keeps the parent's owner");
});

test("only dom0 changes an owner, and only an owner changes perms", async () => {
  const { dom0, dom } = setup();
  await dom0.write("/s/n", "v");
  await dom0.setPerms("/s/n", [{ domid: 5, access: "n" }, { domid: 6, access: "b" }]);
  assert.is(await code(dom(5).setPerms("/s/n", [{ domid: 7, access: "n" }])), "EPERM");
  assert.is(await code(dom(6).setPerms("/s/n", [{ domid: 5, access: "r" }])), "EACCES", "b is not ownership");
  assert.is(await code(dom(5).setPerms("/s/n", [{ domid: 5, access: "r" }, { domid: 8, access: "w" }])), "ok");
  assert.equal(await dom0.getPerms("/s/n"), [{ domid: 5, access: "r" }, { domid: 8, access: "w" }]);
  assert.is(await code(dom(8).read("/s/n")), "EACCES", "w alone does not read");
  assert.is(await code(dom(8).write("/s/n", "w")), "ok");
});

test("permissions parse as C's strtol does, and junk is EINVAL", async () => {
  const { dom0 } = setup();
  await dom0.write("/p", "");
  await raw(dom0, MsgType.SET_PERMS, "/p|b0x10|r-1|n010|w 7|");
  assert.equal(await raw(dom0, MsgType.GET_PERMS, "/p|"), ["b16", "r4294967295", "n8", "w7"]);
  for (const bad of ["/p|", "/p|x1|", "/p|r|", "/p|r5x|", "/p|r5"]) assert.is(await code(raw(dom0, MsgType.SET_PERMS, bad)), "EINVAL", bad);
});

test("SET_TARGET gives a device model its guest's rights, dom0 alone may set it", async () => {
  const { dom0, dom } = setup();
  await dom0.mkdir("/local/domain/4");
  await dom0.setPerms("/local/domain/4", [{ domid: 0, access: "n" }, { domid: 4, access: "r" }]);
  await dom0.write("/local/domain/4/vm", "/vm/u");
  await dom0.mkdir("/local/domain/4/device-model");
  await dom0.setPerms("/local/domain/4/device-model", [{ domid: 4, access: "n" }]);
  const d5 = dom(5);
  assert.is(await code(d5.read("/local/domain/4/vm")), "EACCES");
  await dom0.setTarget(5, 4);
  assert.is(await d5.readString("/local/domain/4/vm"), "/vm/u");
  await d5.write("/local/domain/4/device-model/state", "running");
  assert.is(await code(d5.setTarget(5, 1)), "EACCES");
});

test("malformed arguments are EINVAL, unknown types ENOSYS, toolstack types EACCES, unknown transactions ENOENT", async () => {
  const { dom0, dom } = setup();
  await dom0.write("/k", "v");
  for (const [type, payload] of [
    [MsgType.READ, "/k"], // no NUL
    [MsgType.READ, "/k||"], // two strings
    [MsgType.READ, "/k/|"],
    [MsgType.READ, "/a//b|"],
    [MsgType.READ, "/caf\u00e9|"],
    [MsgType.READ, "@introduceDomain|"],
    [MsgType.WRITE, "/k"],
    [MsgType.DIRECTORY_PART, "/k|"],
    [MsgType.WATCH, "/k|"],
    [MsgType.TRANSACTION_END, "X|"],
  ] as const) {
    assert.is(await code(raw(dom0, type, payload)), "EINVAL", `${type} ${JSON.stringify(payload)}`);
  }
  for (const type of [MsgType.WATCH_EVENT, MsgType.ERROR, 20, 27, 1000, MsgType.INVALID]) assert.is(await code(raw(dom0, type, "|")), "ENOSYS", `type ${type}`);
  for (const type of [MsgType.INTRODUCE, MsgType.RELEASE, MsgType.RESUME, MsgType.IS_DOMAIN_INTRODUCED, MsgType.SET_TARGET, MsgType.CONTROL, MsgType.GET_QUOTA, MsgType.SET_QUOTA, MsgType.SET_FEATURE]) {
    assert.is(await code(raw(dom(3), type, "3|")), "EACCES", `type ${type}`);
  }
  assert.is(await code(raw(dom0, MsgType.READ, "/k|", 99)), "ENOENT");
  assert.equal(await raw(dom0, MsgType.WATCH, "/k|t|", 99), ["OK"], "WATCH ignores tx_id");
});

test("a domain's paths may be 2048 characters past its home; any path at most 3072", async () => {
  const { dom0, dom } = setup();
  await dom0.mkdir("/local/domain/5");
  await dom0.setPerms("/local/domain/5", [{ domid: 5, access: "n" }]);
  const seg = (n: number): string => Array.from({ length: Math.ceil(n / 100) }, () => "x".repeat(99)).join("/").slice(0, n);
  const d5 = dom(5);
  assert.is(await code(raw(d5, MsgType.WRITE, `${seg(2048)}|v`)), "ok");
  assert.is(await code(raw(d5, MsgType.WRITE, `${seg(2049)}|v`)), "EINVAL");
  assert.is(await code(raw(dom0, MsgType.WRITE, `/${seg(3071)}|v`)), "ok");
  assert.is(await code(raw(dom0, MsgType.WRITE, `/${seg(3072)}|v`)), "EINVAL");
});

test("a directory over 4096 bytes is E2BIG; the client pages it with DIRECTORY_PART", async () => {
  const { dom0 } = setup();
  const names = Array.from({ length: 600 }, (_, i) => `child-number-${i}`);
  await dom0.transaction(async (tx) => {
    for (const n of names) await dom0.write(`/big/${n}`, "", tx);
  });
  assert.is(await code(raw(dom0, MsgType.DIRECTORY, "/big|")), "E2BIG");
  assert.equal(await dom0.directory("/big"), names);
});

test("DIRECTORY_PART answers <gencnt>|<names>| and ends the list with an empty name", async () => {
  const { dom0 } = setup();
  await dom0.mkdir("/e");
  const [gen, ...rest] = await raw(dom0, MsgType.DIRECTORY_PART, "/e|0|");
  assert.match(gen, /^\d+$/);
  assert.equal(rest, [""], "an empty list is just the end marker");
  await dom0.write("/e/a", "");
  await dom0.write("/e/bb", "");
  const [gen2, ...list] = await raw(dom0, MsgType.DIRECTORY_PART, "/e|0|");
  assert.not.equal(gen2, gen, "a new child changes the node's generation");
  assert.equal(list, ["a", "bb", ""]);
  assert.equal((await raw(dom0, MsgType.DIRECTORY_PART, "/e|2|")).slice(1), ["bb", ""], "offset is in bytes");
  assert.equal((await raw(dom0, MsgType.DIRECTORY_PART, "/e|99|")).slice(1), [""]);
  assert.equal((await raw(dom0, MsgType.DIRECTORY_PART, "/e|0|")).slice(0, 1), [gen2], "an unchanged node keeps its generation");
});

test("GET_DOMAIN_PATH answers for any domid and refuses junk", async () => {
  const { dom, dom0 } = setup();
  assert.is(await dom(9).getDomainPath(3), "/local/domain/3");
  assert.is(await code(raw(dom0, MsgType.GET_DOMAIN_PATH, "65536|")), "EINVAL");
  assert.is(await code(raw(dom0, MsgType.GET_DOMAIN_PATH, "1x|")), "EINVAL");
});

test("the client refuses bad paths and oversized requests before sending", async () => {
  const { dom0 } = setup();
  assert.is(await code(dom0.read("/a//b")), "EINVAL");
  assert.is(await code(dom0.read("@introduceDomain")), "EINVAL");
  assert.is(await code(dom0.write("/big", new Uint8Array(5000))), "E2BIG");
});

test.run();
