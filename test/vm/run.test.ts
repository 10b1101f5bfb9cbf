// vm tier: `stubdomctl run` as a user runs it, a child process: it boots the stubdom with a guest
// image of our own, `status` and `console` find it through its run.json, and SIGINT (Ctrl-C)
// stops it, leaving no QEMU, no socket and no state behind. Every wait is on a line, bounded.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoGuestImage } from "../../qemu/demoGuest.ts";
import { cleanEnv, runCli, startCli, type Child, type Result } from "../cli/cliProcess.ts";

const BOOT_BOUND_MS = 180_000;
const STOP_BOUND_MS = 30_000;

let dir: string;
let runs: Child[] = [];

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "stubdomctl-vm-"));
  runs = [];
});
test.after.each(() => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Every process whose command line names `text`, as pid → command line. */
function processesNaming(text: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const pid of readdirSync("/proc").filter((n) => /^[0-9]+$/.test(n))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ");
      if (cmdline.includes(text)) found.set(Number(pid), cmdline);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Whether `pid` is still the stubdom VM's QEMU (not exited, not a reused pid). The run starts it
 * through setpriv, which execs QEMU in the same process: right after the "started" line the pid
 * may still be setpriv about to exec it.
 */
function qemuAlive(pid: number): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0");
  } catch {
    return false;
  }
  const isQemu = (arg: string | undefined): boolean => arg === "qemu-system-x86_64" || (arg ?? "").endsWith("/qemu-system-x86_64");
  return isQemu(argv[0]) || ((argv[0] ?? "").endsWith("setpriv") && isQemu(argv[argv.indexOf("--") + 1]));
}

function stopWithin(run: Child, ms: number): Promise<Result> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stubdomctl run did not exit within ${ms} ms of SIGINT`)), ms);
  });
  return Promise.race([run.exited, late]).finally(() => clearTimeout(timer));
}

function assertNothingLeft(runDir: string, qemuPid: number): void {
  assert.not.ok(qemuAlive(qemuPid), `the stubdom VM's QEMU (pid ${qemuPid}) is gone`);
  assert.equal([...processesNaming(runDir).values()], [], "no process names the run's state dir");
  assert.equal(existsSync(runDir) ? readdirSync(runDir) : [], [], "no socket, no run.json");
}

test("run --guest IMAGE boots; status and console find it; Ctrl-C (SIGINT to its group) leaves no process behind", async () => {
  const runDir = join(dir, "run");
  const env = cleanEnv({ STUBDOM_RUN_DIR: runDir });
  const line = `stubdomctl run test guest ${process.pid}`;
  const image = join(dir, "guest.img");
  writeFileSync(image, demoGuestImage(line));
  const run = startCli(["run", "--guest", image], env, BOOT_BOUND_MS + STOP_BOUND_MS, true);
  runs.push(run);
  const started = await run.stdout.waitFor(/^run: stubdom VM started: QEMU pid [0-9]+/, 60_000);
  const qemuPid = Number(/QEMU pid ([0-9]+)/.exec(started)![1]);
  assert.ok(qemuAlive(qemuPid), `QEMU pid ${qemuPid} runs`);
  try {
    await run.stdout.waitFor(/^run: stubdom 2 is running after [0-9.]+ s/, BOOT_BOUND_MS);
  } catch (e) {
    console.log(`--- run stdout ---\n${run.stdout.all}\n--- run stderr ---\n${run.stderr.all}`);
    throw e;
  }
  assert.match(run.stdout.all, new RegExp(`^run: seeded guest 1 \\(demo\\) and stubdom 2 \\(demo-dm\\): [0-9]+ QEMU arguments, guest image ${image} \\(raw\\)$`, "m"));

  // No socket named anywhere: status finds the run's daemon through run.json.
  const status = await runCli(["status", "2"], env);
  assert.is(status.code, 0, status.stderr);
  assert.match(status.stdout, /^demo-dm +2 +1 +running +up +[0-9]+ +0 /m);

  // The guest's serial: our image's line (not the demo's) is in what the console shows.
  const con = startCli(["console", "2", "3"], env);
  await con.stdout.waitFor(new RegExp(line), 60_000);
  con.child.stdin!.write("\x1d");
  const detached = await con.exited;
  assert.is(detached.code, 0, detached.stderr);

  // Ctrl-C at a terminal: SIGINT to the whole foreground process group.
  process.kill(-run.child.pid!, "SIGINT");
  const r = await stopWithin(run, STOP_BOUND_MS);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^run: SIGINT: stopping$/m);
  assert.match(r.stdout, new RegExp(`^run: stopped: QEMU pid ${qemuPid} has exited`, "m"));
  assertNothingLeft(runDir, qemuPid);
});

test("SIGINT while the stubdom is still booting also stops everything", async () => {
  const runDir = join(dir, "run");
  const run = startCli(["run"], cleanEnv({ STUBDOM_RUN_DIR: runDir }), BOOT_BOUND_MS);
  runs.push(run);
  const started = await run.stdout.waitFor(/^run: stubdom VM started: QEMU pid [0-9]+/, 60_000);
  const qemuPid = Number(/QEMU pid ([0-9]+)/.exec(started)![1]);
  run.child.kill("SIGINT");
  const r = await stopWithin(run, STOP_BOUND_MS);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stdout, /is running after/);
  assertNothingLeft(runDir, qemuPid);
});

/** Bounded: a process that is not our child gives no exit event, so /proc is checked until it is gone. */
async function qemuGoneWithin(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (qemuAlive(pid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

test("SIGKILL of run, where no handler runs, still takes the stubdom VM's QEMU down (parent-death signal)", async () => {
  const runDir = join(dir, "run");
  const run = startCli(["run"], cleanEnv({ STUBDOM_RUN_DIR: runDir }), BOOT_BOUND_MS);
  runs.push(run);
  const started = await run.stdout.waitFor(/^run: stubdom VM started: QEMU pid [0-9]+/, 60_000);
  const qemuPid = Number(/QEMU pid ([0-9]+)/.exec(started)![1]);
  run.child.kill("SIGKILL");
  assert.is((await stopWithin(run, STOP_BOUND_MS)).signal, "SIGKILL");
  assert.ok(await qemuGoneWithin(qemuPid, 10_000), `QEMU pid ${qemuPid} outlived its run by 10 s`);
});

test.run();
