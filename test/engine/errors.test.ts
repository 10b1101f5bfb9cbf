// engine tier: every way the boot can fail ends with a sentence (health `error`, or the log when
// XenStore itself is missing) and a PID 1 that lives on: it never powers off, its loop keeps its
// periodic timer, and its reaper keeps sweeping.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { XenStoreClient } from "../../runtime/xenstore/client.ts";
import type { SeedSpec } from "../../host/dev/seed.ts";
import { DEFAULT_ARGV, EngineStubdom, RESTARTING, QEMU_BINARY, type StubdomOptions } from "../support/engineStubdom.ts";

const BOUND = { virtualMs: 10_000 };
let s: EngineStubdom | undefined;

test.after.each(() => {
  s?.dispose();
  s = undefined;
});

const vmPath = (seed: SeedSpec): string => `/vm/${seed.uuid}`;
const argvDir = (seed: SeedSpec): string => `${vmPath(seed)}/image/dm-argv`;

/** Boots, waits for state=failed, and returns the error sentence after checking PID 1 lives on. */
async function failsWith(o: StubdomOptions, bound = BOUND): Promise<string> {
  const x = (s = await EngineStubdom.boot(o));
  await x.waitHealth("state", (v) => v === "failed", bound);
  const error = await x.health("error");
  assert.ok(error, "health error is a sentence");
  // A boot step's sentence is logged as it is; QEMU's own end is logged by its service as `qemu: ...`.
  const logged = error!.startsWith("QEMU ") ? `qemu: ${error!.slice(5)}` : error!;
  assert.ok(x.log.includes(`error: ${logged}\n`), `the sentence is on the log too:\n${x.log}`);
  await livesOn(x);
  assert.is(await x.health("state"), "failed", "and stays failed");
  return error!;
}

async function livesOn(x: EngineStubdom): Promise<void> {
  const live = await x.livesOn(5000);
  assert.is(live.poweredOff, undefined, "PID 1 did not power off");
  assert.ok(live.timers > 0, "its loop still has a timer");
  assert.ok(live.sweeps >= 5, `its reaper swept ${live.sweeps} times in 5 virtual s`);
  assert.equal(x.vm.uncaught, [], "no exception escaped");
  assert.equal(x.world.problems, []);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("no target key", async () => {
  const error = await failsWith({ afterSeed: (xs, seed) => xs.rm(`/local/domain/${seed.stubdom}/target`) });
  assert.is(error, "reading the guest configuration failed: /local/domain/5/target: cannot read (ENOENT)");
  assert.is(s!.qemu.runs.length, 0);
});

test("no dm-argv", async () => {
  const error = await failsWith({ afterSeed: (xs, seed) => xs.rm(argvDir(seed)) });
  assert.is(error, `reading the guest configuration failed: ${argvDir(s!.seed)}: cannot list (ENOENT)`);
});

test("an empty dm-argv", async () => {
  const error = await failsWith({ afterSeed: (xs, seed) => xs.rm(argvDir(seed)).then(() => xs.mkdir(argvDir(seed))) });
  assert.is(error, `reading the guest configuration failed: ${argvDir(s!.seed)}: dm-argv is empty`);
});

test("a gap in the numbering", async () => {
  const error = await failsWith({ afterSeed: (xs, seed) => xs.rm(`${argvDir(seed)}/002`) });
  assert.is(error, `reading the guest configuration failed: ${argvDir(s!.seed)}: dm-argv numbering has a gap: expected argument 2, found key 003`);
});

test("a non-UTF-8 argument", async () => {
  const poison = (xs: XenStoreClient, seed: SeedSpec) => xs.write(`${argvDir(seed)}/002`, Uint8Array.of(0x2d, 0x6e, 0xff, 0xfe));
  const error = await failsWith({ afterSeed: poison });
  assert.is(error, `reading the guest configuration failed: ${argvDir(s!.seed)}/002: cannot read (EILSEQ)`);
});

test("the restore console is missing while dm-argv asks to restore", async () => {
  const error = await failsWith({ argv: [...DEFAULT_ARGV, "-incoming", "$STUBDOM_RESTORE_INCOMING_ARG"], consoles: [1, 3] });
  assert.is(
    error,
    "QEMU could not start: dm-argv asks to restore from the saved state, but the restore console (device/console/2, hvc2) does not exist; restart is \"no\", so it is not restarted",
  );
  assert.is(s!.qemu.runs.length, 0, "nothing was spawned");
});

test("QEMU fails to spawn (ENOENT): five tries with backoff, then failed", async () => {
  const error = await failsWith({ qemuInstalled: false, cmdline: RESTARTING });
  assert.match(error, /^QEMU could not start: spawn\(\["\/usr\/bin\/qemu-system-i386",/);
  assert.match(error, new RegExp(`execve\\("${escape(QEMU_BINARY)}"\\): No such file or directory; 5 starts within 60 s, so it is not restarted again$`));
  assert.is(await s!.health("qemu/state"), "failed");
  assert.is(await s!.health("qemu/restarts"), "4");
});

test("QEMU that exits at once ends in failed after the burst limit, on the backoff schedule", async () => {
  const error = await failsWith({ qemu: { start: { code: 1 } }, cmdline: RESTARTING });
  assert.is(error, "QEMU exited with code:1; 5 starts within 60 s, so it is not restarted again");
  const x = s!;
  assert.is(await x.health("qemu/restarts"), "4");
  assert.is(await x.health("qemu/last-exit"), "code:1");
  assert.is(await x.health("qemu/pid"), "");
  const starts = x.qemu.runs.map((r) => r.proc.startedAt);
  assert.is(starts.length, 5);
  // 100 ms doubling: each start follows the previous one by 100, 200, 400, 800 virtual ms.
  assert.equal(starts.slice(1).map((t, i) => t - starts[i]), [100, 200, 400, 800]);
});

test("no XenStore channel at all: the sentence is on the log and PID 1 stays up", async () => {
  const x = (s = await EngineStubdom.boot({ channel: "none" }));
  await x.waitLog(/error: no XenStore channel: neither \/dev\/xen\/xenbus nor a virtio port named org\.xen\.xenstore exists; staying up for inspection\n/, BOUND);
  await livesOn(x);
  assert.is(await x.health("state"), undefined, "nothing could be written");
  assert.is(x.qemu.runs.length, 0);
});

test("a XenStore device that cannot be opened", async () => {
  const x = (s = await EngineStubdom.boot({ prepare: (world) => world.devices.delete("xenbus") }));
  await x.waitLog(/error: opening the XenStore channel \/dev\/xen\/xenbus failed: open \/dev\/xen\/xenbus: No such device or address; staying up for inspection\n/, BOUND);
  await livesOn(x);
});

test("a bad setting on the kernel command line is reported and the default kept", async () => {
  const x = (s = await EngineStubdom.boot({ cmdline: "console=hvc0 stubdom.restart=sometimes stubdom.colour=blue" }));
  await x.waitHealth("state", (v) => v === "running", BOUND);
  const problems = (await x.health("config-problems"))!.split("\n");
  assert.equal(problems, [
    'kernel command line: restart "sometimes" is not one of no, on-failure, always; keeping "no"',
    `kernel command line: unknown setting "colour" (known: ${problems[1].split("(known: ")[1]}`,
  ]);
  assert.match(problems[1], /known: restart, restart-burst, /);
});

test.run();
