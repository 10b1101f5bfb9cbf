// The health contract (init/healthSchema.ts) against what is really written: every key healthKeys
// produces, in every state, is a key of the contract and its value has the contract's form.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { healthKeys, type HealthInput } from "../../init/healthModel.ts";
import type { ServiceRecord } from "../../init/serviceMachine.ts";
import { contractProblems } from "../support/healthContract.ts";

const rec = (o: Partial<ServiceRecord>): ServiceRecord => ({ state: "up", pid: 42, restarts: 0, starts: [0], since: 5, consecutiveFailures: 0, stopStage: 0, ...o });
const input = (o: Partial<HealthInput>): HealthInput => ({ phase: "running", other: {}, qmpChecked: false, bootMs: {}, memory: {}, wallOffsetMs: 1_700_000_000_000, configProblems: [], xenVersion: "", imageXenRelease: "", ...o });

const inputs: [string, HealthInput][] = [
  ["booting", input({ phase: "booting", bootStep: "reading the guest configuration", bootMs: { mounts: 3 } })],
  ["running with every service and figure", input({
    qemu: rec({}), qmpChecked: true, qmpStatus: "running", memory: { freeKb: 1, availableKb: 2, qemuRssKb: 3 },
    other: { "qmp-proxy": rec({ pid: 43 }), "debug-shell": rec({ pid: 44 }), display: rec({ pid: 45 }) },
    display: { mode: "720x400", frames: 17, error: "the guest's 1280x1024 mode is larger than the vfb's 1024x768" },
    bootMs: { mounts: 1, modules: 2, config: 3, network: 4, "qemu-spawn": 5 }, configProblems: ["a", "b"],
    xenVersion: "4.20.4", imageXenRelease: "4.20",
  })],
  ["QEMU restarting after a signal", input({ qemu: rec({ state: "backoff", pid: undefined, restarts: 2, lastExit: "signal:SIGSYS", error: "exited with signal:SIGSYS" }) })],
  ["QEMU failed for good", input({ qemu: rec({ state: "failed", pid: undefined, lastExit: "code:1", error: "x" }) })],
  ["stopping", input({ phase: "stopping", stopReason: "SIGTERM", qemu: rec({ state: "stopping" }) })],
];
for (const [name, h] of inputs) {
  test(`what the init writes fits the contract: ${name}`, () => assert.equal(contractProblems(healthKeys(h)), []));
}

test("the checker can fail: a key or a value outside the contract is named", () => {
  const keys = new Map([["state", "fine"], ["qemu/pid", "x"], ["boot-ms/xenstore", "40"], ["colour", "blue"], ["display/mode", "big"], ["qmp-proxy/frames", "1"]]);
  const problems = contractProblems(keys).join("\n");
  assert.match(problems, /overall: \/state/);
  assert.match(problems, /overall: \/colour/);
  assert.match(problems, /qemu: \/pid/);
  assert.match(problems, /boot-ms\/xenstore: not a boot step/);
  assert.match(problems, /display: \/mode/);
  assert.match(problems, /qmp-proxy: has the display bridge's keys/);
});

test.run();
