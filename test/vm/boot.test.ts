// vm tier: the built kernel + dev rootfs boots under QEMU TCG; our xenstored serves it; the init
// reads libxl's keys, starts the device model, and reports `running`; the demo guest's line
// arrives on hvc3. Every wait is on an event (a watch, a console line) with a bound.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { outputs } from "../../host/image/build.ts";
import { DEMO, demoArgv } from "../../host/dev/demo.ts";
import { DevStubdom } from "../../host/dev/devStubdom.ts";
import { DEMO_GUEST_LINE } from "../../qemu/demoGuest.ts";
import { bounded } from "../../host/dev/lineStream.ts";
import { healthDir } from "../../init/healthPaths.ts";

const BOOT_BOUND_MS = 180_000;
const run = promisify(execFile);

let ds: DevStubdom | undefined;

test.after(async () => {
  await ds?.stop();
});

test("the stubdom boots, reports running, and the guest's serial line reaches hvc3", async () => {
  ds = await DevStubdom.start({ kernel: outputs.kernel, rootfs: outputs.devRootfs, seed: { ...DEMO, argv: demoArgv() } });
  try {
    await ds.waitRunning(BOOT_BOUND_MS);
    const line = await ds.vm.hvc[3].lines.waitFor(new RegExp(DEMO_GUEST_LINE), 60_000);
    assert.match(line, DEMO_GUEST_LINE);
  } catch (e) {
    console.log(`--- kernel console ---\n${ds.vm.console.lines.all}\n--- hvc0 ---\n${ds.vm.hvc[0].lines.all}\n--- qemu stderr ---\n${ds.vm.stderr.all}`);
    throw e;
  }
  const pid = await ds.xs.readString(ds.healthPath("qemu/pid"));
  assert.match(pid, /^[0-9]+$/);
  assert.ok(Number(pid) > 1, "QEMU is not PID 1");
});

test("Debian's xenstore-ls, through XENSTORED_PATH, shows the health keys the stubdom wrote", async () => {
  assert.ok(ds, "the boot test ran first");
  const { stdout } = await run("xenstore-ls", ["-p", healthDir(DEMO.stubdom)], { env: { ...process.env, XENSTORED_PATH: ds.socket } });
  assert.match(stdout, /state = "running"/);
  assert.match(stdout, /pid = "[0-9]+"/);
  // The stubdom created these nodes, so it owns them (an unprivileged creator owns what it creates).
  assert.match(stdout, new RegExp(`state = "running".*\\(n${DEMO.stubdom}\\)`));
});

test("the supervisor logs to hvc0, not only to the kernel console", async () => {
  assert.ok(ds);
  await ds.vm.hvc[0].lines.waitFor(/qemu: pid [0-9]+ answers QMP/, 30_000);
});

test("dev mode starts no QMP proxy (libxl's vchan exists only on Xen) and says so, instead of failing it", async () => {
  assert.ok(ds);
  await ds.vm.hvc[0].lines.waitFor(/qmp-proxy: not started: libxl's QMP path is a vchan over Xen/, 30_000);
  const { stdout } = await run("xenstore-ls", [healthDir(DEMO.stubdom)], { env: { ...process.env, XENSTORED_PATH: ds.socket } });
  assert.not.match(stdout, /qmp-proxy/);
  assert.match(stdout, /^error = ""$/m);
});

test("a debug shell enabled live by a dom0 config key answers on hvc0", async () => {
  assert.ok(ds);
  await ds.xs.write(`/local/domain/${DEMO.stubdom}/stubdom/config/debug-shell`, "1");
  await ds.vm.hvc[0].lines.waitFor(/debug shell enabled on hvc0/, 30_000);
  await ds.vm.hvc[0].lines.waitFor(/stubdom# /, 30_000);
  ds.vm.hvc[0].send("echo shell-says-$((6*7))\n");
  await ds.vm.hvc[0].lines.waitFor(/^shell-says-42/, 30_000);
});

test("control/shutdown = poweroff stops QEMU in order and powers the stubdom off", async () => {
  assert.ok(ds);
  await ds.xs.write(`/local/domain/${DEMO.stubdom}/control/shutdown`, "poweroff");
  await ds.vm.hvc[0].lines.waitFor(/shutdown: control\/shutdown = poweroff/, 30_000);
  const exit = await bounded(ds.vm.exited, 60_000, "the stubdom VM did not power off");
  assert.is(exit.code, 0, "QEMU exits 0 when its guest powers off");
  assert.match(ds.vm.console.lines.all, /reboot: Power down/);
});

test.run();
