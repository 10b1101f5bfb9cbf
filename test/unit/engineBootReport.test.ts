// Our init's dev-VM boot on two QuickJS releases (bench/report.ts engineBootSection): each row pairs
// the boots by round, steps come from the init's own boot-ms keys, and a lost boot is said.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { BootSample } from "../../bench/boot/devBoot.ts";
import type { BenchImage } from "../../bench/boot/images.ts";
import { engineBootSection, HEADINGS } from "../../bench/report.ts";

const run = { date: "2026-12-06 21:00 UTC", command: "npm run bench -- --only engines", machine: "test" };
const probe = { trace: "", shellPid: 0, processes: [], meminfoKb: {}, bridges: [] };
const boot = (round: number, firstLineMs: number, config: string): BootSample => ({
  init: "ours", round, firstLineMs, qemuExecMs: firstLineMs * 4, modulesMs: 0, runningMs: firstLineMs * 5, guestLineMs: firstLineMs * 10,
  execsBefore: [], forksBefore: 0, probe, bootMsKeys: { config, network: "20" },
});
const image = (name: BenchImage["name"], initBytes: number): BenchImage => ({
  name, rootfs: `/r/${name}`, cpio: `/c/${name}`, unpackedBytes: 1, compressedBytes: 1,
  files: [{ path: "/init", bytes: initBytes }, { path: "/lib/stubdom/init.jsbc", bytes: 1024 }, { path: "/bin/busybox", bytes: 1 << 20 }],
});
const data = {
  current: [boot(0, 100, "40"), boot(1, 110, "44")],
  previous: [boot(0, 50, "20"), boot(1, 55, "22")],
  versions: { current: "2025-04-26", previous: "2021-03-27" },
  images: { current: image("ours", 702_464), previous: image("previous-quickjs", 641_024) },
  kernel: "K",
  memoryMiB: 512,
  load: [],
  failures: [],
};

test("the heading, both releases as columns, pair ratios, and one row per step of the init", () => {
  const s = engineBootSection(run, data);
  assert.ok(s.startsWith(`${HEADINGS.engines}\n`));
  assert.match(s, /\| \| QuickJS 2025-04-26 \| QuickJS 2021-03-27 \| 2025-04-26 ÷ 2021-03-27 \|/);
  assert.match(s, /\| the init's first console line \(runtime start-up\) \| 100 \/ 105 \/ 110 ms \| 50 \/ 53 \/ 55 ms \| 2\.00× \(2\.00-2\.00\) \|/);
  assert.match(s, /\| step `config` \(duration\) \| 40 \/ 42 \/ 44 ms \| 20 \/ 21 \/ 22 ms \| 2\.00× /);
  assert.match(s, /\| step `network` \(duration\) \| 20 \/ 20 \/ 20 ms \| 20 \/ 20 \/ 20 ms \| 1\.00× /);
  assert.match(s, /Runtime and\nbytecode: 687\.0 KiB against 627\.0 KiB\./);
  assert.match(s, /No boot was lost\./);
});

test("a boot with no partner in its round counts in its column but not in the ratio; lost boots are listed", () => {
  const s = engineBootSection(run, { ...data, previous: [data.previous[0]], failures: ["previous #2, attempt 1: the VM exited"] });
  assert.match(s, /\| the init's first console line \(runtime start-up\) \| 100 \/ 105 \/ 110 ms \| 50 \/ 50 \/ 50 ms \| 2\.00× \(2\.00-2\.00\) \|/);
  assert.match(s, /Boots lost and retried: previous #2, attempt 1: the VM exited\./);
});

test.run();
