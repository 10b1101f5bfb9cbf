import { test } from "uvu";
import * as assert from "uvu/assert";
import { defaultPolicy, initialRecord, step, type Action, type RestartPolicy, type ServiceEvent, type ServiceRecord } from "../../init/serviceMachine.ts";

/** Runs events from a fresh record; returns every record and the actions, in order. */
function run(events: ServiceEvent[], p: RestartPolicy = defaultPolicy) {
  let rec: ServiceRecord = initialRecord(0);
  const actions: Action[][] = [];
  const states: string[] = [];
  for (const ev of events) {
    const r = step(rec, ev, p);
    rec = r.rec;
    actions.push(r.actions);
    states.push(rec.state);
  }
  return { rec, actions, states };
}

const crash = (at: number, signal = 9): ServiceEvent => ({ type: "exited", status: { pid: 10, signal }, at });
const exit = (at: number, code: number): ServiceEvent => ({ type: "exited", status: { pid: 10, code }, at });

test("start, spawn, crash: backoff from 100 ms, doubling, capped at 10 s", () => {
  const events: ServiceEvent[] = [{ type: "start", at: 0 }, { type: "spawned", pid: 10, at: 1 }];
  // Spread starts out so the burst limit is not what we measure here.
  for (let i = 0; i < 9; i++) {
    const t = 100_000 * (i + 1);
    events.push(crash(t + 5), { type: "backoffElapsed", at: t + 50 }, { type: "spawned", pid: 11 + i, at: t + 60 });
  }
  const { actions, rec } = run(events, { ...defaultPolicy, healthyAfterMs: Infinity });
  const delays = actions.flat().flatMap((a) => (a.type === "startBackoff" ? [a.ms] : []));
  assert.equal(delays, [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
  assert.is(rec.restarts, 9);
  assert.is(rec.lastExit, "signal:SIGKILL");
});

test("a run longer than healthyAfterMs resets the backoff", () => {
  const { actions } = run([
    { type: "start", at: 0 }, { type: "spawned", pid: 10, at: 0 }, crash(10),
    { type: "backoffElapsed", at: 110 }, { type: "spawned", pid: 11, at: 110 }, crash(200),
    { type: "backoffElapsed", at: 400 }, { type: "spawned", pid: 12, at: 400 }, crash(400 + 20_000),
  ]);
  assert.equal(actions.flat().flatMap((a) => (a.type === "startBackoff" ? [a.ms] : [])), [100, 200, 100]);
});

test("5 starts within 60 s and a further failure: failed, with a sentence", () => {
  const events: ServiceEvent[] = [{ type: "start", at: 0 }];
  for (let i = 0; i < 5; i++) {
    events.push({ type: "spawned", pid: 10 + i, at: i * 1000 }, exit(i * 1000 + 10, 1));
    if (i < 4) events.push({ type: "backoffElapsed", at: i * 1000 + 500 });
  }
  const { rec, states } = run(events);
  assert.is(rec.state, "failed");
  assert.equal(states.filter((s) => s === "backoff").length, 4);
  assert.match(rec.error ?? "", /exited with code:1; 5 starts within 60 s/);
});

const modes: [RestartPolicy["restart"], ServiceEvent, string][] = [
  ["on-failure", exit(5, 0), "down"],
  ["on-failure", exit(5, 2), "backoff"],
  ["on-failure", crash(5, 15), "backoff"],
  ["always", exit(5, 0), "backoff"],
  ["no", crash(5), "down"],
];
for (const [mode, ev, want] of modes) {
  test(`restart=${mode}: ${ev.type === "exited" ? JSON.stringify(ev.status) : ""} leads to ${want}`, () => {
    const { rec } = run([{ type: "start", at: 0 }, { type: "spawned", pid: 10, at: 0 }, ev], { ...defaultPolicy, restart: mode });
    assert.is(rec.state, want);
  });
}

test("a spawn that fails counts as a failure and backs off", () => {
  const { rec, actions } = run([{ type: "start", at: 0 }, { type: "spawnFailed", error: "ENOENT", at: 0 }]);
  assert.is(rec.state, "backoff");
  assert.match(rec.error ?? "", /could not start: ENOENT/);
  assert.equal(actions[1], [{ type: "startBackoff", ms: 100 }]);
});

test("stop escalates quit -> SIGTERM -> SIGKILL on timeouts, and an exit ends it", () => {
  const p = { ...defaultPolicy, graceful: true };
  const { actions, states } = run([
    { type: "start", at: 0 }, { type: "spawned", pid: 10, at: 0 },
    { type: "stop", at: 1 }, { type: "stopTimeout", at: 2 }, { type: "stopTimeout", at: 3 }, crash(4),
  ], p);
  assert.equal(actions.slice(2, 5).map((a) => a.map((x) => (x.type === "stopStep" ? x.how : x.type))), [["quit"], ["SIGTERM"], ["SIGKILL"]]);
  assert.equal(states.slice(2), ["stopping", "stopping", "stopping", "down"]);
});

test("stopping while backing off cancels the restart", () => {
  const { rec, actions } = run([{ type: "start", at: 0 }, { type: "spawned", pid: 10, at: 0 }, crash(1), { type: "stop", at: 2 }]);
  assert.is(rec.state, "down");
  assert.equal(actions[3], [{ type: "cancelBackoff" }]);
});

test("events a state does not handle change nothing", () => {
  const rec = initialRecord(0);
  assert.equal(step(rec, crash(1), defaultPolicy), { rec, actions: [] });
  assert.equal(step(rec, { type: "backoffElapsed", at: 1 }, defaultPolicy), { rec, actions: [] });
});

test("a failed service can be started again by hand, with a fresh burst budget", () => {
  const events: ServiceEvent[] = [{ type: "start", at: 0 }];
  for (let i = 0; i < 5; i++) events.push({ type: "spawned", pid: i, at: i }, exit(i, 1), ...(i < 4 ? [{ type: "backoffElapsed", at: i } as ServiceEvent] : []));
  events.push({ type: "start", at: 10 });
  const { rec, actions } = run(events);
  assert.is(rec.state, "starting");
  assert.equal(rec.starts, []);
  assert.equal(actions[actions.length - 1], [{ type: "spawn" }]);
});

test.run();

const saidCases: [string, { code?: number; signal?: number }, string | undefined][] = [
  ["a non-zero exit keeps what the program said last", { code: 1 }, "load of migration failed"],
  ["a kill by a signal drops it: that line is from the ordinary run", { signal: 9 }, undefined],
  ["a clean exit drops it", { code: 0 }, undefined],
];
for (const [name, status, kept] of saidCases) {
  test(`the exit sentence: ${name}`, () => {
    const { rec } = run([
      { type: "start", at: 0 }, { type: "spawned", pid: 10, at: 1 },
      { type: "exited", status: { pid: 10, ...status }, said: "load of migration failed", at: 5 },
    ], { ...defaultPolicy, restart: "no" });
    assert.is(rec.lastSaid, kept);
  });
}
