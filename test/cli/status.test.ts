// cli tier: `stubdomctl status` reads the health keys a stubdom writes, prints a table or JSON,
// and exits non-zero when a stubdom failed; the socket is found the way the help says.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seedStubdom } from "../../host/dev/seed.ts";
import { contractProblems } from "../support/healthContract.ts";
import { cleanEnv, runCli, runningHealth, startDemoDaemon, writeHealth, type Daemon } from "./cliProcess.ts";

let d: Daemon;

test.before.each(async () => {
  d = await startDemoDaemon();
});
test.after.each(async () => {
  await d.close();
});

test("the fixture is health as the init writes it: every key and value in the contract", () => {
  assert.equal(contractProblems(new Map(Object.entries(runningHealth()))), []);
});

test("a running stubdom: one table row, boot timings and QMP status below, exit 0", async () => {
  await writeHealth(d.xs, 2, runningHealth(75_000));
  const r = await runCli(["status", "2"], d.env);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.match(lines[0], /^Name +ID +Guest +State +QEMU +PID +Restarts +Last exit +Uptime +RSS kB +Avail kB$/);
  assert.match(lines[1], /^demo-dm +2 +1 +running +up +57 +1 +code:1 +1m1[5-9]s +16244 +43010$/);
  assert.is(lines[2], "boot: mounts 12 ms, config 40 ms (total 52 ms)");
  assert.is(lines[3], "QMP status: running");
  assert.is(r.stderr, "");
});

test("--json: the same fields, machine-readable", async () => {
  await writeHealth(d.xs, 2, { ...runningHealth(), "config-problems": "kernel command line: unknown setting \"x\"" });
  const r = await runCli(["status", "2", "--json"], d.env);
  assert.is(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  assert.is(v.domid, 2);
  assert.is(v.name, "demo-dm");
  assert.is(v.guest, 1);
  assert.is(v.state, "running");
  assert.is(v.memFreeKb, 41234);
  assert.is(v.memAvailableKb, 43010);
  assert.is(v.services.qemu.rssKb, 16244);
  assert.equal(v.bootMs, { mounts: 12, config: 40 });
  assert.equal(v.configProblems, ['kernel command line: unknown setting "x"']);
  assert.is(v.services.qemu.pid, 57);
  assert.is(v.services.qemu.restarts, 1);
  assert.is(v.services.qemu.lastExit, "code:1");
  assert.is(v.services.qemu.status, "running");
  assert.ok(v.services.qemu.secondsInState >= 75 && v.services.qemu.secondsInState < 120, String(v.services.qemu.secondsInState));
});

test("a failed stubdom: exit 1, its error sentence printed", async () => {
  await writeHealth(d.xs, 2, { ...runningHealth(), "qemu/state": "failed", state: "failed", error: "QEMU exited with code:1 5 times in 60 s" });
  const r = await runCli(["status", "2"], d.env);
  assert.is(r.code, 1);
  assert.match(r.stdout, /^demo-dm +2 +1 +failed +failed /m);
  assert.match(r.stdout, /^error: QEMU exited with code:1 5 times in 60 s$/m);
  const j = await runCli(["status", "2", "--json"], d.env);
  assert.is(j.code, 1);
  assert.is(JSON.parse(j.stdout).error, "QEMU exited with code:1 5 times in 60 s");
});

test("without S: every stubdom with health, in domid order; exit 1 when one failed", async () => {
  await seedStubdom(d.xs, { stubdom: 12, guest: 11, uuid: "00000000-0000-4000-8000-000000000011", name: "web", argv: ["-m", "16"] });
  await writeHealth(d.xs, 12, { ...runningHealth(), state: "failed", error: "network: no PV NIC has MAC 00:16:3e:00:00:01" });
  await writeHealth(d.xs, 2, runningHealth());
  const r = await runCli(["status"], d.env);
  assert.is(r.code, 1);
  const rows = r.stdout.split("\n");
  assert.match(rows[1], /^demo-dm +2 +1 +running /);
  assert.match(rows[2], /^web-dm +12 +11 +failed /);
  assert.is(rows[3], "web-dm: error: network: no PV NIC has MAC 00:16:3e:00:00:01");
  const j = JSON.parse((await runCli(["status", "--json"], d.env)).stdout);
  assert.equal(j.map((v: { domid: number }) => v.domid), [2, 12]);
});

test("an unknown stubdom: exit 4, naming its path", async () => {
  const r = await runCli(["status", "7"], d.env);
  assert.is(r.code, 4);
  assert.is(r.stderr, "stubdomctl status: no domain 7: /local/domain/7 does not exist\n");
  assert.is(r.stdout, "");
});

test("a domain without health (not a stubdom, or not booted): exit 4, naming the key", async () => {
  const r = await runCli(["status", "1"], d.env);
  assert.is(r.code, 4);
  assert.is(r.stderr, "stubdomctl status: domain 1 reports no stubdom health: /local/domain/1/data/stubdom/state does not exist\n");
});

test("no stubdom at all: exit 4", async () => {
  const r = await runCli(["status"], d.env);
  assert.is(r.code, 4);
  assert.is(r.stderr, "stubdomctl status: no stubdom reports health: no /local/domain/*/data/stubdom/state in XenStore\n");
});

test("S by name: the stubdom's own name or its guest's name reads the same stubdom", async () => {
  await writeHealth(d.xs, 2, runningHealth(75_000));
  for (const name of ["demo-dm", "demo"]) {
    const r = await runCli(["status", name, "--json"], d.env);
    assert.is(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout);
    assert.equal([v.domid, v.name, v.state], [2, "demo-dm", "running"], name);
  }
});

test("a domain id out of range or a malformed name: exit 2; a name nobody has: exit 4", async () => {
  for (const bad of ["0", "40000"]) {
    const r = await runCli(["status", "--", bad], d.env);
    assert.is(r.code, 2, bad);
    assert.is(r.stderr, `stubdomctl status: stubdom ${JSON.stringify(bad)} is not a domain id (a whole number from 1 to 32751)\n`);
  }
  for (const bad of ["-1", "a b", "x/y"]) {
    const r = await runCli(["status", "--", bad], d.env);
    assert.is(r.code, 2, bad);
    assert.is(r.stderr, `stubdomctl status: stubdom ${JSON.stringify(bad)} is neither a domain id nor a domain name\n`);
  }
  const r = await runCli(["status", "two"], d.env);
  assert.is(r.code, 4);
  assert.is(r.stderr, 'stubdomctl status: no domain is named "two" (/local/domain/*/name)\n');
});

test("a daemon that is not running: exit 3, naming the path and where it came from", async () => {
  const none = join(d.dir, "gone.sock");
  writeFileSync(none, ""); // a stale file, not a socket
  const viaFlag = await runCli(["status", "2", "--socket", none], d.env);
  assert.is(viaFlag.code, 3);
  assert.is(viaFlag.stderr, `stubdomctl status: xenstored is not running at ${none} (ECONNREFUSED; the path is --socket)\n`);
  const viaRundir = await runCli(["status"], cleanEnv({ XENSTORED_RUNDIR: join(d.dir, "nowhere"), STUBDOM_RUN_DIR: join(d.dir, "run") }));
  assert.is(viaRundir.code, 3);
  assert.is(viaRundir.stderr, `stubdomctl status: xenstored is not running at ${join(d.dir, "nowhere", "socket")} (ENOENT; the path is XENSTORED_RUNDIR)\n`);
});

test("with no socket named, the live dev-mode run's daemon is found through its run.json", async () => {
  await writeHealth(d.xs, 2, runningHealth());
  const runDir = join(d.dir, "run");
  const env = cleanEnv({ STUBDOM_RUN_DIR: runDir });
  // This test process stands in for the run: its pid is alive.
  writeFileSync(join(runDir, "run.json"), JSON.stringify({ pid: process.pid, socket: d.socket, stubdom: 2, guest: 1, name: "demo-dm", consoles: {} }));
  const r = await runCli(["status", "2"], env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^demo-dm +2 +1 +running /m);
});

test("a stale run.json (its process gone) is ignored: the default socket is tried", async () => {
  const runDir = join(d.dir, "stale");
  mkdirSync(runDir);
  writeFileSync(join(runDir, "run.json"), JSON.stringify({ pid: 2 ** 22 + 1, socket: d.socket, stubdom: 2, guest: 1, name: "demo-dm", consoles: {} }));
  const r = await runCli(["status", "2"], cleanEnv({ STUBDOM_RUN_DIR: runDir }));
  assert.is(r.code, 3);
  assert.match(r.stderr, /^stubdomctl status: xenstored is not running at \/var\/run\/xenstored\/socket \(ENOENT; the path is the default\)\n$/);
});

test.run();
