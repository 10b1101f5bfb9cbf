// The overall state and its sentence, from the supervisor's state: every state but `running`
// says why in `error`, and `running` says nothing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assess, healthKeys, type HealthInput } from "../../init/healthModel.ts";
import type { ServiceRecord } from "../../init/serviceMachine.ts";

const rec = (o: Partial<ServiceRecord>): ServiceRecord => ({ state: "up", pid: 42, restarts: 0, starts: [0], since: 0, consecutiveFailures: 0, stopStage: 0, ...o });
const input = (o: Partial<HealthInput>): HealthInput => ({ phase: "running", other: {}, qmpChecked: false, bootMs: {}, memory: {}, wallOffsetMs: 0, configProblems: [], xenVersion: "", imageXenRelease: "", ...o });

const cases: [string, HealthInput, string, RegExp][] = [
  ["booting before QEMU, with the step", input({ phase: "booting", bootStep: "reading the guest configuration" }), "booting", /^booting: reading the guest configuration$/],
  ["booting with no step named yet", input({ phase: "booting" }), "booting", /^booting: starting$/],
  ["a first QEMU that failed at once, in its backoff", input({ phase: "booting", qemu: rec({ state: "backoff", pid: undefined, error: "exited with code:1" }) }), "booting", /^booting: QEMU exited with code:1; restarting after a backoff$/],
  ["a boot step failed", input({ phase: "booting", bootError: "setting up the network redirect failed: x" }), "failed", /^setting up the network redirect failed: x$/],
  ["QEMU failed for good", input({ qemu: rec({ state: "failed", pid: undefined, error: "exited with code:1; 5 starts within 60 s, so it is not restarted again" }) }), "failed", /^QEMU exited with code:1; 5 starts within 60 s/],
  ["QEMU down after a clean exit under restart=on-failure", input({ qemu: rec({ state: "down", pid: undefined, lastExit: "code:0", error: 'exited with code:0; restart is "on-failure", so it is not restarted' }) }), "failed", /^QEMU exited with code:0; restart is "on-failure"/],
  ["QEMU down with no error recorded", input({ qemu: rec({ state: "down", pid: undefined, lastExit: "code:0" }) }), "failed", /^QEMU exited with code:0$/],
  ["QEMU restarting after a crash", input({ qemu: rec({ state: "backoff", pid: undefined, restarts: 1, starts: [0, 5], error: "exited with signal:SIGKILL" }) }), "degraded", /^QEMU exited with signal:SIGKILL; restarting after a backoff$/],
  ["QEMU silent on QMP", input({ qemu: rec({}), qmpChecked: true, qmpProblem: "has not answered QMP query-status for over 5 s" }), "degraded", /^QEMU pid 42 has not answered QMP query-status for over 5 s$/],
  ["QEMU silent on QMP, no problem text", input({ qemu: rec({}), qmpChecked: true }), "degraded", /^QEMU pid 42 does not answer QMP$/],
  ["the QMP proxy failed", input({ qemu: rec({}), qmpChecked: true, qmpStatus: "running", other: { "qmp-proxy": rec({ state: "failed", pid: undefined, error: "exited with code:1; 5 starts within 60 s, so it is not restarted again" }) } }), "degraded", /^qmp-proxy is failed: exited with code:1/],
  ["QEMU up again after a restart: not the device model the guest booted with", input({ qemu: rec({ restarts: 1, starts: [0, 5], lastExit: "signal:SIGSYS" }), qmpChecked: true, qmpStatus: "running" }), "degraded", /^QEMU was restarted \(restart 1, after it exited with signal:SIGSYS\): the guest's emulated devices started again from reset$/],
  ["the image's Xen libraries are another release's", input({ qemu: rec({}), qmpChecked: true, qmpStatus: "running", xenVersion: "4.20.4", imageXenRelease: "4.17", xenMismatch: "this image carries Xen 4.17's libraries but runs on Xen 4.20.4: x" }), "degraded", /^this image carries Xen 4\.17's libraries but runs on Xen 4\.20\.4/],
  ["QEMU failed, on another release's Xen: both said", input({ qemu: rec({ state: "failed", pid: undefined, error: "exited with code:1" }), xenMismatch: "this image carries Xen 4.20's libraries but runs on Xen 4.17.7: x" }), "failed", /^QEMU exited with code:1; this image carries Xen 4\.20's libraries/],
  ["the display bridge restarting", input({ qemu: rec({}), qmpChecked: true, qmpStatus: "running", other: { display: rec({ state: "backoff", pid: undefined, restarts: 1, error: "exited with code:1" }) }, display: { mode: "720x400", frames: 3, error: "" } }), "degraded", /^display is backoff: exited with code:1$/],
  ["the display bridge up, with a problem", input({ qemu: rec({}), qmpChecked: true, qmpStatus: "running", other: { display: rec({ pid: 44 }) }, display: { mode: "720x400", frames: 3, error: "no Xen virtual keyboard" } }), "degraded", /^display: no Xen virtual keyboard$/],
  ["stopping", input({ phase: "stopping", stopReason: "control/shutdown = poweroff", qemu: rec({}) }), "stopping", /^stopping: control\/shutdown = poweroff$/],
];
for (const [name, h, state, error] of cases) {
  test(`assess: ${name}`, () => {
    const a = assess(h);
    assert.is(a.state, state);
    assert.match(a.error, error);
  });
}

test("running, and only running, has an empty error", () => {
  const a = assess(input({ qemu: rec({}), qmpChecked: true, qmpStatus: "running", other: { "qmp-proxy": rec({ pid: 43 }) } }));
  assert.equal(a, { state: "running", error: "" });
  for (const [name, h] of cases) assert.ok(assess(h).error !== "", name);
});

test("healthKeys carries the assessment in state and error", () => {
  const keys = healthKeys(input({ phase: "booting", bootStep: "setting up the network redirect" }));
  assert.is(keys.get("state"), "booting");
  assert.is(keys.get("error"), "booting: setting up the network redirect");
});

test("the display bridge's keys, only while it is a service", () => {
  const display = { mode: "640x480", frames: 9, error: "" };
  const keys = healthKeys(input({ qemu: rec({}), qmpChecked: true, qmpStatus: "running", other: { display: rec({ pid: 44 }) }, display }));
  assert.equal([keys.get("display/state"), keys.get("display/mode"), keys.get("display/frames"), keys.get("display/error"), keys.get("state")], ["up", "640x480", "9", "", "running"]);
  assert.is(healthKeys(input({ qemu: rec({}), display })).get("display/mode"), undefined);
});

test.run();
