// cli tier: `stubdomctl set` writes settings where a running stubdom watches them; the init's own
// reader, connected as the stubdom, is the referee. A bad value writes nothing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatPerm } from "../../runtime/xenstore/perms.ts";
import { readConfigLayer } from "../../init/liveConfig.ts";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { runCli, startDemoDaemon, type Daemon } from "./cliProcess.ts";

let d: Daemon;
let stubdomSocket: string;

test.before.each(async () => {
  d = await startDemoDaemon();
  stubdomSocket = await d.domainSocket(2);
});
test.after.each(async () => {
  await d.close();
});

/** The layer the init reads, as stubdom 2 itself. */
async function stubdomView(): Promise<[string, string][]> {
  const xs = new XenStoreClient(await connectUnix(stubdomSocket));
  try {
    return (await readConfigLayer(xs, 2)).entries;
  } finally {
    xs.close();
  }
}

test("settings by the guest's name: written dom0-owned, readable by the stubdom; --unset removes", async () => {
  const r = await runCli(["set", "demo", "debug-shell=true", "log-level=debug"], d.env);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "stubdom 2: debug-shell=true, log-level=debug (under /local/domain/2/stubdom/config; the stubdom applies it live)\n");
  assert.is((await d.xs.getPerms("/local/domain/2/stubdom/config")).map(formatPerm).join(","), "n0,r2");
  assert.equal((await stubdomView()).sort(), [["debug-shell", "true"], ["log-level", "debug"]]);
  const u = await runCli(["set", "demo-dm", "--unset", "log-level"], d.env);
  assert.is(u.code, 0, u.stderr);
  assert.equal(await stubdomView(), [["debug-shell", "true"]]);
});

test("a bad value, an unknown key or nothing to do: exit 2, and nothing is written", async () => {
  const cases: [string[], string][] = [
    [["set", "2", "log-level=loud"], "stubdomctl set: setting log-level: "],
    [["set", "2", "colour=blue"], 'stubdomctl set: colour=blue: unknown setting "colour" (known: '],
    [["set", "2", "restart"], 'stubdomctl set: "restart" is not KEY=VALUE\n'],
    [["set", "2"], "stubdomctl set: nothing to change: give KEY=VALUE or --unset KEY\n"],
    [["set", "2", "restart=always", "--unset", "restart"], "stubdomctl set: setting restart is both set and unset\n"],
  ];
  for (const [args, start] of cases) {
    const r = await runCli(args, d.env);
    assert.is(r.code, 2, args.join(" "));
    assert.ok(r.stderr.startsWith(start), r.stderr);
  }
  assert.is(await d.xs.read("/local/domain/2/stubdom/config/restart").then(() => "written", () => "absent"), "absent");
});

test("a stubdom nobody has: exit 4", async () => {
  const r = await runCli(["set", "9", "restart=always"], d.env);
  assert.is(r.code, 4);
  assert.is(r.stderr, "stubdomctl set: no domain 9: /local/domain/9 does not exist\n");
});

test.run();
