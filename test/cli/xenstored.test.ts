// cli tier: `stubdomctl xenstored` as a spawned daemon: Debian's own clients and our CLI work
// against it, a signal stops it and removes its socket, a taken or impossible path is refused.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { cleanEnv, runCli, startCli } from "./cliProcess.ts";

const run = promisify(execFile);
const BOUND_MS = 15_000;
let dir: string;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "stubdomctl-xsd-"));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("serves: xenstore-write/-read through XENSTORED_PATH, then our seed and status; SIGINT stops it and removes the socket", async () => {
  const socket = join(dir, "xs.sock");
  const env = cleanEnv({ XENSTORED_PATH: socket, STUBDOM_RUN_DIR: join(dir, "run") });
  const daemon = startCli(["xenstored", "--socket", socket], env);
  await daemon.stdout.waitFor(new RegExp(`^xenstored: serving ${socket} \\(dom0\\)`), BOUND_MS);
  await run("xenstore-write", ["/local/domain/3/data/stubdom/state", "running"], { env });
  assert.is((await run("xenstore-read", ["/local/domain/3/data/stubdom/state"], { env })).stdout, "running\n");
  const seeded = await runCli(["seed", "--stubdom", "3", "--guest", "2", "--", "-m", "16"], env);
  assert.is(seeded.code, 0, seeded.stderr);
  const status = await runCli(["status", "3"], env);
  assert.is(status.code, 0, status.stderr);
  assert.match(status.stdout, /^guest-2-dm +3 +2 +running /m);
  daemon.child.kill("SIGINT");
  const r = await daemon.exited;
  assert.is(r.code, 0, r.stderr);
  assert.not.ok(existsSync(socket), "the socket is removed");
});

test("a path where a daemon already answers: exit 1, and the first daemon keeps serving", async () => {
  const socket = join(dir, "xs.sock");
  const env = cleanEnv({ XENSTORED_PATH: socket });
  const first = startCli(["xenstored", "--socket", socket], env);
  await first.stdout.waitFor(/serving/, BOUND_MS);
  const second = await runCli(["xenstored", "--socket", socket], env);
  assert.is(second.code, 1);
  assert.is(second.stderr, `stubdomctl xenstored: a daemon already answers at ${socket}\n`);
  await run("xenstore-write", ["/still", "here"], { env });
  first.child.kill("SIGTERM");
  assert.is((await first.exited).code, 0);
});

test("a path that cannot be listened on: exit 1, naming it", async () => {
  const socket = join(dir, "no-such-dir", "xs.sock");
  const r = await runCli(["xenstored", "--socket", socket], cleanEnv());
  assert.is(r.code, 1);
  assert.match(r.stderr, new RegExp(`^stubdomctl xenstored: cannot listen on ${socket} \\(E[A-Z]+\\)\\n$`));
});

test("no --socket: exit 2", async () => {
  const r = await runCli(["xenstored"], cleanEnv());
  assert.is(r.code, 2);
  assert.is(r.stderr, "stubdomctl xenstored: --socket PATH is required\n");
});

test.run();
