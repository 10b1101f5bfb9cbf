// HealthWriter: only changed keys are written, state keys last (a watcher on a state key finds the
// rest current); one pass at a time, so a burst of publishes against a slow xenstored costs one
// pass more, not one per publish; values cut to fit; a failed write logged once per key and
// reason, retried on the next publish, never thrown.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HealthWriter } from "../../init/health.ts";
import type { Log } from "../../init/log.ts";
import { XenStoreError, type XenStoreClient } from "../../runtime/xenstore/client.ts";

interface Script {
  fail?: (path: string, value: string) => string | undefined;
  /** Holds every write until release() when set. */
  hold?: boolean;
}

function writer(script: Script = {}, max?: number) {
  const writes: string[] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  let held: (() => void)[] = [];
  const xs = {
    write: (path: string, value: string) => {
      const go = (): Promise<void> => {
        const code = script.fail?.(path, value);
        if (code) return Promise.reject(new XenStoreError(code, "WRITE", path));
        writes.push(`${path}=${value}`);
        return Promise.resolve();
      };
      if (!script.hold) return go();
      return new Promise<void>((resolve, reject) => held.push(() => go().then(resolve, reject)));
    },
  };
  const log = { warn: (m: string) => void warnings.push(m), info: (m: string) => void infos.push(m) };
  const release = async () => {
    const now = held;
    held = [];
    for (const h of now) h();
    await new Promise((r) => setImmediate(r));
  };
  return { w: new HealthWriter(xs as unknown as XenStoreClient, log as unknown as Log, max), writes, warnings, infos, release, pending: () => held.length };
}

const restarted = new Map([
  ["state", "running"],
  ["qemu/state", "up"],
  ["qemu/pid", "36"],
  ["qemu/restarts", "1"],
  ["qemu/last-exit", "signal:SIGKILL"],
  ["error", ""],
]);

test("the service's state after its other keys, the overall state last", async () => {
  const { w, writes } = writer();
  await w.publish(restarted);
  assert.equal(writes.map((x) => x.split("=")[0]), [
    "data/stubdom/qemu/pid", "data/stubdom/qemu/restarts", "data/stubdom/qemu/last-exit", "data/stubdom/error",
    "data/stubdom/qemu/state", "data/stubdom/state",
  ]);
});

test("a second publish writes only what changed", async () => {
  const { w, writes } = writer();
  await w.publish(restarted);
  writes.length = 0;
  await w.publish(new Map([...restarted, ["qemu/pid", "40"], ["qemu/restarts", "2"]]));
  assert.equal(writes, ["data/stubdom/qemu/pid=40", "data/stubdom/qemu/restarts=2"]);
});

test("a burst of publishes while xenstored is slow: one pass more, carrying only the latest values", async () => {
  const { w, writes, release, pending } = writer({ hold: true });
  const first = w.publish(new Map([["qemu/pid", "1"]]));
  const later = Array.from({ length: 500 }, (_, i) => w.publish(new Map([["qemu/pid", String(i + 2)]])));
  assert.is(pending(), 1, "only the first pass's write is out");
  await release();
  assert.is(pending(), 1, "then one pass for the whole burst");
  await release();
  await Promise.all([first, ...later]);
  assert.equal(writes, ["data/stubdom/qemu/pid=1", "data/stubdom/qemu/pid=501"]);
});

test("a value too long for a node is cut to fit, with the cut marked", async () => {
  const { w, writes } = writer({}, 40);
  await w.publish(new Map([["error", "x".repeat(100)]]));
  assert.match(writes[0], /^data\/stubdom\/error=x+…\(\+[0-9]+ more bytes\)$/);
});

test("ENOSPC from a tighter quota: the value is tried once more, short, and then counts as written", async () => {
  const { w, writes, warnings } = writer({ fail: (_p, v) => (v.length > 256 ? "ENOSPC" : undefined) });
  const long = new Map([["config-problems", Array.from({ length: 40 }, (_, i) => `problem ${i} ${"y".repeat(20)}`).join("\n")]]);
  await w.publish(long);
  assert.is(writes.length, 1);
  assert.match(writes[0], /…\(\+[0-9]+ more\)$/);
  assert.equal(warnings, []);
  await w.publish(long);
  assert.is(writes.length, 1, "not written again");
});

test("a lasting failure is one warning per key and reason, retried at each publish, and its end is said", async () => {
  let broken = true;
  const { w, writes, warnings, infos } = writer({ fail: (p) => (broken && p.endsWith("/qemu/pid") ? "EACCES" : undefined) });
  await w.publish(restarted);
  await w.publish(new Map([...restarted, ["state", "degraded"]]));
  assert.equal(warnings, ["writing health qemu/pid: WRITE data/stubdom/qemu/pid: EACCES"]);
  broken = false;
  await w.publish(new Map([...restarted, ["state", "degraded"]]));
  assert.ok(writes.includes("data/stubdom/qemu/pid=36"));
  assert.equal(infos, ["writing health qemu/pid: works again"]);
});

test("a lost channel (EPIPE) is not logged per key; invalidate() makes the next publish write everything", async () => {
  let lost = true;
  const { w, writes, warnings } = writer({ fail: () => (lost ? "EPIPE" : undefined) });
  await w.publish(restarted);
  assert.equal(warnings, []);
  lost = false;
  await w.publish(restarted);
  assert.is(writes.length, restarted.size, "what failed is written once the channel is back");
  w.invalidate();
  writes.length = 0;
  await w.publish(restarted);
  assert.is(writes.length, restarted.size);
});

test.run();
