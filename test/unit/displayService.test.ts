// The display bridge as a supervised program, at the Sys seam: started once per QEMU run that
// answers QMP, its reports turned into health, and started again after its restarts ran out
// while QEMU itself was restarting.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DISPLAY_BUNDLE } from "../../init/displayService.ts";
import { settle } from "../support/fakeSys.ts";
import { supervisorOnFakeSys as supervisor } from "../support/fakeSupervisor.ts";

test("one bridge per QEMU run: a second ready while it runs starts nothing", () => {
  const { sys, sup } = supervisor();
  sup.startDisplay("/init");
  sup.startDisplay("/init");
  assert.equal(sys.spawned.map((s) => s.argv), [["/init", DISPLAY_BUNDLE]]);
  assert.is(sup.display?.service.record.state, "up");
});

test("its reports become the view; other output is the log's", async () => {
  const { sys, sup } = supervisor();
  sup.startDisplay("/init");
  const readFd = [...sys.readHandlers.keys()][0]!;
  sys.feed(readFd, "connected QEMU (g)\nmode 720x400\nframes 3\nstubjs: something else\n");
  await settle();
  assert.equal(sup.display?.view, { mode: "720x400", frames: 3, error: "" });
  assert.match(sys.bytesWritten(1), /warn: display: stubjs: something else/);
});

test("restarts ran out while QEMU restarted: the next QEMU run starts the bridge again", async () => {
  const { sys, sup } = supervisor();
  sup.startDisplay("/init");
  for (let i = 0; i < 6 && sup.display?.service.record.state !== "failed"; i++) {
    const last = sys.spawned[sys.spawned.length - 1]!;
    sys.exit(last.pid, { code: 1 });
    await sys.advance(2_000);
  }
  assert.is(sup.display?.service.record.state, "failed");
  const before = sys.spawned.length;
  sup.startDisplay("/init");
  assert.is(sys.spawned.length, before + 1);
  assert.is(sup.display?.service.record.state, "up");
});

test.run();
