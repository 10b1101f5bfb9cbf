// engine tier: PID 1's orderly stop. SIGTERM, SIGPWR or dom0's control/shutdown stop QEMU in
// order (QMP quit, then SIGTERM, then SIGKILL, each on a virtual-time bound), sync, and power off
// through sys.reboot("poweroff").
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SIGNAL_NUMBERS } from "../support/engineShims.ts";
import { EngineStubdom, RESTARTING, type StubdomOptions } from "../support/engineStubdom.ts";
import type { QemuRun } from "../support/enginePrograms.ts";

const BOUND = { virtualMs: 10_000 };
let s: EngineStubdom | undefined;

test.after.each(() => {
  s?.dispose();
  s = undefined;
});

/** Boots to running with QEMU's QMP negotiated. */
async function running(o: StubdomOptions = {}): Promise<{ x: EngineStubdom; run: QemuRun }> {
  const x = (s = await EngineStubdom.boot(o));
  await x.waitHealth("state", (v) => v === "running", BOUND);
  const run = x.qemu.runs[0];
  await x.vm.runUntil("QMP capabilities", () => run.commands.includes("qmp_capabilities"), BOUND);
  return { x, run };
}

const poweredOff = (x: EngineStubdom): Promise<void> => x.vm.runUntil("power-off", () => x.world.poweredOff !== undefined, BOUND);

/** The tail of the effect log from QEMU's end: its exit, then sync, then reboot(poweroff), nothing after. */
function assertStoppedThenPoweredOff(x: EngineStubdom, pid: number, exit: string): void {
  const order = x.world.effects.map((e) => e.what);
  const exited = order.indexOf(`exit ${pid} ${exit}`);
  assert.ok(exited >= 0, `QEMU ended with ${exit}:\n${order.join("\n")}`);
  assert.equal(order.slice(exited + 1).filter((w) => !w.startsWith("kill ")), ["sync", "reboot poweroff"]);
  assert.is(x.world.poweredOff, "poweroff");
  assert.equal(x.vm.uncaught, []);
  assert.equal(x.world.problems, []);
}

test("SIGTERM: QMP quit, QEMU exits, sync, poweroff", async () => {
  const { x, run } = await running();
  const t0 = x.world.clock;
  x.world.raise(SIGNAL_NUMBERS.SIGTERM);
  await x.waitHealth("state", (v) => v === "stopping", BOUND);
  await poweredOff(x);
  assert.ok(run.commands.includes("quit"), "quit was sent on the QMP socket");
  assert.equal(run.proc.signals, [], "no signal was needed");
  assertStoppedThenPoweredOff(x, run.proc.pid, "code:0");
  assert.is(x.world.clock, t0, "no timeout was waited for");
  assert.is(await x.health("qemu/state"), "down");
  assert.is(await x.health("qemu/last-exit"), "code:0");
  assert.is(await x.health("state"), "stopping");
  assert.match(x.log, /info: shutdown: SIGTERM\n/);
  assert.match(x.log, /info: shutdown: services stopped; syncing and powering off\n/);
});

test("a QEMU that ignores quit gets SIGTERM after 2 s", async () => {
  const { x, run } = await running({ qemu: { onQuit: "ignore" } });
  const t0 = x.world.clock;
  x.world.raise(SIGNAL_NUMBERS.SIGTERM);
  await poweredOff(x);
  assert.ok(run.commands.includes("quit"));
  assert.equal(run.proc.signals, [{ signal: SIGNAL_NUMBERS.SIGTERM, at: t0 + 2000 }]);
  assertStoppedThenPoweredOff(x, run.proc.pid, "signal:SIGTERM");
});

test("a QEMU that ignores quit and SIGTERM gets SIGKILL 3 s later", async () => {
  const { x, run } = await running({ qemu: { onQuit: "ignore", onSigterm: "ignore" } });
  const t0 = x.world.clock;
  x.world.raise(SIGNAL_NUMBERS.SIGTERM);
  await poweredOff(x);
  assert.equal(run.proc.signals, [
    { signal: SIGNAL_NUMBERS.SIGTERM, at: t0 + 2000 },
    { signal: SIGNAL_NUMBERS.SIGKILL, at: t0 + 5000 },
  ]);
  assertStoppedThenPoweredOff(x, run.proc.pid, "signal:SIGKILL");
  assert.is(await x.health("qemu/last-exit"), "signal:SIGKILL");
});

test("SIGPWR (30, a number the os module has no constant for) means the same", async () => {
  const { x, run } = await running();
  assert.ok(x.world.hasHandler(30), "PID 1 handles signal 30");
  x.world.raise(30);
  await poweredOff(x);
  assert.match(x.log, /info: shutdown: SIGPWR\n/);
  assertStoppedThenPoweredOff(x, run.proc.pid, "code:0");
});

test("dom0 writes control/shutdown = poweroff", async () => {
  const { x, run } = await running();
  await x.dom0.write(`/local/domain/${x.seed.stubdom}/control/shutdown`, "poweroff");
  await poweredOff(x);
  assert.match(x.log, /info: shutdown: control\/shutdown = poweroff\n/);
  assertStoppedThenPoweredOff(x, run.proc.pid, "code:0");
});

test("an unknown control/shutdown request is ignored with a warning; PID 1 stays up", async () => {
  const { x } = await running();
  await x.dom0.write(`/local/domain/${x.seed.stubdom}/control/shutdown`, "suspend-to-mars");
  await x.waitLog(/warn: control\/shutdown = "suspend-to-mars" is not a request this stubdom knows \(poweroff, halt, reboot\); ignoring it\n/, BOUND);
  const live = await x.livesOn(3000);
  assert.is(live.poweredOff, undefined);
  assert.is(await x.health("state"), "running");
});

test("SIGTERM while QEMU is in backoff: nothing to stop, straight to poweroff", async () => {
  const x = (s = await EngineStubdom.boot({ qemu: { start: { code: 1 } }, cmdline: RESTARTING }));
  await x.waitHealth("qemu/state", (v) => v === "backoff", BOUND);
  const runs = x.qemu.runs.length;
  x.world.raise(SIGNAL_NUMBERS.SIGTERM);
  await poweredOff(x);
  assert.is(x.qemu.runs.length, runs, "no restart after the stop");
  assert.equal(x.world.effects.slice(-2).map((e) => e.what), ["sync", "reboot poweroff"]);
});

test.run();
