// Health's memory figures: /proc/meminfo and /proc/<pid>/status parsed, and the keys they become.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { healthKeys, type HealthInput } from "../../init/healthModel.ts";
import { parseMeminfo, parseVmRssKb } from "../../init/memoryFigures.ts";
import type { ServiceRecord } from "../../init/serviceMachine.ts";

const MEMINFO = "MemTotal:          52020 kB\nMemFree:           20480 kB\nMemAvailable:      21604 kB\nBuffers:               0 kB\nHugePages_Total:       0\n";
const STATUS = "Name:\tqemu-system-i38\nVmPeak:\t  120000 kB\nVmRSS:\t   16244 kB\nRssAnon:\t    9000 kB\nThreads:\t3\n";

for (const [name, text, expected] of [
  ["a stubdom's meminfo", MEMINFO, { freeKb: 20480, availableKb: 21604 }],
  ["a kernel without MemAvailable", "MemTotal: 1000 kB\nMemFree: 500 kB\n", { freeKb: 500, availableKb: undefined }],
  ["an empty read (file missing)", "", { freeKb: undefined, availableKb: undefined }],
  ["a field in another unit is not taken as kB", "MemFree: 5 MB\nMemAvailable: 7 kB\n", { freeKb: undefined, availableKb: 7 }],
] as const) {
  test(`parseMeminfo: ${name}`, () => assert.equal(parseMeminfo(text), expected));
}

test("parseVmRssKb reads VmRSS only; none when the process is gone", () => {
  assert.is(parseVmRssKb(STATUS), 16244);
  assert.is(parseVmRssKb(""), undefined);
  assert.is(parseVmRssKb("Name:\tzombie\nState:\tZ (zombie)\n"), undefined);
});

const up: ServiceRecord = { state: "up", pid: 42, restarts: 0, starts: [0], since: 0, consecutiveFailures: 0, stopStage: 0 };
const input = (o: Partial<HealthInput>): HealthInput => ({ phase: "running", other: {}, qmpChecked: false, bootMs: {}, memory: {}, wallOffsetMs: 0, configProblems: [], xenVersion: "", imageXenRelease: "", ...o });

for (const [name, h, expected] of [
  ["all known, QEMU up", input({ qemu: up, memory: { freeKb: 1, availableKb: 2, qemuRssKb: 3 } }), { "mem-free-kb": "1", "mem-available-kb": "2", "qemu/rss-kb": "3" }],
  ["unknown figures are empty, not 0", input({ qemu: up }), { "mem-free-kb": "", "mem-available-kb": "", "qemu/rss-kb": "" }],
  ["QEMU not up: no stale RSS", input({ qemu: { ...up, state: "backoff", pid: undefined }, memory: { qemuRssKb: 3 } }), { "qemu/rss-kb": "" }],
  ["no QEMU yet: no rss key", input({ memory: { availableKb: 2 } }), { "mem-available-kb": "2", "qemu/rss-kb": undefined }],
] as const) {
  test(`healthKeys memory: ${name}`, () => {
    const keys = healthKeys(h);
    for (const [k, v] of Object.entries(expected)) assert.is(keys.get(k), v, k);
  });
}

test.run();
