// cli tier: `stubdomctl watch` prints the health as it is, then one line per change (not per
// write), until a signal; it tells when the daemon goes away. Every wait is on a line, bounded.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { seedStubdom } from "../../host/dev/seed.ts";
import { runCli, startCli, startDemoDaemon, writeHealth, type Daemon } from "./cliProcess.ts";
import { healthDir } from "../../init/healthPaths.ts";

const LINE_BOUND_MS = 15_000;
let d: Daemon;

test.before.each(async () => {
  d = await startDemoDaemon();
});
test.after.each(async () => {
  await d.close();
});

const T = "\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z";

test("watch S: the current keys, then one line per change, a removal, and exit 0 on SIGINT", async () => {
  await writeHealth(d.xs, 2, { state: "booting", "boot-ms/mounts": "12" });
  const w = startCli(["watch", "2"], d.env);
  await w.stderr.waitFor(/^stubdomctl watch: watching \/local\/domain\/2\/data\/stubdom; Ctrl-C stops$/, LINE_BOUND_MS);
  await w.stdout.waitFor(new RegExp(`^${T} 2 state = "booting"$`), LINE_BOUND_MS);
  await w.stdout.waitFor(new RegExp(`^${T} 2 boot-ms/mounts = "12"$`), LINE_BOUND_MS);
  await d.xs.write(`${healthDir(2)}/qemu/pid`, "57");
  await w.stdout.waitFor(new RegExp(`^${T} 2 qemu/pid = "57"$`), LINE_BOUND_MS);
  // The same value written again is no change: the next line is the next real change.
  await d.xs.write(`${healthDir(2)}/qemu/pid`, "57");
  await d.xs.write(`${healthDir(2)}/state`, "running");
  await w.stdout.waitFor(new RegExp(`^${T} 2 state = "running"$`), LINE_BOUND_MS);
  await d.xs.rm(`${healthDir(2)}/boot-ms`);
  await w.stdout.waitFor(new RegExp(`^${T} 2 boot-ms/mounts removed$`), LINE_BOUND_MS);
  w.child.kill("SIGINT");
  const r = await w.exited;
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n").map((l) => l.replace(/^\S+ /, ""));
  assert.equal(lines, ['2 state = "booting"', '2 boot-ms/mounts = "12"', '2 qemu/pid = "57"', '2 state = "running"', "2 boot-ms/mounts removed"]);
});

test("watch without S: a stubdom that starts reporting health appears", async () => {
  const w = startCli(["watch"], d.env);
  await w.stderr.waitFor(/watching \/local\/domain;/, LINE_BOUND_MS);
  await seedStubdom(d.xs, { stubdom: 12, guest: 11, uuid: "00000000-0000-4000-8000-000000000011", name: "web", argv: ["-m", "16"] });
  await writeHealth(d.xs, 12, { state: "booting" });
  await w.stdout.waitFor(new RegExp(`^${T} 12 state = "booting"$`), LINE_BOUND_MS);
  await d.xs.write("/local/domain/1/name", "not health");
  await writeHealth(d.xs, 2, { state: "running" });
  await w.stdout.waitFor(new RegExp(`^${T} 2 state = "running"$`), LINE_BOUND_MS);
  w.child.kill("SIGTERM");
  const r = await w.exited;
  assert.is(r.code, 0);
  assert.not.match(r.stdout, /not health/);
});

test("the daemon going away while watching: exit 3, naming the socket", async () => {
  const w = startCli(["watch", "2"], d.env);
  await w.stderr.waitFor(/watching/, LINE_BOUND_MS);
  await d.server.close();
  const r = await w.exited;
  assert.is(r.code, 3);
  assert.match(r.stderr, new RegExp(`stubdomctl watch: xenstored at ${d.socket} closed the connection\\n$`));
});

test("an unknown stubdom: exit 4", async () => {
  const r = await runCli(["watch", "9"], d.env);
  assert.is(r.code, 4);
  assert.is(r.stderr, "stubdomctl watch: no domain 9: /local/domain/9 does not exist\n");
});

test("a malformed stubdom: exit 2; a name nobody has: exit 4", async () => {
  const r = await runCli(["watch", "demo dm"], d.env);
  assert.is(r.code, 2);
  assert.is(r.stderr, 'stubdomctl watch: stubdom "demo dm" is neither a domain id nor a domain name\n');
  const none = await runCli(["watch", "nobody"], d.env);
  assert.is(none.code, 4);
  assert.is(none.stderr, 'stubdomctl watch: no domain is named "nobody" (/local/domain/*/name)\n');
});

test("a daemon that is not running: exit 3", async () => {
  const none = join(d.dir, "none.sock");
  const r = await runCli(["watch", "2", "--socket", none], d.env);
  assert.is(r.code, 3);
  assert.is(r.stderr, `stubdomctl watch: xenstored is not running at ${none} (ENOENT; the path is --socket)\n`);
});

test.run();
