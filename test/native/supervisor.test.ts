// native tier: the real stubjs runs the real init as PID 1 of its own PID namespace, against our
// xenstored, launching the image's real QEMU. Every wait is on a watch, a console line or a
// process exit, with a bound.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { outputs } from "../../host/image/build.ts";
import { DEMO_GUEST_LINE } from "../../qemu/demoGuest.ts";
import { bounded } from "../../host/dev/lineStream.ts";
import { healthDir } from "../../init/healthPaths.ts";
import { readTree } from "../../host/cli/healthView.ts";
import { contractProblems } from "../support/healthContract.ts";
import { NATIVE_QEMU as QEMU, nativeDemoArgv, NativeStubdom } from "../support/nativeStubdom.ts";

const run = promisify(execFile);
const BOUND = 60_000;

const demoArgv = nativeDemoArgv();
const seed = (argv: string[]) => ({ stubdom: 5, guest: 4, uuid: "native-1", name: "native", argv });

let s: NativeStubdom | undefined;
test.after.each(async () => {
  await s?.stop();
  s = undefined;
});

const dump = (x: NativeStubdom) => console.log(`--- init output ---\n${x.console.all}`);

test("PID 1 boots, starts QEMU, reports running; the guest's line arrives; kill -9 brings a restart, reported degraded", async () => {
  s = await NativeStubdom.start({ rootfs: outputs.devRootfs, seed: seed(demoArgv), cmdline: "stubdom.qmp-interval-s=1 stubdom.restart=on-failure" });
  try {
    await s.waitHealth("state", (v) => v === "running", BOUND);
    await s.serial.waitFor(new RegExp(DEMO_GUEST_LINE), BOUND);
    const pid1 = await s.health("qemu/pid");
    const [hostPid] = s.hostPids(QEMU);
    assert.ok(hostPid, "QEMU runs inside the stubdom's root");
    process.kill(hostPid, "SIGKILL");
    await s.waitHealth("qemu/restarts", (v) => v === "1", BOUND);
    assert.is(await s.health("qemu/last-exit"), "signal:SIGKILL");
    // Up again, but not the QEMU the guest booted with: degraded, not running.
    await s.waitHealth("error", (v) => v.startsWith("QEMU was restarted (restart 1, after it exited with signal:SIGKILL)"), BOUND);
    assert.is(await s.health("state"), "degraded");
    assert.is.not(await s.health("qemu/pid"), pid1);
    await s.waitHealth("qemu/status", (v) => v === "running", BOUND);
    // Memory figures from /proc: the namespace's /proc shows the host's meminfo and QEMU's own status.
    await s.waitHealth("qemu/rss-kb", (v) => Number(v) > 1024, BOUND);
    assert.ok(Number(await s.health("mem-available-kb")) > 0);
    // Everything the real init wrote is a key of the health contract, in the contract's form.
    assert.equal(contractProblems(await readTree(s.xs, healthDir(s.stubdom))), []);
  } catch (e) {
    dump(s);
    throw e;
  }
});

test("a QEMU that exits at once, under the default restart=no: failed at once, with what it said; PID 1 lives", async () => {
  s = await NativeStubdom.start({ rootfs: outputs.devRootfs, seed: seed(["-no-such-option"]) });
  try {
    await s.waitHealth("state", (v) => v === "failed", BOUND);
    // The sentence carries what QEMU said last, read from its output.
    assert.match(await s.health("error"), /^QEMU exited with code:1, saying "qemu-system-x86_64: -no-such-option: invalid option"; restart is "no", so it is not restarted$/);
    assert.is(await s.health("qemu/restarts"), "0");
    assert.is(s.child.exitCode, null, "PID 1 is still running");
  } catch (e) {
    dump(s);
    throw e;
  }
});

test("orphans reparented to PID 1 are reaped", async () => {
  s = await NativeStubdom.start({ rootfs: outputs.devRootfs, seed: seed(demoArgv), cmdline: "stubdom.log-level=debug" });
  await s.waitHealth("state", (v) => v === "running", BOUND);
  const init = s.initHostPid();
  // 50 grandchildren whose parent shell exits at once: they become PID 1's to reap.
  await run("nsenter", ["--target", String(init), "--pid", "--mount", "--root", "--wd=/", "/bin/sh", "-c", "for i in $(seq 50); do (/bin/sh -c 'exit 3' &); done"]);
  assert.is(await s.console.waitForCount(/reaped orphan [0-9]+ \(code:3\)/, 50, BOUND), 50);
});

test("SIGTERM stops QEMU in order and powers the namespace off", async () => {
  s = await NativeStubdom.start({ rootfs: outputs.devRootfs, seed: seed(demoArgv) });
  await s.waitHealth("state", (v) => v === "running", BOUND);
  process.kill(s.initHostPid(), "SIGTERM");
  const exit = await bounded(s.exited, BOUND, "PID 1 did not power off");
  assert.ok(exit.code !== null || exit.signal !== null);
  assert.match(s.console.all, /shutdown: SIGTERM/);
  assert.match(s.console.all, /shutdown: services stopped; syncing and powering off/);
  assert.is(s.hostPids(QEMU).length, 0);
});

test.run();
