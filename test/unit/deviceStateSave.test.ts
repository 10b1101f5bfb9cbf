// The save path at the Sys seam: QEMU's state file is emptied before each save, copied to hvc1 with
// the ring's worth of padding by a child (a write to hvc1 can wait in the kernel), and only reported
// complete once hvc1 has passed every byte on; every failure is a sentence; a second save is refused.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CONSOLE_RING_BYTES, COPY_BOUND_MS, DeviceStateSave, DRAIN_BOUND_MS, PAD_FILE, STATE_FILE } from "../../init/deviceState.ts";
import { Log } from "../../init/log.ts";
import { Reaper } from "../../init/reaper.ts";
import { FakeSys } from "../support/fakeSys.ts";

const HVC1 = 41;
const LOG = 42;

function world() {
  const sys = new FakeSys();
  const log = new Log(sys);
  const reaper = new Reaper(sys, log);
  reaper.start();
  const save = new DeviceStateSave(sys, reaper, HVC1, LOG);
  return { sys, save };
}

test("the files: an empty state file for QEMU's fdset 1, and the ring's size of zero bytes as padding", () => {
  const { sys, save } = world();
  assert.is(sys.files.get(STATE_FILE), "");
  assert.is(sys.files.get(PAD_FILE), "\0".repeat(CONSOLE_RING_BYTES));
  assert.ok(sys.effects.includes(`open ${STATE_FILE}`));
  save.prepare();
  assert.ok(sys.effects.includes(`truncate ${save.fd}`), "emptied before QEMU writes");
});

test("a save: cat copies state and padding to hvc1; complete once hvc1 has nothing pending", async () => {
  const { sys, save } = world();
  sys.files.set(STATE_FILE, "QEVM state");
  sys.pendingOut.set(HVC1, 700);
  const done = save.deliver();
  await sys.advance(0);
  const cat = sys.spawned[0];
  assert.equal(cat.argv, ["/bin/cat", STATE_FILE, PAD_FILE]);
  assert.equal(cat.opts.fds, [-1, HVC1, LOG]);
  sys.exit(cat.pid, { code: 0 });
  let settled = false;
  void done.then(() => (settled = true));
  await sys.advance(100);
  assert.not.ok(settled, "not complete while hvc1 holds bytes");
  sys.pendingOut.set(HVC1, 0);
  await sys.advance(100);
  assert.equal(await done, { ok: true, bytes: 10 });
});

test("a second save from the same stubdom is refused, with the reason", async () => {
  const { sys, save } = world();
  assert.is(save.refusal(), undefined);
  sys.files.set(STATE_FILE, "x");
  const done = save.deliver();
  await sys.advance(0);
  sys.exit(sys.spawned[0].pid, { code: 0 });
  await sys.advance(100);
  assert.ok((await done).ok);
  assert.match(save.refusal() ?? "", /saved once already.*only grows/);
});

const failures: [string, (sys: FakeSys) => Promise<void>, RegExp][] = [
  ["QEMU wrote nothing", async () => undefined, /QEMU wrote no device state/],
  ["the copy fails", async (sys) => sys.exit(sys.spawned[0].pid, { code: 1 }), /copying the device state to hvc1 ended with code:1/],
  ["dom0 does not read console 1: the copy is killed at its bound", async (sys) => {
    await sys.advance(COPY_BOUND_MS);
    assert.equal(sys.spawned[0].signals, [9]);
    sys.exit(sys.spawned[0].pid, { signal: 9 });
  }, /ended with signal:SIGKILL after 120 s: dom0 is not reading console 1/],
  ["hvc1 never drains", async (sys) => {
    sys.pendingOut.set(HVC1, 64);
    sys.exit(sys.spawned[0].pid, { code: 0 });
    await sys.advance(DRAIN_BOUND_MS + 100);
  }, /hvc1 still holds 64 bytes after 10 s: dom0 is not reading console 1/],
];
for (const [name, act, re] of failures) {
  test(`a failed save is a sentence: ${name}`, async () => {
    const { sys, save } = world();
    if (name !== "QEMU wrote nothing") sys.files.set(STATE_FILE, "state");
    const done = save.deliver();
    await sys.advance(0);
    await act(sys);
    await sys.advance(100);
    const d = await done;
    assert.not.ok(d.ok);
    assert.match(d.ok ? "" : d.why, re);
  });
}

test.run();
