// A restore as the supervisor follows it: done once QEMU leaves inmigrate; a run that ends before
// that is a failure whose consequence the restore-failure setting chooses.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { afterEvent, afterStatus, restoreFailure } from "../../init/restoreState.ts";

const steps: [string, ReturnType<typeof afterStatus>, ReturnType<typeof afterStatus>][] = [
  ["inmigrate keeps restoring", afterStatus("restoring", "inmigrate"), "restoring"],
  ["running ends it", afterStatus("restoring", "running"), "done"],
  ["paused ends it too (the guest was saved paused)", afterStatus("restoring", "paused"), "done"],
  ["RESUME ends it", afterEvent("restoring", "RESUME"), "done"],
  ["another event does not", afterEvent("restoring", "NIC_RX_FILTER_CHANGED"), "restoring"],
  ["no restore stays none", afterStatus("none", "running"), "none"],
  ["done stays done", afterStatus("done", "inmigrate"), "done"],
];
for (const [name, got, want] of steps) test(`restore phase: ${name}`, () => assert.is(got, want));

test("a failed restore stops QEMU by default, and says so", () => {
  const f = restoreFailure('exited with code:1, saying "load of migration failed: Invalid argument"', "stop");
  assert.ok(f.stop);
  assert.is(f.sentence, 'restoring the device state from hvc2 failed: QEMU exited with code:1, saying "load of migration failed: Invalid argument"; QEMU is not started again (restore-failure = stop)');
});

test("restore-failure = fresh-start starts QEMU again, and the sentence says the devices were reset", () => {
  const f = restoreFailure("exited with signal:SIGSEGV", "fresh-start");
  assert.not.ok(f.stop);
  assert.match(f.sentence, /failed: QEMU exited with signal:SIGSEGV; QEMU started again without the saved state \(restore-failure = fresh-start\): the guest's devices were reset$/);
});

test.run();
