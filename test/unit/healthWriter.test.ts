// HealthWriter: only changed keys are written, state keys last (a watcher on a state key finds the
// rest current), and a failed write is logged, not thrown.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HealthWriter } from "../../init/health.ts";
import type { Log } from "../../init/log.ts";
import type { XenStoreClient } from "../../runtime/xenstore/client.ts";

function writer(fail: (path: string) => boolean = () => false) {
  const writes: string[] = [];
  const warnings: string[] = [];
  const xs = { write: async (path: string, value: string) => (fail(path) ? Promise.reject(new Error("EACCES")) : void writes.push(`${path}=${value}`)) };
  const log = { warn: (m: string) => void warnings.push(m) };
  return { w: new HealthWriter(xs as unknown as XenStoreClient, log as unknown as Log), writes, warnings };
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

test("a failed write is a warning naming the key; the other keys are still written", async () => {
  const { w, writes, warnings } = writer((p) => p.endsWith("/qemu/pid"));
  await w.publish(restarted);
  assert.equal(warnings, ["writing health qemu/pid: EACCES"]);
  assert.is(writes.length, restarted.size - 1);
});

test.run();
