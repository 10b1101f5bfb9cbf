// The stubdom's smallest memory (bench/xen/memoryFloorReport.ts): a size works only when every
// figure was measured and the stubdom ran throughout; the floor and the aims follow from the probes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { memoryFloorSection, probeWorks, type MemoryProbe } from "../../bench/xen/memoryFloorReport.ts";
import type { FullSample, StubdomAfter } from "../../bench/xen/seedsRound.ts";

const run = { date: "2026-12-06 18:00 UTC", command: "npm run bench -- --only xen", machine: "test" };
const healthy: StubdomAfter = { state: "running", memAvailableKb: 12_288, qemuRestarts: 0, qemuRssKb: 17_920, oomLines: 0 };
const sample = (o: Partial<FullSample> = {}, after: Partial<StubdomAfter> = {}): FullSample => ({
  createMs: 20_000,
  milestones: {},
  answersMs: 33_000,
  downMiBs: 1.5,
  upMiBs: 0.3,
  diskReadMiBs: 23,
  diskWriteMiBs: 26,
  stubdom: { ...healthy, ...after },
  ...o,
});

const cases: [string, MemoryProbe, boolean][] = [
  ["every figure, running, no restart, no OOM", { mib: 64, sample: sample() }, true],
  ["a transfer not measured", { mib: 64, sample: sample({ upMiBs: undefined }) }, false],
  ["QEMU restarted on the way", { mib: 64, sample: sample({}, { qemuRestarts: 1 }) }, false],
  ["an OOM line on the console", { mib: 64, sample: sample({}, { oomLines: 2 }) }, false],
  ["degraded at the end", { mib: 64, sample: sample({}, { state: "degraded" }) }, false],
  ["no sample (xl create failed)", { mib: 48, failure: "xl create failed (3)" }, false],
];
for (const [what, probe, works] of cases) test(`probeWorks: ${what}`, () => assert.is(probeWorks(probe), works));

test("the floor is the smallest that works, with the largest below it that failed; a failure's pipes and line breaks stay in its cell", () => {
  const s = memoryFloorSection(run, [{ release: "4.17", versions: "xen 4.17.7", probes: [{ mib: 64, sample: sample() }, { mib: 48, failure: "xl create failed (3): a | b\n / c" }] }], "how");
  assert.match(s, /^## Real Xen: the stubdom's smallest memory\n/);
  assert.match(s, /\| 64 \| works \| 12\.0 MiB \| 17\.5 MiB \| 33\.0 s; 1\.50 \/ 0\.30; 23\.00 \/ 26\.00 \|/);
  assert.match(s, /\| 48 \| \*\*fails\*\*: xl create failed \(3\): a \\\| b \/ c \| \? \| \? \| - \|/);
  assert.match(s, /Smallest: \*\*64 MiB\*\* works and 48 MiB does not\. Aims: 48 MiB \*\*missed\*\*, the seeds' 40 MB \*\*missed\*\*\./);
});

test("when the smallest tried works, the section says nothing smaller was tried and which aims are met", () => {
  const s = memoryFloorSection(run, [{ release: "4.20", versions: "xen 4.20", probes: [{ mib: 48, sample: sample() }, { mib: 40, sample: sample() }] }], "how");
  assert.match(s, /Smallest: \*\*40 MiB\*\* works \(nothing smaller was tried\)\. Aims: 48 MiB met, the seeds' 40 MB met\./);
});

test.run();
