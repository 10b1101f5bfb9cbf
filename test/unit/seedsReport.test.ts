// The seeds' table (bench/xen/seedsReport.ts): ratios of medians, each target met or missed, the
// breakdown of xl create from its milestones, and what failed said rather than dropped.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { seedsSection, type SeedsRelease } from "../../bench/xen/seedsReport.ts";
import { milestoneLines, type FullSample, type StartupSample } from "../../bench/xen/seedsRound.ts";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = { date: "2026-12-06 15:00 UTC", command: "npm run bench -- --only xen", machine: "test" };
const startup = (createMs: number, o: Partial<StartupSample> = {}): StartupSample => ({ createMs, milestones: {}, ...o });
const full = (createMs: number, o: Partial<FullSample>): FullSample => ({ createMs, milestones: {}, ...o });

function release(stubdomCreates: number[], dom0Creates: number[], ours: Partial<FullSample>, dom0: Partial<FullSample>): SeedsRelease {
  return {
    release: "4.17",
    versions: "xen 4.17.7",
    stubdomMemory: "libxl's default stubdomain_memory",
    samples: {
      stubdom: {
        startups: stubdomCreates.map((ms) => startup(ms, { milestones: { guest: 100, stubdom: 1100, "init-health": 4100, "qemu-running": 6100 }, bootMs: { mounts: 5, network: 130 } })),
        full: [full(stubdomCreates[0]!, ours)],
        failures: [],
      },
      dom0: { startups: dom0Creates.map((ms) => startup(ms, { milestones: { guest: 100, "qemu-running": 2100 } })), full: [full(dom0Creates[0]!, dom0)], failures: ["full sample 2: the guest did not answer ping within 480 s"] },
    },
  };
}

const row = (text: string, start: string): string => text.split("\n").find((l) => l.startsWith(`| ${start}`)) ?? "";

const cases: [string, SeedsRelease, { startup: RegExp; down: RegExp; read: RegExp }][] = [
  [
    "slower startup and throughput: missed",
    release([8000, 10000, 12000], [4000, 5000, 6000], { downMiBs: 1, upMiBs: 1, diskReadMiBs: 2, diskWriteMiBs: 2, answersMs: 200_000 }, { downMiBs: 2, upMiBs: 2, diskReadMiBs: 2, diskWriteMiBs: 2, answersMs: 100_000 }),
    { startup: /8\.0 s \/ 10\.0 s \/ 12\.0 s \(3\) \| 4\.0 s \/ 5\.0 s \/ 6\.0 s \(3\) \| 2\.00× \| ≤ 1\.3×: \*\*missed\*\*/, down: /0\.50× \| ≥ 0\.9×: \*\*missed\*\*/, read: /1\.00× \| ≥ 0\.9×: met/ },
  ],
  [
    "as fast as dom0: met",
    release([5000], [5000], { downMiBs: 2, upMiBs: 2, diskReadMiBs: 3, diskWriteMiBs: 3 }, { downMiBs: 2, upMiBs: 2, diskReadMiBs: 2, diskWriteMiBs: 2 }),
    { startup: /1\.00× \| ≤ 1\.3×: met/, down: /1\.00× \| ≥ 0\.9×: met/, read: /1\.50× \| ≥ 0\.9×: met/ },
  ],
];

for (const [name, r, want] of cases) {
  test(`the seeds' table: ${name}`, () => {
    const text = seedsSection(run, [r], "how");
    assert.match(row(text, "stubdom startup"), want.startup);
    assert.match(row(text, "network, dom0 to guest"), want.down);
    assert.match(row(text, "disk read"), want.read);
  });
}

test("the seeds' table: a measure no sample has is n/a, not a ratio", () => {
  const text = seedsSection(run, [release([5000], [5000], {}, {})], "how");
  assert.match(row(text, "boot"), /n\/a \| n\/a \| n\/a \| -/);
  assert.match(row(text, "network, guest to dom0"), /not measured/);
});

test("the seeds' table: the breakdown of xl create follows the milestones, and failures are listed", () => {
  const text = seedsSection(run, [release([8000], [4000], {}, {})], "how");
  assert.match(row(text, "our init's first health write"), /\| 4\.1 s \/ 4\.1 s \/ 4\.1 s \(1\) \| 3\.0 s \/ 3\.0 s \/ 3\.0 s \(1\) \|$/);
  assert.match(row(text, "`xl create` returns"), /\| 8\.0 s .* \| 1\.9 s \/ 1\.9 s \/ 1\.9 s \(1\) \|$/);
  assert.match(text, /QEMU in dom0: full sample 2: the guest did not answer ping within 480 s/);
  assert.match(text, /median ms\): mounts 5, network 130/);
});

test("the seeds' table: CPU seconds by domain while the data moved, medians, a missing domain as -", () => {
  const text = seedsSection(run, [release([5000], [4000], { cpu: { network: { dom0: 3, guest: 2, stubdom: 4 }, disk: { dom0: 1, guest: 0.5, stubdom: 1.5 } } }, { cpu: { network: { dom0: 2, guest: 1.5 }, disk: { dom0: 0.5, guest: 0.5 } } })], "how");
  assert.match(row(text, "network (8 MiB each way), our stubdom"), /\| 3\.0 s \| 2\.0 s \| 4\.0 s \| 9\.0 s \|$/);
  assert.match(row(text, "network (8 MiB each way), QEMU in dom0"), /\| 2\.0 s \| 1\.5 s \| - \| 3\.5 s \|$/);
  assert.match(row(text, "disk (32 MiB each way), our stubdom"), /\| 1\.0 s \| 0\.5 s \| 1\.5 s \| 3\.0 s \|$/);
});

test("the milestones are read from a XenStore watch log: first events, and a state's last write before xl returned", () => {
  const dir = mkdtempSync(join(tmpdir(), "seeds-"));
  const log = join(dir, "xsw.log");
  writeFileSync(log, [
    "100.000 /local/domain",
    "100.250 /local/domain/3/vm",
    "101.000 /local/domain/4",
    "101.500 /local/domain/0/backend/vif/4/0/hotplug-status",
    "102.000 /local/domain/4/data/stubdom/state",
    "103.000 /local/domain/4/device-model/3/state",
    "104.000 /local/domain/4/device-model/3/state",
    "109.000 /local/domain/4/device-model/3/state",
    "104.500 /local/domain/31/vm",
    "",
  ].join("\n"));
  const out = execFileSync("bash", ["-c", ["D=3 S=4 t1=105", ...milestoneLines("stubdom", log)].join("\n")], { encoding: "utf8" });
  rmSync(dir, { recursive: true });
  const got = Object.fromEntries(out.trim().split("\n").map((l) => l.split("=") as [string, string]));
  assert.equal(got, {
    "m-guest": "100.250", "m-stubdom": "101.000", "m-stubdom-disk": "", "m-qmp-proxy": "", "m-console-qemu": "", "m-stubdom-nic": "101.500",
    "m-init-health": "102.000", "m-guest-disk": "", "m-qemu-running": "104.000", "m-guest-nic": "",
  });
});

test.run();
