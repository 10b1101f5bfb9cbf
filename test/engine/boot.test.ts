// engine tier: the real init bundle (bundleInit, fresh) inside quickjs-emscripten against a
// scripted world and an in-process xenstored. The whole boot: mounts, modules, config from
// XenStore, network, QEMU with its fds and QMP, health; then PID 1 living on.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SANDBOX } from "../../qemu/dmArgv.ts";
import { ListenerEndpoint, NullEndpoint, PipeEnd } from "../support/engineFds.ts";
import { DEFAULT_ARGV, EngineStubdom, RESTARTING, MODULES, QEMU_BINARY, type StubdomOptions } from "../support/engineStubdom.ts";

const BOUND = { virtualMs: 10_000 };
let s: EngineStubdom | undefined;

async function boot(o: StubdomOptions = {}): Promise<EngineStubdom> {
  s = await EngineStubdom.boot(o);
  return s;
}

test.after.each(() => {
  if (s && (s.vm.uncaught.length || s.world.problems.length)) console.log(s.log);
  s?.dispose();
  s = undefined;
});

/** No exception escaped a handler, and the world saw no misuse (fds left with handlers, blocking waits). */
function clean(x: EngineStubdom): void {
  assert.equal(x.vm.uncaught, [], "no uncaught exception in the guest");
  assert.equal(x.world.problems, [], "no misuse of the world");
}

test("the whole boot ends with state=running, qemu/pid set, and PID 1 living on", async () => {
  const x = await boot();
  assert.is(await x.waitHealth("state", (v) => v === "running", BOUND), "running");
  const [run] = x.qemu.runs;
  assert.ok(run, "QEMU was started");
  assert.is(await x.health("qemu/pid"), String(run.proc.pid));
  assert.is(await x.health("qemu/state"), "up");
  assert.is(await x.health("qemu/restarts"), "0");
  assert.is(await x.health("error"), "");
  assert.is(await x.health("mem-free-kb"), "96000");
  assert.is(await x.health("mem-available-kb"), "98304");
  // The last boot step's time is published just after QEMU's own state change.
  await x.waitHealth("boot-ms/qemu-spawn", (v) => v !== undefined, BOUND);
  for (const step of ["mounts", "modules", "config", "network"]) assert.ok((await x.health(`boot-ms/${step}`)) !== undefined, `boot-ms/${step}`);

  // The order of PID 1's duties: filesystems, modules, hostname, the kernel log cleared, then QEMU.
  assert.equal(x.world.effectsMatching(/^mount /), [
    "mount proc /proc proc",
    "mount sysfs /sys sysfs",
    "mount devtmpfs /dev devtmpfs",
    "mount devpts /dev/pts devpts",
    "mount tmpfs /tmp tmpfs",
    "mount tmpfs /run tmpfs",
  ]);
  assert.equal(x.world.effectsMatching(/^module /), [`module ${MODULES[0]}`, `module ${MODULES[1]} unrestricted=1`]);
  assert.is(x.world.hostname, "stubdom-5");
  assert.is(x.world.fs.text("/proc/sys/vm/overcommit_memory"), "1");
  const order = x.world.effects.map((e) => e.what);
  const klogClear = order.indexOf("klogClear");
  const qemuSpawn = order.findIndex((w) => w.includes(QEMU_BINARY));
  assert.ok(klogClear >= 0 && qemuSpawn > klogClear, `the kernel log was cleared before QEMU started:\n${order.join("\n")}`);

  // QEMU's argv: libxl's dm-argv in order, then the save console as fdset 1, our QMP monitor, the sandbox.
  assert.equal(run.proc.argv, [
    QEMU_BINARY,
    ...DEFAULT_ARGV,
    "-add-fd", "fd=4,set=1",
    "-chardev", "socket,id=stubdom-init-qmp,fd=3,server=on,wait=off", "-mon", "chardev=stubdom-init-qmp,mode=control",
    "-sandbox", SANDBOX,
  ]);
  // ...and its fds: /dev/null, the pipe the init reads its output from, twice, the listening QMP
  // socket, the device-state file (fdset 1; the init keeps hvc1, opened raw, to copy it there).
  assert.instance(run.proc.endpoint(0), NullEndpoint);
  assert.instance(run.proc.endpoint(1), PipeEnd);
  assert.is(run.proc.endpoint(2), run.proc.endpoint(1));
  assert.instance(run.proc.endpoint(3), ListenerEndpoint);
  assert.is(run.proc.endpoint(4)?.label, "/run/stubdom/device-state");
  assert.ok(x.hvc.get(1)!.raw, "hvc1 is in raw mode");
  assert.is(run.proc.endpoint(5), undefined);

  // The supervisor's QMP monitor: capabilities at once, query-status every qmp-interval-s (5 s).
  await x.waitHealth("qemu/status", (v) => v === "running", BOUND);
  assert.equal(run.commands.slice(0, 2), ["qmp_capabilities", "query-status"]);
  assert.match(x.log, /info: stubdom-init: starting\n/);
  assert.match(x.log, /info: stubdom 5 serves guest 4 \(\/vm\/[0-9a-f-]+\), 15 QEMU arguments\n/);
  assert.match(x.log, new RegExp(`info: qemu: started pid ${run.proc.pid}\\n`));

  const live = await x.livesOn(5000);
  assert.is(live.poweredOff, undefined);
  assert.ok(live.timers > 0, "the loop still has timers");
  assert.ok(live.sweeps >= 5, `the reaper swept ${live.sweeps} times in 5 s`);
  assert.is(await x.health("state"), "running");
  clean(x);
});

test("a QEMU without seccomp (image.json sandbox: false) starts without -sandbox, and the log says so", async () => {
  const x = await boot({ prepare: (w) => w.fs.file("/etc/stubdom/image.json", JSON.stringify({ flavour: "xen", qemu: QEMU_BINARY, sandbox: false })) });
  assert.is(await x.waitHealth("state", (v) => v === "running", BOUND), "running");
  const [run] = x.qemu.runs;
  assert.ok(run);
  assert.not.ok(run.proc.argv.includes("-sandbox"), run.proc.argv.join(" "));
  assert.ok(x.log.includes(`${QEMU_BINARY} has no seccomp (image.json "sandbox": false): starting it without -sandbox`), x.log);
  clean(x);
});

test("every PV NIC gets a bridge with its QEMU tap; the tap joins after QMP answers", async () => {
  const nics = [
    { devid: 0, mac: "00:16:3e:00:00:10", iface: "eth0" },
    { devid: 1, mac: "00:16:3e:00:00:11", iface: "eth1" },
  ];
  const argv = [...DEFAULT_ARGV, ...nics.flatMap((n) => ["-device", `e1000,netdev=net${n.devid},mac=${n.mac}`, "-netdev", `type=tap,id=net${n.devid},ifname=vif4.${n.devid}-emu,script=no,downscript=no`])];
  const x = await boot({ argv, nics });
  await x.waitLog(/network: vif4\.1-emu attached to br1\n/, BOUND);
  await x.waitLog(/network: vif4\.0-emu attached to br0\n/, BOUND);
  const net = x.world.effectsMatching(/^(link|bridge)/);
  const bridge = (pv: string, br: string, devid: number) => [
    `linkUp ${pv} false`,
    `linkSetMac ${pv} fe:ff:00:0${devid}:00:fe`,
    `linkClearIpv4 ${pv}`,
    `bridgeCreate ${br}`,
    `bridgeAddPort ${br} ${pv}`,
    `linkUp ${pv} true`,
    `linkUp ${br} true`,
  ];
  assert.equal(net.slice(0, 14), [...bridge("eth0", "br0", 0), ...bridge("eth1", "br1", 1)]);
  assert.equal(net.slice(14).sort(), [
    "bridgeAddPort br0 vif4.0-emu",
    "bridgeAddPort br1 vif4.1-emu",
    "linkSetMac vif4.0-emu fe:ff:00:00:00:fd",
    "linkSetMac vif4.1-emu fe:ff:00:01:00:fd",
    "linkUp vif4.0-emu true",
    "linkUp vif4.1-emu true",
  ]);
  for (const br of ["br0", "br1"]) {
    assert.is(x.world.fs.text(`/sys/class/net/${br}/bridge/stp_state`), "0", `${br}: STP off`);
    assert.is(x.world.fs.text(`/sys/class/net/${br}/bridge/forward_delay`), "0");
  }
  const order = x.world.effects.map((e) => e.what);
  const lastBridgeStep = order.indexOf("linkUp br1 true");
  const qemuSpawn = order.findIndex((w) => w.includes(QEMU_BINARY));
  const firstTapStep = order.findIndex((w) => w.includes("vif4.0-emu"));
  assert.ok(lastBridgeStep < qemuSpawn && qemuSpawn < firstTapStep, "bridges before QEMU, taps after it");
  assert.ok(x.qemu.runs[0].commands.includes("qmp_capabilities"), "the taps join once QMP answered");
  assert.is(await x.health("state"), "running");
  clean(x);
});

test("a 1500-argument dm-argv reaches QEMU whole and in numeric order", async () => {
  const argv = Array.from({ length: 1500 }, (_, i) => `-arg${i + 1}=${"x".repeat(i % 7)}`);
  const x = await boot({ argv });
  await x.waitHealth("state", (v) => v === "running", BOUND);
  const got = x.qemu.runs[0].proc.argv;
  assert.is(got[0], QEMU_BINARY);
  assert.equal(got.slice(1, 1501), argv, "all 1500, key 1000 after 999, not after 100");
  assert.is(got[1501], "-add-fd");
  assert.match(x.log, /, 1500 QEMU arguments\n/);
  clean(x);
});

test("restore: the placeholder becomes hvc2's fd; a crash after the restore restarts QEMU without -incoming", async () => {
  const x = await boot({ argv: [...DEFAULT_ARGV, "-incoming", "$STUBDOM_RESTORE_INCOMING_ARG"], consoles: [1, 2, 3], cmdline: RESTARTING });
  await x.waitHealth("state", (v) => v === "running", BOUND);
  await x.waitLog(/info: restore: QEMU restored the device state from hvc2; the guest runs on\n/, BOUND);
  const first = x.qemu.runs[0];
  const at = first.proc.argv.indexOf("-incoming");
  assert.is(first.proc.argv[at + 1], "fd:5");
  assert.is(first.proc.endpoint(5), x.hvc.get(2), "fd 5 is hvc2");
  assert.ok(x.hvc.get(2)!.raw, "hvc2 is in raw mode");
  x.world.exitProcess(first.proc, { signal: 9 });
  await x.waitHealth("qemu/restarts", (v) => v === "1", BOUND);
  await x.waitHealth("qemu/state", (v) => v === "up", BOUND);
  assert.is(await x.health("state"), "degraded");
  assert.is(await x.health("error"), "QEMU was restarted (restart 1, after it exited with signal:SIGKILL): the guest's emulated devices started again from reset");
  const second = x.qemu.runs[1];
  assert.is(await x.health("qemu/last-exit"), "signal:SIGKILL");
  assert.is(await x.health("qemu/pid"), String(second.proc.pid));
  assert.is(second.proc.startedAt - x.world.effects.find((e) => e.what.startsWith(`exit ${first.proc.pid} `))!.at, 100, "after the first backoff step");
  assert.not.ok(second.proc.argv.includes("-incoming"), "the restore stream is read once");
  assert.is(second.proc.endpoint(5), undefined);
  clean(x);
});

test("no hvc0: the log, and QEMU's output through it, go to the kernel console (fd 1); the boot still completes", async () => {
  const x = await boot({ hvc0: false });
  await x.waitHealth("state", (v) => v === "running", BOUND);
  assert.is(x.hvc.get(0), undefined);
  const run = x.qemu.runs[0];
  run.proc.endpoint(2)!.write(new TextEncoder().encode("qemu-system-x86_64: a warning\n"));
  await x.vm.runUntil("QEMU's line in the log", () => /warn: qemu: qemu-system-x86_64: a warning\n/.test(x.world.console.output), BOUND);
  assert.match(x.world.console.output, new RegExp(`info: qemu: started pid ${run.proc.pid}\\n`));
  clean(x);
});

test("dev mode: XenStore through the virtio port named org.xen.xenstore", async () => {
  const x = await boot({ channel: "virtio" });
  await x.waitHealth("state", (v) => v === "running", BOUND);
  assert.match(x.log, /info: xenstore: \/dev\/vport1p1\n/);
  clean(x);
});

test("a QEMU that stops answering query-status makes the state degraded", async () => {
  const x = await boot({ qemu: { status: "silent" } });
  await x.waitHealth("state", (v) => v === "running", BOUND);
  const t0 = x.world.clock;
  await x.waitHealth("state", (v) => v === "degraded", { virtualMs: 11_000 });
  // The check runs every 5 s and waits one more interval for its answer.
  assert.is(x.world.clock - t0, 10_000);
  assert.is(await x.health("qemu/status"), "no answer");
  assert.ok(x.qemu.runs[0].commands.includes("query-status"));
  clean(x);
});

test("stubdom.xenstore= on the kernel command line names the channel", async () => {
  const x = await boot({ channel: "none", cmdline: "console=hvc0 stubdom.xenstore=/dev/xenstore-alt", prepare: (w) => w.fs.device("/dev/xenstore-alt", "xenbus") });
  await x.waitHealth("state", (v) => v === "running", BOUND);
  assert.match(x.log, /info: xenstore: \/dev\/xenstore-alt\n/);
  clean(x);
});

test("orphans are reaped, and an exit nobody announced is still collected by the periodic sweep", async () => {
  const x = await boot({ cmdline: "console=hvc0 stubdom.log-level=debug" });
  await x.waitHealth("state", (v) => v === "running", BOUND);
  const announced = x.world.adopt(["orphan-a"]);
  x.world.exitProcess(announced, { code: 3 });
  await x.waitLog(new RegExp(`reaped orphan ${announced.pid} \\(code:3\\)`), { virtualMs: 0 });
  // A SIGCHLD that never arrives (the race quickjs-libc has before it blocks): the 1 s sweep takes it.
  const silent = x.world.adopt(["orphan-b"]);
  const t0 = x.world.clock;
  x.world.exitProcess(silent, { signal: 9 }, { announce: false });
  await x.waitLog(new RegExp(`reaped orphan ${silent.pid} \\(signal:SIGKILL\\)`), { virtualMs: 1000 });
  assert.ok(x.world.clock - t0 <= 1000, `collected after ${x.world.clock - t0} virtual ms`);
  assert.is(x.world.procs.unreaped, 0, "no zombie left");
  clean(x);
});

test.run();
