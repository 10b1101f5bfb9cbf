// cli tier: `stubdomctl run`'s refusals, which happen before anything starts (the boot itself,
// and Ctrl-C, are in test/vm/run.test.ts). Each is one sentence and an exit code, and leaves no
// process and no state behind.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, runCli } from "./cliProcess.ts";

let dir: string;
let env: NodeJS.ProcessEnv;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "stubdomctl-run-"));
  env = cleanEnv({ STUBDOM_RUN_DIR: join(dir, "run") });
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("--memory that is not a whole number of MiB from 32: exit 2", async () => {
  for (const bad of ["lots", "16", "1.5", "99999999"]) {
    const r = await runCli(["run", "--memory", bad], env);
    assert.is(r.code, 2, bad);
    assert.is(r.stderr, `stubdomctl run: --memory ${JSON.stringify(bad)} is not a whole number of MiB from 32 to 65536\n`);
    assert.not.ok(existsSync(join(dir, "run")), "nothing started");
  }
});

test("--guest that cannot be read, or is empty: exit 2, naming it", async () => {
  const missing = join(dir, "missing.img");
  const r = await runCli(["run", "--guest", missing], env);
  assert.is(r.code, 2);
  assert.is(r.stderr, `stubdomctl run: --guest ${missing} cannot be read (ENOENT)\n`);
  const empty = join(dir, "empty.img");
  writeFileSync(empty, "");
  const e = await runCli(["run", "--guest", empty], env);
  assert.is(e.code, 2);
  assert.is(e.stderr, `stubdomctl run: --guest ${empty} is empty\n`);
  assert.equal(readdirSync(join(dir, "run")), [], "no state left behind");
});

test("--guest too big for the stubdom's RAM: exit 2, with the --memory that would do", async () => {
  const big = join(dir, "big.img");
  writeFileSync(big, Buffer.alloc(9 * 1048576));
  const r = await runCli(["run", "--guest", big, "--memory", "32"], env);
  assert.is(r.code, 2);
  assert.is(r.stderr, `stubdomctl run: --guest ${big} is 9.0 MiB; the dev stubdom holds it in RAM, so give --memory at least 36\n`);
});

test("another live run owning the state dir: exit 1, naming its pid and the dir", async () => {
  const runDir = join(dir, "run");
  mkdirSync(runDir);
  // This test process stands in for the other run: its pid is alive.
  writeFileSync(join(runDir, "run.json"), JSON.stringify({ pid: process.pid, socket: join(runDir, "xenstored.sock"), stubdom: 2, guest: 1, name: "demo-dm", consoles: {} }));
  const r = await runCli(["run"], env);
  assert.is(r.code, 1);
  assert.is(r.stderr, `stubdomctl run: another run (pid ${process.pid}) owns ${runDir}: stop it, or set STUBDOM_RUN_DIR to another directory\n`);
});

test.run();
