// cli tier, pure parts: health keys → the status view, durations, watch's diff, the xl hint,
// escape keys. No process, no daemon.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatDetails, formatDuration, formatTable, healthView } from "../../host/cli/healthView.ts";
import { diffLines } from "../../host/cli/cmdWatch.ts";
import { parseEscape, xlConsoleHint } from "../../host/cli/cmdConsole.ts";

test("formatDetails: the running Xen and the image's Xen release, with the mismatch sentence as the error", () => {
  const keys = new Map([
    ["state", "degraded"],
    ["error", "this image carries Xen 4.17's libraries but runs on Xen 4.20.4: x"],
    ["xen-version", "4.20.4"],
    ["image-xen-release", "4.17"],
  ]);
  const lines = formatDetails(healthView(3, "g-dm", 2, keys, 0), true).split("\n");
  assert.ok(lines.includes("Xen: 4.20.4; the image's Xen libraries: 4.17"), lines.join("\n"));
  assert.ok(lines.includes("error: this image carries Xen 4.17's libraries but runs on Xen 4.20.4: x"), lines.join("\n"));
  assert.not.ok(formatDetails(healthView(3, "g-dm", 2, new Map([["state", "running"], ["image-xen-release", "4.17"]]), 0), true).includes("Xen:"), "no line without a running Xen (dev mode)");
});

test("formatDetails: the display bridge's screen, frames and problem on its service line", () => {
  const keys = new Map([
    ["state", "degraded"],
    ["display/state", "up"],
    ["display/pid", "31"],
    ["display/restarts", "0"],
    ["display/mode", "720x400"],
    ["display/frames", "42"],
    ["display/error", "no Xen virtual keyboard"],
    ["debug-shell/state", "up"],
  ]);
  const lines = formatDetails(healthView(3, "g-dm", 2, keys, 0), true).split("\n");
  assert.ok(lines.includes("service display: up, pid 31; screen 720x400, 42 frames copied; problem: no Xen virtual keyboard"), lines.join("\n"));
  assert.ok(lines.includes("service debug-shell: up"), "a service without a screen says nothing of one");
});

test("durations read like uptime: seconds, then m+s, h+m, d+h", () => {
  assert.equal([0, 59, 60, 65, 3599, 3600, 3661, 86399, 86400, 90061].map(formatDuration), ["0s", "59s", "1m00s", "1m05s", "59m59s", "1h00m", "1h01m", "23h59m", "1d00h", "1d01h"]);
});

test("healthView: services from <name>/state, numbers parsed, boot steps kept in order, junk ignored", () => {
  const now = Date.parse("2030-01-01T00:10:00Z");
  const keys = new Map([
    ["state", "degraded"],
    ["boot-ms/mounts", "12"],
    ["boot-ms/modules", "oops"],
    ["qemu/state", "backoff"],
    ["qemu/pid", ""],
    ["qemu/restarts", "3"],
    ["qemu/since", "2030-01-01T00:09:30Z"],
    ["qmp-proxy/state", "up"],
    ["qmp-proxy/pid", "90"],
    ["deep/a/b", "x"],
    ["mem-free-kb", "n/a"],
    ["qemu/rss-kb", ""],
  ]);
  const v = healthView(2, "demo-dm", 1, keys, now);
  assert.equal(v.bootMs, { mounts: 12 });
  assert.equal(Object.keys(v.services), ["qemu", "qmp-proxy"]);
  assert.equal(v.services.qemu, { state: "backoff", pid: null, restarts: 3, lastExit: "", since: "2030-01-01T00:09:30Z", secondsInState: 30, rssKb: null });
  assert.is(v.memFreeKb, null);
  assert.is(v.memAvailableKb, null);
  assert.equal(v.configProblems, []);
  // Not up: no uptime; missing numbers are dashes; columns line up.
  const table = formatTable([v, { ...v, domid: 12, name: "a-much-longer-name-dm" }]).split("\n");
  assert.match(table[1], /^demo-dm +2 +1 +degraded +backoff +- +3 +- +- +- +-$/);
  assert.is(table[0].indexOf("ID") + 2, table[1].indexOf(" 2 ") + 2, "ID is right-aligned under its title");
});

test("diffLines: changed and new keys, then removals; equal values print nothing", () => {
  const before = new Map([["state", "booting"], ["qemu/pid", "57"], ["gone", "x"]]);
  const after = new Map([["state", "running"], ["qemu/pid", "57"], ["new", ""]]);
  assert.equal(diffLines(2, before, after, "T"), ['T 2 state = "running"', 'T 2 new = ""', "T 2 gone removed"]);
  assert.equal(diffLines(2, after, after, "T"), []);
});

test("the xl hint names the stubdom's console, and the guest's own command for its serial", () => {
  assert.is(xlConsoleHint(7, "win-dm", 4, "win"), "stubdom 7's console 4 belongs to xenconsoled: attach with `xl console -t pv -n 4 win-dm`");
  assert.match(xlConsoleHint(7, "", 3, undefined), /`xl console -t pv -n 3 7`$/);
  assert.match(xlConsoleHint(7, "win-dm", 3, "win"), /\(the guest's serial: `xl console win` also works\)$/);
});

test("escape keys as xenconsole reads them", () => {
  assert.is(parseEscape("^]"), 0x1d);
  assert.is(parseEscape("^a"), 0x01);
  assert.is(parseEscape("^A"), 0x01);
  assert.is(parseEscape("q"), 0x71);
  assert.is(parseEscape("^"), 0x5e, "a lone caret is one character, as xenconsole takes it");
  assert.throws(() => parseEscape("^ab"), /neither \^X nor one character/);
  assert.throws(() => parseEscape("ab"), /neither/);
});

test.run();
