// Where the real-Xen Linux guest's boot time went (test/xen/linuxGuestRun.ts bootSplit): the host's
// time from xl create to "ready", less the guest kernel's uptime in that line (test/xen/guest/init.sh).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bootSplit, bootSplitText } from "../../test/xen/linuxGuestRun.ts";

const serial = ["guest: linux 6.1.0-57-amd64 up, 983868 kB, uptime 41.27 s", "guest: lease eth0 10.99.0.10/24", "guest: ready, uptime 75.12 s\r", "guest: beat"].join("\n");

const rows: [string, number, string, string][] = [
  ["split by the ready line's uptime", 156_000, serial, "80.9 s before its kernel, 75.1 s from its kernel to ready"],
  ["a guest of before the uptime stamps", 156_000, "guest: ready\nguest: beat", `no uptime in its "ready" line`],
  ["an uptime only in the up line is not taken for ready", 90_000, "guest: linux 6.1 up, 1 kB, uptime 40.00 s\nguest: ready", `no uptime in its "ready" line`],
];
for (const [name, readyMs, text, want] of rows) {
  test(`bootSplit: ${name}`, () => assert.is(bootSplitText(bootSplit(readyMs, text)), want));
}

test.run();
