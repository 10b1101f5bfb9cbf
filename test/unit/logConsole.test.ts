// Which console carries the init's log: /dev/console is the last console the kernel lists, and hvc0
// gets a log sink of its own unless it is that one.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { openLogConsole } from "../../init/devices.ts";
import { Log } from "../../init/log.ts";
import { FakeSys } from "../support/fakeSys.ts";

const cases: [string, string | undefined, boolean][] = [
  ["Xen: hvc0 alone is /dev/console", "hvc0\n", false],
  ["Xen with a VT: hvc0 listed last is /dev/console", "tty0 hvc0\n", false],
  ["dev mode: console=hvc0 built in, console=ttyS0 after it, so /dev/console is ttyS0", "hvc0 ttyS0\n", true],
  ["dev mode before hvc0 was a console", "ttyS0\n", true],
  ["no active list", undefined, true],
];
for (const [name, active, ownSink] of cases) {
  test(`log on hvc0: ${name}`, () => {
    const sys = new FakeSys();
    sys.files.set("/dev/hvc0", "");
    if (active !== undefined) sys.files.set("/sys/class/tty/console/active", active);
    openLogConsole(sys, new Log(sys));
    const opened = sys.effects.filter((e) => e === "open /dev/hvc0").length;
    assert.is(opened, ownSink ? 3 : 2, "logFd, shellFd, and the log's own sink only when hvc0 is not /dev/console");
  });
}

test.run();
