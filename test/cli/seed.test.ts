// cli tier: `stubdomctl seed` writes libxl's keys and perms and our settings; the init's own
// reader, connected as the stubdom, is the referee for what it wrote. Bad input is one sentence
// and an exit code, and writes nothing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { formatPerm } from "../../runtime/xenstore/perms.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { readGuestConfig } from "../../init/guestConfig.ts";
import { readConfigLayer } from "../../init/liveConfig.ts";
import { runCli, startDaemon, type Daemon } from "./cliProcess.ts";
import { ConfigSchema } from "../../init/configSchema.ts";

const UUID = "6f1d3c52-7a0e-4c1b-9d2e-0123456789ab";
let d: Daemon;

test.before.each(async () => {
  d = await startDaemon();
});
test.after.each(async () => {
  await d.close();
});

const perms = async (xs: XenStoreClient, path: string): Promise<string> => (await xs.getPerms(path)).map(formatPerm).join(",");
const exists = (xs: XenStoreClient, path: string): Promise<boolean> => xs.read(path).then(() => true, () => false);

const seed = (extra: string[], argv: string[] = ["-xen-domid", "4", "-name", "g"]) =>
  runCli(["seed", "--stubdom", "5", "--guest", "4", "--uuid", UUID, "--name", "win", ...extra, "--", ...argv], d.env);

test("libxl's keys with libxl's perms, our settings dom0-owned and readable by the stubdom", async () => {
  const r = await seed(["--restart", "always", "--debug-shell", "--log-level", "debug", "--config", "qmp-interval-s=3", "--consoles", "1,2,3"]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `seeded stubdom 5 (win-dm) for guest 4 (win): 4 QEMU arguments under /vm/${UUID}/image/dm-argv, 4 settings under /local/domain/5/stubdom/config\n`);
  const xs = d.xs;
  const expect: [string, string, string][] = [
    [`/vm/${UUID}/image/dm-argv`, "", "n0,r5"],
    [`/vm/${UUID}/image/dm-argv/001`, "-xen-domid", "n0,r5"],
    [`/vm/${UUID}/image/dm-argv/004`, "g", "n0,r5"],
    [`/vm/${UUID}`, "", "n0,r4"],
    ["/local/domain/4/vm", `/vm/${UUID}`, "n0,r4"],
    ["/local/domain/4/image/device-model-domid", "5", "n0,r4"],
    ["/local/domain/5", "", "n0,r5"],
    ["/local/domain/5/name", "win-dm", "n0,r5"],
    ["/local/domain/5/domid", "5", "n0,r5"],
    ["/local/domain/5/target", "4", "n0,r5"],
    ["/local/domain/5/data", "", "n5"],
    ["/local/domain/5/device-model/4", "", "n5,r4"],
    ["/local/domain/5/device/console/3/type", "ioemu", "n0,r5"],
    ["/local/domain/5/stubdom/config", "", "n0,r5"],
    ["/local/domain/5/stubdom/config/restart", "always", "n0,r5"],
    ["/local/domain/5/stubdom/config/debug-shell", "1", "n0,r5"],
    ["/local/domain/5/stubdom/config/log-level", "debug", "n0,r5"],
    ["/local/domain/5/stubdom/config/qmp-interval-s", "3", "n0,r5"],
  ];
  for (const [path, value, perm] of expect) {
    assert.is(await xs.readString(path), value, path);
    assert.is(await perms(xs, path), perm, path);
  }
  // As the stubdom: the init's readers see the argv and the settings; the settings are read-only for it.
  const stub = new XenStoreClient(await connectUnix(await d.domainSocket(5)));
  try {
    assert.equal(await readGuestConfig(stub), { domid: 5, target: 4, vmPath: `/vm/${UUID}`, dmArgv: ["-xen-domid", "4", "-name", "g"] });
    const layer = await readConfigLayer(stub, 5);
    assert.equal(new Map(layer.entries), new Map([["restart", "always"], ["debug-shell", "1"], ["log-level", "debug"], ["qmp-interval-s", "3"]]));
    await stub.write("stubdom/config/restart", "no").then(
      () => assert.unreachable("the stubdom must not write its settings"),
      (e: Error) => assert.match(e.message, /EACCES/),
    );
    // SET_TARGET: the stubdom may read what only its guest may.
    assert.is(await stub.readString("/local/domain/4/vm"), `/vm/${UUID}`);
  } finally {
    stub.close();
  }
});

test("1500 QEMU arguments are written as 001..1500 and read back in order", async () => {
  const argv = Array.from({ length: 1500 }, (_, i) => `arg-${i + 1}`);
  const r = await seed([], argv);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /: 1500 QEMU arguments under/);
  assert.is(await d.xs.readString(`/vm/${UUID}/image/dm-argv/1500`), "arg-1500");
  assert.is(await d.xs.readString(`/vm/${UUID}/image/dm-argv/999`), "arg-999");
  const stub = new XenStoreClient(await connectUnix(await d.domainSocket(5)));
  try {
    assert.equal((await readGuestConfig(stub)).dmArgv, argv);
  } finally {
    stub.close();
  }
});

test("seeding again replaces the argv and the settings, leaving no old tail", async () => {
  assert.is((await seed(["--restart", "no"], ["a", "b", "c", "d", "e"])).code, 0);
  const r = await seed([], ["x"]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(await d.xs.directory(`/vm/${UUID}/image/dm-argv`), ["001"]);
  assert.equal(await d.xs.directory("/local/domain/5/stubdom/config"), []);
});

const bad: [string, string[], number, string][] = [
  ["a non-numeric stubdom id", ["seed", "--stubdom", "five", "--guest", "4", "--", "x"], 2, '--stubdom "five" is not a domain id (a whole number from 1 to 32751)'],
  ["a non-numeric guest id", ["seed", "--stubdom", "5", "--guest", "4a", "--", "x"], 2, '--guest "4a" is not a domain id (a whole number from 1 to 32751)'],
  ["domid 0", ["seed", "--stubdom", "0", "--guest", "4", "--", "x"], 2, '--stubdom "0" is not a domain id (a whole number from 1 to 32751)'],
  ["a reserved domid", ["seed", "--stubdom", "32752", "--guest", "4", "--", "x"], 2, '--stubdom "32752" is not a domain id (a whole number from 1 to 32751)'],
  ["the same domid twice", ["seed", "--stubdom", "4", "--guest", "4", "--", "x"], 2, "--stubdom and --guest are both 4: a stubdom serves another domain"],
  ["no --stubdom", ["seed", "--guest", "4", "--", "x"], 2, "--stubdom S is required"],
  ["no QEMU arguments", ["seed", "--stubdom", "5", "--guest", "4"], 2, "no QEMU arguments: put them after --"],
  ["a malformed UUID", ["seed", "--stubdom", "5", "--guest", "4", "--uuid", "1234", "--", "x"], 2, '--uuid "1234" is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)'],
  ["a bad restart mode", ["seed", "--stubdom", "5", "--guest", "4", "--restart", "sometimes", "--", "x"], 2, 'setting restart: "sometimes" is not one of no, on-failure, always'],
  ["an unknown setting", ["seed", "--stubdom", "5", "--guest", "4", "--config", "colour=blue", "--", "x"], 2, `unknown setting "colour" (known: ${Object.keys(ConfigSchema.properties).join(", ")})`],
  ["an out-of-range setting", ["seed", "--stubdom", "5", "--guest", "4", "--config", "restart-burst=0", "--", "x"], 2, "setting restart-burst: 0 is below the minimum 1"],
  ["a bad console list", ["seed", "--stubdom", "5", "--guest", "4", "--consoles", "1,x", "--", "x"], 2, '--consoles "1,x": "x" is not a console devid from 1 to 9'],
  ["a bad vif", ["seed", "--stubdom", "5", "--guest", "4", "--vif", "0=zz", "--", "x"], 2, '--vif "0=zz": the MAC is not a MAC address (six hex pairs separated by colons)'],
  ["a vif without a MAC", ["seed", "--stubdom", "5", "--guest", "4", "--vif", "zz", "--", "x"], 2, '--vif "zz" is not DEVID=MAC (e.g. 0=00:16:3e:00:00:01)'],
  ["a vif with the all-zero MAC", ["seed", "--stubdom", "5", "--guest", "4", "--vif", "0=00:00:00:00:00:00", "--", "x"], 2, '--vif "0=00:00:00:00:00:00": the MAC is all zeros, which no NIC has'],
];
for (const [name, args, code, sentence] of bad) {
  test(`${name}: exit ${code}, one sentence, nothing written`, async () => {
    const r = await runCli(args, d.env);
    assert.is(r.code, code);
    assert.is(r.stderr, `stubdomctl seed: ${sentence}\n`);
    assert.is(r.stdout, "");
    assert.not.ok(await exists(d.xs, "/local/domain/5"), "nothing was written");
  });
}

test("a daemon that is not running: exit 3, naming the socket and where its path came from", async () => {
  const none = join(d.dir, "none.sock");
  const r = await runCli(["seed", "--stubdom", "5", "--guest", "4", "--", "x"], { ...d.env, XENSTORED_PATH: none });
  assert.is(r.code, 3);
  assert.is(r.stderr, `stubdomctl seed: xenstored is not running at ${none} (ENOENT; the path is XENSTORED_PATH)\n`);
});

test("xenstored refusing the writes (a socket that is not dom0's): exit 5, naming the path", async () => {
  const r = await runCli(["seed", "--socket", await d.domainSocket(7), "--stubdom", "5", "--guest", "4", "--", "x"], d.env);
  assert.is(r.code, 5);
  assert.match(r.stderr, /^stubdomctl seed: xenstored refused [A-Z_]+ \/local\/domain\/4: EACCES\n$/);
  assert.not.ok(await exists(d.xs, "/local/domain/4"), "the transaction left nothing");
});

test.run();
