// QEMU's output through the init's pipe: lines into the log marked qemu:, the last one of a run
// kept for the sentence when it exits, long lines cut, bytes that are not UTF-8 shown as ?.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Log } from "../../init/log.ts";
import { MAX_LINE, ChildOutput } from "../../init/childOutput.ts";
import { FakeSys } from "../support/fakeSys.ts";

function output() {
  const sys = new FakeSys();
  const out = new ChildOutput(sys, new Log(sys));
  const readFd = [...sys.readHandlers.keys()][0];
  return { sys, out, readFd, log: () => sys.bytesWritten(1) };
}

test("each line goes to the log; the run's last line is its last words, read even if still in the pipe", () => {
  const o = output();
  assert.ok(o.sys.nonblocking.has(o.readFd));
  o.sys.feed(o.readFd, "qemu-system-x86_64: first\nqemu-system-x86_64: -no-such-option: invalid option\n");
  assert.match(o.log(), /warn: qemu: qemu-system-x86_64: first\n.*warn: qemu: qemu-system-x86_64: -no-such-option: invalid option\n/s);
  o.out.newRun();
  assert.is(o.out.lastWords(), undefined, "a new run has said nothing yet");
  o.sys.feed(o.readFd, "load of migration failed: Invalid argument");
  assert.is(o.out.lastWords(), "load of migration failed: Invalid argument", "a line without its newline counts at exit");
});

test("a line longer than MAX_LINE is cut; bytes that are not UTF-8 become ?; blank lines are skipped", () => {
  const o = output();
  o.sys.feed(o.readFd, `${"x".repeat(MAX_LINE + 500)}\n\n\r\n`);
  assert.is(o.out.lastWords(), "x".repeat(MAX_LINE));
  o.sys.feed(o.readFd, Uint8Array.of(0x62, 0xff, 0x0a));
  assert.is(o.out.lastWords(), "b?");
});

test.run();
