// dom0's live settings: a flood of writes to stubdom/config costs a bounded number of re-reads, the
// last write is always the one applied, and a refused value keeps the setting in effect.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { coalesced } from "../../init/coalesced.ts";
import { cmdlineLayer, resolveConfig, type Resolved } from "../../init/config.ts";
import { LiveConfig, readConfigLayer } from "../../init/liveConfig.ts";
import { seedStubdom, configDir } from "../../host/dev/seed.ts";
import { bounded } from "../../host/dev/lineStream.ts";
import { xenstoreWorld } from "../support/xenstoreWorld.ts";

test("coalesced: triggers during a run make one more run, not one each; the last trigger is always followed by a run", async () => {
  let runs = 0;
  let release: () => void = () => undefined;
  const trigger = coalesced(
    () => {
      runs++;
      return new Promise<void>((r) => (release = r));
    },
    () => undefined,
  );
  trigger();
  for (let i = 0; i < 500; i++) trigger();
  assert.is(runs, 1);
  release();
  await new Promise((r) => setImmediate(r));
  assert.is(runs, 2);
  release();
  await new Promise((r) => setImmediate(r));
  assert.is(runs, 2, "no trigger came during the second run");
});

test("coalesced: a failed run is reported and does not stop later ones", async () => {
  const errors: string[] = [];
  let n = 0;
  const trigger = coalesced(async () => {
    if (n++ === 0) throw new Error("EIO");
  }, (e) => errors.push(e.message));
  trigger();
  await new Promise((r) => setImmediate(r));
  trigger();
  await new Promise((r) => setImmediate(r));
  assert.equal(errors, ["EIO"]);
  assert.is(n, 2);
});

test("500 dom0 writes: a handful of re-reads, and the last values are the ones in effect", async () => {
  const w = xenstoreWorld();
  await seedStubdom(w.dom0, { stubdom: 5, guest: 4, uuid: "u", name: "g", argv: ["-x"] });
  const stub = w.dom(5);
  const cmd = cmdlineLayer("");
  const live = new LiveConfig(cmd, resolveConfig([cmd]));
  const seen: Resolved[] = [];
  let last: () => void = () => undefined;
  const lastApplied = new Promise<void>((r) => (last = r));
  await live.watch(stub, 5, (r) => {
    seen.push(r);
    if (r.config.restart === "always") last();
  }, (e) => assert.unreachable(e.message));
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 500; i++) writes.push(w.dom0.write(`${configDir(5)}/backoff-initial-ms`, String(i)));
  writes.push(w.dom0.write(`${configDir(5)}/restart`, "always"));
  await Promise.all(writes);
  await bounded(lastApplied, 5000, "the last write applied");
  assert.is(live.config["backoff-initial-ms"], 499);
  assert.is(live.config.restart, "always");
  assert.ok(seen.length < 20, `${seen.length} re-reads for 501 writes`);
});

test("readConfigLayer: a value that is not UTF-8 is unreadable, named, and not taken as text", async () => {
  const w = xenstoreWorld();
  await seedStubdom(w.dom0, { stubdom: 5, guest: 4, uuid: "u", name: "g", argv: ["-x"], config: { restart: "always" } });
  await w.dom0.write(`${configDir(5)}/log-level`, Uint8Array.of(0x64, 0xff, 0x62));
  const layer = await readConfigLayer(w.dom(5), 5);
  assert.equal(layer.entries, [["restart", "always"]]);
  assert.equal(layer.unreadable, [["log-level", "not UTF-8"]]);
});

test("LiveConfig.apply: garbage over a good setting keeps the good one", () => {
  const cmd = cmdlineLayer("stubdom.log-level=debug");
  const live = new LiveConfig(cmd, resolveConfig([cmd]));
  live.apply({ source: "dom0", entries: [["restart", "always"]] });
  const r = live.apply({ source: "dom0", entries: [["restart", "sometimes"], ["log-level", "loud"]] });
  assert.is(r.config.restart, "always");
  assert.is(r.config["log-level"], "debug");
  assert.equal(r.problems, ['dom0: restart "sometimes" is not one of no, on-failure, always; keeping "always"', 'dom0: log-level "loud" is not one of debug, info, warn, error; keeping "debug"']);
});

test.run();
