// native tier, hostile input: the real init as PID 1 against a dom0 (or a libxl, or a xenstored)
// that floods it, drops it, or hands it nonsense. PID 1 must stay responsive (it powers off on
// control/shutdown within a bound), keep good settings, and say why in health whenever the state is
// not `running`. Every wait is on a watch, a console line or a process exit, with a bound.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { outputs } from "../../host/image/build.ts";
import { bounded } from "../../host/dev/lineStream.ts";
import { configDir, type SeedSpec } from "../../host/dev/seed.ts";
import { NATIVE_QEMU as QEMU, nativeDemoArgv, NativeStubdom, type NativeOptions } from "../support/nativeStubdom.ts";

const run = promisify(execFile);
const BOUND = 60_000;

const demoArgv = nativeDemoArgv();
const seed = (argv: string[], more: Partial<SeedSpec> = {}): SeedSpec => ({ stubdom: 5, guest: 4, uuid: "hostile-1", name: "hostile", argv, ...more });

let s: NativeStubdom | undefined;
test.after.each(async () => {
  await s?.stop();
  s = undefined;
});

async function start(o: Omit<NativeOptions, "rootfs">): Promise<NativeStubdom> {
  s = await NativeStubdom.start({ rootfs: outputs.devRootfs, ...o });
  return s;
}

/** Runs `body` within a bound of its own; on failure prints the init's output first. */
async function explained(x: NativeStubdom, body: () => Promise<void>): Promise<void> {
  try {
    await bounded(body(), 3 * BOUND, "the test's steps");
  } catch (e) {
    console.log(`--- init output ---\n${x.console.all}`);
    throw e;
  }
}

/** dom0 asks for a power-off; PID 1 must stop QEMU and end its namespace within the bound. */
async function powersOffOnRequest(x: NativeStubdom): Promise<void> {
  await x.xs.write(`/local/domain/${x.stubdom}/control/shutdown`, "poweroff");
  await bounded(x.exited, BOUND, "PID 1 did not power off on control/shutdown");
  assert.match(x.console.all, /shutdown: control\/shutdown = poweroff/);
  assert.is(x.hostPids(QEMU).length, 0, "no QEMU is left");
}

test("2000 dm-argv keys: PID 1 reads them all, QEMU runs with them, control/shutdown powers it off", async () => {
  const filler = Array.from({ length: 1000 }, () => ["-msg", "timestamp=off"]).flat();
  const x = await start({ seed: seed([...demoArgv, ...filler]) });
  await explained(x, async () => {
    await x.waitHealth("state", (v) => v === "running", BOUND);
    assert.match(x.console.all, new RegExp(`${demoArgv.length + filler.length} QEMU arguments`));
    await powersOffOnRequest(x);
  });
});

test("500 quick dom0 writes to stubdom/config: PID 1 applies the last of each and still powers off on request", async () => {
  const x = await start({ seed: seed(demoArgv) });
  await explained(x, async () => {
    await x.waitHealth("state", (v) => v === "running", BOUND);
    const dir = configDir(x.stubdom);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) writes.push(x.xs.write(`${dir}/${["log-level", "restart", "backoff-initial-ms"][i % 3]}`, ["info", "always", String(i)][i % 3]));
    await Promise.all(writes);
    // The last write of all is a bad one: its sentence shows the flood was read to its end.
    await x.xs.write(`${dir}/qmp-interval-s`, "never");
    await x.waitHealth("config-problems", (v) => v.includes('qmp-interval-s "never" is not a whole number; keeping 5'), BOUND);
    await powersOffOnRequest(x);
  });
});

test("a refused live setting keeps its previous good value, not the default", async () => {
  const x = await start({ seed: seed(demoArgv) });
  await explained(x, async () => {
    await x.waitHealth("state", (v) => v === "running", BOUND);
    const dir = configDir(x.stubdom);
    for (const [k, v, shown] of [["restart", "always", '"always"'], ["backoff-initial-ms", "1500", "1500"], ["log-level", "warn", '"warn"']]) {
      await x.xs.write(`${dir}/${k}`, v);
      await x.console.waitFor(new RegExp(`settings: ${k} .* -> ${shown}`), BOUND);
    }
    for (const k of ["restart", "backoff-initial-ms", "log-level"]) await x.xs.write(`${dir}/${k}`, "garbage");
    const problems = await x.waitHealth("config-problems", (v) => v.split("\n").length === 3, BOUND);
    assert.match(problems, /restart "garbage" is not one of no, on-failure, always; keeping "always"/);
    assert.match(problems, /backoff-initial-ms "garbage" is not a whole number; keeping 1500/);
    assert.match(problems, /log-level "garbage" is not one of debug, info, warn, error; keeping "warn"/);
  });
});

test("xenstored hangs up: one line, a reconnect, and health is written again", async () => {
  const x = await start({ seed: seed(demoArgv), cmdline: "stubdom.qmp-interval-s=1" });
  await explained(x, async () => {
    await x.waitHealth("state", (v) => v === "running", BOUND);
    // dom0 removes a health key the init believes written: only a full rewrite brings it back.
    await x.xs.rm(x.healthPath("state"));
    const lost = x.console.waitFor(/xenstore: lost /, BOUND);
    assert.is(x.xenstored.hangUp(x.stubdom), 1);
    await lost;
    await x.console.waitFor(/xenstore: .* is back after 1 attempt/, BOUND);
    await x.waitHealth("state", (v) => v === "running", BOUND);
    await powersOffOnRequest(x);
  });
});

test("xenstored stays away: the outage is a few lines, not a flood, and the init comes back after it", async () => {
  const x = await start({ seed: seed(demoArgv), cmdline: "stubdom.qmp-interval-s=1" });
  await explained(x, async () => {
    await x.waitHealth("state", (v) => v === "running", BOUND);
    const before = x.console.all.length;
    x.xenstored.unlisten(x.domainSocket);
    x.xenstored.hangUp(x.stubdom);
    await x.console.waitFor(/xenstore: .* still cannot be opened after 4 attempts/, BOUND);
    const outage = x.console.all.slice(before).trim().split("\n");
    assert.ok(outage.length <= 3, `the outage so far is ${outage.length} lines:\n${outage.join("\n")}`);
    assert.not.match(outage.join("\n"), /EPIPE/);
    await x.xs.rm(x.healthPath("state"));
    await x.xenstored.listen(x.domainSocket, x.stubdom);
    await x.console.waitFor(/xenstore: .* is back after [0-9]+ attempt/, BOUND);
    await x.waitHealth("state", (v) => v === "running", BOUND);
    await powersOffOnRequest(x);
  });
});

test("settings too big for a health key: config-problems is cut to fit, with the cut marked, never empty", async () => {
  const config: Record<string, string> = { "restart-burst": "9".repeat(4000) };
  for (let i = 0; i < 12; i++) config[`no-such-setting-${i}`] = "1";
  const x = await start({ seed: seed(demoArgv, { config }) });
  await explained(x, async () => {
    const problems = await x.waitHealth("config-problems", (v) => v !== "", BOUND);
    assert.ok(Buffer.byteLength(problems) < 2048, `${Buffer.byteLength(problems)} bytes`);
    assert.match(problems, /restart-burst "9999.*… \(4000 characters\) is above the maximum 100; keeping 5/);
    assert.match(problems, /…\(\+[0-9]+ more\)$/);
  });
});

test("a failure sentence too long for a health key is cut to fit, never empty", async () => {
  const ifname = `x${"y".repeat(3500)}`;
  const x = await start({ seed: seed([...demoArgv, "-netdev", `tap,id=n0,ifname=${ifname},script=no`]) });
  await explained(x, async () => {
    await x.waitHealth("state", (v) => v === "failed", BOUND);
    const error = await x.health("error");
    assert.match(error, /^setting up the network redirect failed: tap xyyy/);
    assert.match(error, /…\(\+[0-9]+ more bytes\)$/);
    assert.ok(Buffer.byteLength(error) < 2048);
  });
});

test("a QEMU that stops answering QMP (SIGSTOP) is degraded with a sentence; SIGCONT brings running back", async () => {
  const x = await start({ seed: seed(demoArgv), cmdline: "stubdom.qmp-interval-s=1" });
  await explained(x, async () => {
    await x.waitHealth("qemu/status", (v) => v === "running", BOUND);
    const [pid] = x.hostPids(QEMU);
    process.kill(pid, "SIGSTOP");
    await x.waitHealth("state", (v) => v === "degraded", BOUND);
    assert.match(await x.health("error"), /^QEMU pid [0-9]+ has not answered QMP query-status for over 1 s$/);
    process.kill(pid, "SIGCONT");
    await x.waitHealth("state", (v) => v === "running", BOUND);
    assert.is(await x.health("error"), "");
  });
});

test("a vif MAC of 00:00:00:00:00:00 never selects lo; the sentence names the key and the MAC", async () => {
  const argv = [...demoArgv, "-netdev", "tap,id=net0,ifname=vif4.0-emu,script=no,downscript=no", "-device", "e1000,netdev=net0,romfile="];
  const x = await start({ seed: seed(argv, { vifs: [{ devid: 0, mac: "00:00:00:00:00:00" }] }) });
  await explained(x, async () => {
    await x.waitHealth("state", (v) => v === "failed", BOUND);
    assert.match(await x.health("error"), /device\/vif\/0\/mac = "00:00:00:00:00:00" is all zeros/);
    const { stdout } = await run("nsenter", ["--target", String(x.initHostPid()), "--net", "ip", "-o", "link", "show", "lo"]);
    assert.match(stdout, /link\/loopback 00:00:00:00:00:00 /, "lo keeps its address");
  });
});

test("an empty /local/domain/<guest>/vm: failed, and the sentence names that key", async () => {
  const x = await start({ seed: seed(demoArgv), afterSeed: (dom0) => dom0.write("/local/domain/4/vm", "") });
  await explained(x, async () => {
    await x.waitHealth("state", (v) => v === "failed", BOUND);
    assert.match(await x.health("error"), /\/local\/domain\/4\/vm: is empty/);
    await powersOffOnRequest(x);
  });
});

test.run();
