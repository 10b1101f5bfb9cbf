// The seeds' table on the real-Xen bed (issue 21): what the 2012 "Linux based stub-domain" talk
// measured, our stubdom against QEMU in dom0, in one run on each Xen release's bed, side by side
// (one core each, as in test:xen). For each device model, alternating which goes first:
//   --startups N  creates timed and destroyed at once (default 4), for the startup and its breakdown
//   --rounds N    full samples (default 3): boot until the guest answers ping, HTTP each way, disk
//   --releases    e.g. 4.17 (default every release with a bed)
//   --stubdom-memory MiB   stubdomain_memory (default: libxl's)
//   --ramdisk cpio  the stubdom's rootfs uncompressed (default gzip, as built)
//   --memory-floor 64,48,40  instead of the above: one stubdom full sample per stubdomain_memory,
//                 largest first, until one fails -> "## Real Xen: the stubdom's smallest memory"
//   --no-write    print the section, leave bench/RESULTS.md alone
// Run by `npm run bench -- --only xen`, or alone: node --import tsx bench/xen/run.ts.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BED_RELEASES, ensureBed, isBedRelease, type BedRelease } from "../../test/xen/bedBuild.ts";
import { lockBed } from "../../test/xen/bedLock.ts";
import { BedVm } from "../../test/xen/bedVm.ts";
import { Dom0 } from "../../test/xen/dom0.ts";
import { serveGuests } from "../../test/xen/guestNetwork.ts";
import { BED_SHARE, stageLinuxGuest, stageStubdomImage } from "../../test/xen/stage.ts";
import { machineLine } from "../machine.ts";
import { RESULTS, rewriteSections } from "../resultsFile.ts";
import { MEMORY_FLOOR_HEADING, memoryFloorSection, probeWorks, type MemoryFloorRelease, type MemoryProbe } from "./memoryFloorReport.ts";
import { fullSample, localImage, prepareBed, startupSample, type DeviceModel, type FullSample, type RamdiskFormat, type SeedsGuest } from "./seedsRound.ts";
import { SEEDS_HEADING, seedsSection, type SeedsRelease, type SeedsSamples } from "./seedsReport.ts";

const RUN_DIR = "build/bench/xen";
const SHARE = join(RUN_DIR, "share");
const DOM0_READY_MS = 180_000;
/** A bed's whole life: full samples take up to about 8 min each under TCG. */
const VM_LIMIT_MS = 90 * 60_000;

const { values } = parseArgs({
  options: {
    startups: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    releases: { type: "string", default: BED_RELEASES.join(",") },
    "stubdom-memory": { type: "string" },
    "memory-floor": { type: "string" },
    ramdisk: { type: "string", default: "gzip" },
    "no-write": { type: "boolean", default: false },
  },
});
const startups = Number(values.startups);
const rounds = Number(values.rounds);
const stubdomMemory = values["stubdom-memory"] === undefined ? undefined : Number(values["stubdom-memory"]);
const memoryFloor = values["memory-floor"]?.split(",").map(Number).sort((a, b) => b - a);
if (memoryFloor?.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--memory-floor: sizes in MiB, e.g. 64,48,40; got ${values["memory-floor"]}`);
if (values.ramdisk !== "gzip" && values.ramdisk !== "cpio") throw new Error(`--ramdisk: gzip (as built) or cpio (uncompressed); got ${values.ramdisk}`);
const ramdisk: RamdiskFormat = values.ramdisk;
const releases = values.releases.split(",").filter(Boolean);
for (const r of releases) if (!isBedRelease(r)) throw new Error(`--releases: no bed for ${r}; known: ${BED_RELEASES.join(", ")}`);

const t0 = Date.now();
const log = (line: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${line}`);

/** Stubdom first in even turns, dom0 first in odd ones: a drift in the machine hits both alike. */
const order = (turn: number): DeviceModel[] => (turn % 2 === 0 ? ["stubdom", "dom0"] : ["dom0", "stubdom"]);

interface OnBed {
  dom0: Dom0;
  /** The phy disk's loop device (prepareBed). */
  loop: string;
  /** The guest, its stubdom image on dom0's disk (localImage). */
  guest: SeedsGuest;
  say: (line: string) => void;
}

/** Boots a release's bed, serves the guest, runs `work` and powers the bed off; with the bed's versions. */
async function onBed<T>(release: BedRelease, staged: SeedsGuest, work: (b: OnBed) => Promise<T>): Promise<{ result: T; versions: string }> {
  const say = (line: string): void => log(`[${release}] ${line}`);
  const bed = ensureBed(release, say);
  const runDir = join(RUN_DIR, `xen-${release}`);
  mkdirSync(runDir, { recursive: true });
  const vm = await BedVm.boot({ bed, share: SHARE, runDir, limitMs: VM_LIMIT_MS });
  process.on("exit", () => vm.kill());
  vm.agent.onLate = say;
  vm.serial.onLine((line) => {
    if (/^xenbed dom0/.test(line)) say(line);
  });
  let result: T;
  try {
    await vm.agent.ready(DOM0_READY_MS);
    const dom0 = new Dom0(vm.agent);
    const served = await serveGuests(dom0, BED_SHARE);
    if (served !== undefined) throw new Error(`dom0 could not serve the guest: ${served}`);
    result = await work({ dom0, loop: await prepareBed(dom0), guest: await localImage(dom0, staged, ramdisk), say });
  } finally {
    await vm.poweroff(60_000);
  }
  const v = bed.versions;
  return { result, versions: [`xen-hypervisor-${release}-amd64`, "qemu-system-xen", bed.dom0KernelPackage].map((p) => `${p} ${v[p] ?? "?"}`).join(", ") };
}

/** A sample that throws is written down as a failure, in a sentence, and skipped. */
async function attempt<T>(failures: string[], say: (line: string) => void, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    const said = `${what}: ${(e as Error).message}`;
    failures.push(said);
    say(said);
    return undefined;
  }
}

const f = (n: number | undefined, d = 2): string => (n === undefined ? "?" : n.toFixed(d));
const sampleLine = (s: FullSample): string =>
  `xl create ${f(s.createMs / 1000, 1)} s, answers ${f((s.answersMs ?? NaN) / 1000, 1)} s, down ${f(s.downMiBs)} up ${f(s.upMiBs)} MiB/s, disk read ${f(s.diskReadMiBs)} write ${f(s.diskWriteMiBs)} MiB/s` +
  (s.stubdom ? `; stubdom ${s.stubdom.state}, MemAvailable ${s.stubdom.memAvailableKb ?? "?"} kB, QEMU RSS ${s.stubdom.qemuRssKb ?? "?"} kB, OOM lines ${s.stubdom.oomLines}` : "");

async function seedsRelease(release: BedRelease, staged: SeedsGuest): Promise<SeedsRelease> {
  const samples: Record<DeviceModel, SeedsSamples> = { stubdom: { startups: [], full: [], failures: [] }, dom0: { startups: [], full: [], failures: [] } };
  const { versions } = await onBed(release, staged, async ({ dom0, loop, guest, say }) => {
    for (let i = 0; i < startups; i++) {
      for (const dm of order(i)) {
        const s = await attempt(samples[dm].failures, (l) => say(`${dm}: ${l}`), `startup ${i + 1}`, () => startupSample(dom0, dm, loop, guest));
        if (!s) continue;
        samples[dm].startups.push(s);
        say(`${dm}: startup ${i + 1}: xl create ${(s.createMs / 1000).toFixed(1)} s`);
      }
    }
    for (let i = 0; i < rounds; i++) {
      for (const dm of order(i)) {
        const s = await attempt(samples[dm].failures, (l) => say(`${dm}: ${l}`), `full sample ${i + 1}`, () => fullSample(dom0, dm, loop, guest));
        if (!s) continue;
        samples[dm].full.push(s);
        samples[dm].startups.push(s);
        say(`${dm}: sample ${i + 1}: ${sampleLine(s)}`);
      }
    }
  });
  return { release, versions, stubdomMemory: stubdomMemory === undefined ? "libxl's default stubdomain_memory" : `stubdomain_memory=${stubdomMemory}`, samples };
}

/** One stubdom full sample per size, largest first, until one fails. */
async function memoryFloorRelease(release: BedRelease, staged: SeedsGuest, sizes: number[]): Promise<MemoryFloorRelease> {
  const { result: probes, versions } = await onBed(release, staged, async ({ dom0, loop, guest, say }) => {
    const done: MemoryProbe[] = [];
    for (const mib of sizes) {
      const failures: string[] = [];
      const sample = await attempt(failures, say, `stubdomain_memory=${mib}`, () => fullSample(dom0, "stubdom", loop, { ...guest, stubdomMemory: mib }));
      const probe: MemoryProbe = { mib, sample, failure: failures[0] };
      done.push(probe);
      say(`stubdomain_memory=${mib}: ${probeWorks(probe) ? "works" : "fails"}${sample ? `: ${sampleLine(sample)}` : ""}`);
      if (!probeWorks(probe)) break;
    }
    return done;
  });
  return { release, versions, probes };
}

async function main(): Promise<void> {
  const unlock = await lockBed(log);
  try {
    rmSync(SHARE, { recursive: true, force: true });
    mkdirSync(SHARE, { recursive: true });
    stageLinuxGuest(SHARE, log);
    const guest: Omit<SeedsGuest, "kernel" | "rootfs"> = { cmdline: "console=hvc0", stubdomMemory };
    const guestFor = (r: BedRelease): SeedsGuest => ({ ...stageStubdomImage(SHARE, r), ...guest });
    const run = { date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC", command: `npm run bench -- --only xen${memoryFloor ? ` (bench/xen/run.ts --memory-floor ${memoryFloor.join(",")})` : ""}${ramdisk === "cpio" ? " --ramdisk cpio" : ""}`, machine: machineLine() };
    const guestHow = `the Linux guest of test:xen (1 GiB, one e1000 NIC, one phy disk on a dom0 loop device, iPXE boot), the stubdom's kernel and rootfs on dom0's disk as a package installs them${ramdisk === "cpio" ? ", the rootfs uncompressed (--ramdisk cpio)" : ""}`;
    let heading: string;
    let section: string;
    if (memoryFloor) {
      const results = await Promise.all(releases.map((r) => memoryFloorRelease(r as BedRelease, guestFor(r as BedRelease), memoryFloor)));
      heading = MEMORY_FLOOR_HEADING;
      section = memoryFloorSection(run, results, `on each release's bed, ${guestHow}, one full sample of the seeds' table with our stubdom per \`stubdomain_memory\`, largest first, until one fails. A size works when the guest answers ping, both transfers and both dd runs complete, and the stubdom's health still says running with no QEMU restart and no out-of-memory line on its console. MemAvailable and QEMU's RSS are the stubdom's health (\`mem-available-kb\`, \`qemu/rss-kb\`) read after the disk step.`);
    } else {
      const results = await Promise.all(releases.map((r) => seedsRelease(r as BedRelease, guestFor(r as BedRelease))));
      heading = SEEDS_HEADING;
      section = seedsSection(run, results, `on each release's bed (Xen under QEMU TCG, as in test:xen), ${guestHow}, ${startups} startup-only creates and ${rounds} full samples per device model, alternating which goes first. Times are dom0's clock around \`xl create\` (milestones from a XenStore watch) and the guest's clock around each transfer.`);
    }
    console.log(`\n${section}`);
    if (!values["no-write"]) {
      rewriteSections([[heading, section]]);
      log(`${RESULTS}: "${heading}" updated`);
    }
  } finally {
    unlock();
  }
}

await main();
process.exit(0);
