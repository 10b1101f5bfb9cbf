// `npm run bench`: every benchmark, one run, one machine; rewrites their sections of bench/RESULTS.md.
//   node --import tsx bench/run.ts [--only build,boot,engines,memory,restart,runtime,xenstore,xen] [--boots N]
//                                  [--restarts N] [--no-write]
// build    `host/image/build.ts`: the images and their "## Image sizes" section (sizes by group, both flavours);
//          then the same default build into build/bench/stubdom, which the benches below boot
// boot     our init against the shell baseline in the dev VM, alternating  -> "## Boot"
// engines  our init on today's QuickJS against the one before, dev VM      -> "## Boot on each QuickJS"
// memory   the smallest dev-VM memory that works, per image                  -> "## Memory"
// restart  kill -9 of QEMU to the new QEMU, native harness                   -> "## Restart"
// runtime  bench/runtime/run.ts                                               -> "## Runtime"
// xenstore bench/xenstore/run.ts, when it exists                              -> "## XenStore"
// xen      bench/xen/run.ts: the seeds' table on each real-Xen bed, stubdom
//          against QEMU in dom0 (about 30 min; needs build's images)          -> "## Real Xen: the seeds' table"
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { BENCH_BUILD_DIR, buildBenchImages, type BenchImages } from "./boot/images.ts";
import { measureBoot, type BootSample, type InitKind } from "./boot/devBoot.ts";
import { initMemory } from "./boot/probe.ts";
import { machineLine, sampleLoad, type LoadSample } from "./machine.ts";
import { bzImageInitSize, probeKernel, tinyInitrd } from "./memory/kernelFloor.ts";
import { traceKernel, TRACE_FRAGMENT } from "./boot/traceKernel.ts";
import { minMemory, probeMemory, STEP_MIB, type MemoryProbe } from "./memory/minMemory.ts";
import { previousQuickjsImage } from "./boot/engineImage.ts";
import { debianQuickjs } from "../runtime/build.ts";
import { bootSection, engineBootSection, HEADINGS, memorySection, restartSection, TARGETS, type MemoryData, type RunInfo } from "./report.ts";
import { measureRestarts, RESTART_CONFIG, type RestartSample } from "./restart/restarts.ts";
import { stats } from "./runtime/measure.ts";
import { RESULTS, rewriteSections } from "./resultsFile.ts";

const STEPS = ["build", "boot", "engines", "memory", "restart", "runtime", "xenstore", "xen"] as const;
type Step = (typeof STEPS)[number];
/** The dev VM's memory for the boot bench: dev mode's default. */
const BOOT_MEMORY_MIB = 512;
/** The memory search's upper end: known to work. */
const MEMORY_CEILING_MIB = 512;

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    boots: { type: "string", default: "10" },
    restarts: { type: "string", default: "20" },
    "no-write": { type: "boolean", default: false },
  },
});
const only = new Set((values.only ?? STEPS.join(",")).split(",").map((s) => s.trim()));
for (const s of only) if (!STEPS.includes(s as Step)) throw new Error(`unknown step ${s}; steps: ${STEPS.join(", ")}`);
const wants = (s: Step): boolean => only.has(s);
const boots = Number(values.boots);
const rounds = Number(values.restarts);

const log = (line: string): void => console.log(`bench: ${line}`);
const run: RunInfo = {
  date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
  command: values.only ? `npm run bench -- --only ${values.only}` : "npm run bench",
  machine: machineLine(),
};
const sections = new Map<string, string>();
let failed = false;

/** Runs a Node script that writes its own section; a failure is reported, not fatal. */
function child(script: string, args: string[] = []): boolean {
  log(`${script} ${args.join(" ")}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { stdio: "inherit" });
  if (r.status !== 0) {
    failed = true;
    log(`${script} failed (exit ${r.status ?? r.signal})`);
  }
  return r.status === 0;
}

interface AlternatingBoots<K extends string> {
  samples: Record<K, BootSample[]>;
  load: LoadSample[];
  failures: string[];
}

/**
 * `boots` pairs of dev-VM boots, one of each kind (`label` names it in the log), each sample tagged
 * with its pair's round.
 */
async function alternatingBoots<K extends string>(kinds: readonly [K, K], label: (kind: K) => string, boot: (kind: K) => Promise<BootSample>): Promise<AlternatingBoots<K>> {
  const samples = Object.fromEntries(kinds.map((k) => [k, [] as BootSample[]])) as Record<K, BootSample[]>;
  const load: LoadSample[] = [];
  const failures: string[] = [];
  // ABBA: each pair's order flips, so a drift in the machine's load hits both sides alike.
  for (let i = 0; i < boots; i++) {
    const order = i % 2 === 0 ? kinds : ([kinds[1], kinds[0]] as const);
    for (const kind of order) {
      // One retry: a boot lost to the harness (not to the init) should not cost the pair.
      for (let attempt = 1; attempt <= 2; attempt++) {
        load.push(sampleLoad());
        try {
          const s = await boot(kind);
          samples[kind].push({ ...s, round: i });
          log(
            `boot ${i + 1}/${boots} ${label(kind)}: first line ${s.firstLineMs.toFixed(0)} ms, QEMU exec ${s.qemuExecMs.toFixed(0)} ms (modules ${s.modulesMs.toFixed(0)} ms), ` +
              `guest line ${s.guestLineMs.toFixed(0)} ms${s.runningMs === undefined ? "" : `, running ${s.runningMs.toFixed(0)} ms`}`,
          );
          break;
        } catch (e) {
          failures.push(`${kind} #${i + 1}, attempt ${attempt}: ${(e as Error).message.split("\n")[0]}`);
          log(`boot ${i + 1}/${boots} ${label(kind)} failed (attempt ${attempt}): ${(e as Error).message}`);
        }
      }
    }
  }
  return { samples, load, failures };
}

/** Our init in the dev VM on today's QuickJS and on the one before, alternating pair by pair. */
async function enginesBench(images: BenchImages): Promise<void> {
  const previous = await previousQuickjsImage(images.ours, log);
  const kernel = await traceKernel(log);
  const rootfs = { current: images.ours.rootfs, previous: previous.image.rootfs };
  const versions = { current: debianQuickjs().version, previous: previous.version };
  const { samples, load, failures } = await alternatingBoots(["current", "previous"] as const, (engine) => `QuickJS ${versions[engine]}`, (engine) =>
    measureBoot({ init: "ours", kernel: kernel.vmlinuz, rootfs: rootfs[engine], memoryMiB: BOOT_MEMORY_MIB }),
  );
  sections.set(
    HEADINGS.engines,
    engineBootSection(run, {
      ...samples,
      versions,
      images: { current: images.ours, previous: previous.image },
      kernel: `${images.kernel.description} + bench/boot/${TRACE_FRAGMENT}`,
      memoryMiB: BOOT_MEMORY_MIB,
      load,
      failures,
    }),
  );
}

async function bootBench(images: BenchImages): Promise<BootSample[]> {
  // The build's kernel has no tracing: the bench boots the same kernel with bench/boot/trace.config on top.
  const kernel = await traceKernel(log);
  const { samples, load, failures } = await alternatingBoots<InitKind>(["ours", "baseline"], (init) => init, (init) =>
    measureBoot({ init, kernel: kernel.vmlinuz, rootfs: images[init].rootfs, memoryMiB: BOOT_MEMORY_MIB }),
  );
  sections.set(
    HEADINGS.boot,
    bootSection(run, { ...samples, images, kernel: `${images.kernel.description} + bench/boot/${TRACE_FRAGMENT}`, memoryMiB: BOOT_MEMORY_MIB, load, failures }),
  );
  return samples.ours;
}

async function memoryBench(images: BenchImages, ours: BootSample[]): Promise<void> {
  const load: LoadSample[] = [];
  const searches: MemoryData["searches"] = [];
  const kernel = images.kernel.path;
  const floorInitrd = tinyInitrd();
  const targets = [
    { label: "dev image, as `npm start` boots it", image: images.ours, initrd: "gzip" as const, run: (m: number) => probeMemory(m, { kernel, rootfs: images.ours.rootfs }) },
    { label: "dev image without the Xen QEMU", image: images.lean, initrd: "cpio" as const, run: (m: number) => probeMemory(m, { kernel, rootfs: images.lean.cpio }) },
    { label: "the kernel alone (busybox /init that powers off)", image: undefined, initrd: "gzip" as const, run: (m: number) => probeKernel(m, kernel, floorInitrd) },
  ];
  for (const t of targets) {
    const probe = (mib: number): Promise<MemoryProbe> => {
      load.push(sampleLoad());
      return t.run(mib);
    };
    // The target first: if it works, search below it; else between it and the ceiling.
    const atTarget = await probe(TARGETS.memoryMiB);
    log(`memory (${t.label}): -m ${TARGETS.memoryMiB}: ${atTarget.ok ? "works" : "fails"} (${atTarget.detail})`);
    const range: [number, number] = atTarget.ok ? [0, TARGETS.memoryMiB] : [TARGETS.memoryMiB, MEMORY_CEILING_MIB];
    const r = atTarget.ok
      ? await minMemory(0, TARGETS.memoryMiB, async (m) => (m === TARGETS.memoryMiB ? atTarget : probe(m)), log)
      : await minMemory(TARGETS.memoryMiB, MEMORY_CEILING_MIB, probe, log);
    const probes = atTarget.ok ? r.probes : [atTarget, ...r.probes];
    searches.push({ label: t.label, image: t.image, initrd: t.initrd, minMiB: r.minMiB, probes, range });
    log(`memory (${t.label}): smallest that works ${r.minMiB ?? "none"} MiB (${STEP_MIB} MiB steps)`);
  }
  const rssKb = ours.length ? stats(ours.map((s) => initMemory(s.probe).pid1HwmKb)) : undefined;
  sections.set(HEADINGS.memory, memorySection(run, { searches, rssKb, load, kernelInitSize: bzImageInitSize(kernel), kernel: images.kernel.description }));
}

async function restartBench(images: BenchImages): Promise<void> {
  const load = [sampleLoad()];
  const samples: RestartSample[] = await measureRestarts(images.ours.rootfs, rounds, (l) => log(l));
  sections.set(HEADINGS.restart, restartSection(run, { samples, config: { ...RESTART_CONFIG }, load }));
}

function writeSections(): void {
  if (sections.size === 0 || values["no-write"]) return;
  rewriteSections(sections);
  log(`${RESULTS}: ${[...sections.keys()].map((h) => `"${h}"`).join(", ")} updated`);
}

log(`machine: ${run.machine}`);
if (wants("build") && !(child("host/image/build.ts") && child("host/image/build.ts", ["--out", BENCH_BUILD_DIR]))) process.exit(1);
let images: BenchImages | undefined;
if (wants("boot") || wants("engines") || wants("memory") || wants("restart")) images = buildBenchImages(log);
/** A step that throws is reported and leaves its section as it was; the others still run. */
async function step<T>(name: Step, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    failed = true;
    log(`${name} failed: ${(e as Error).message}`);
    return undefined;
  }
}
let ours: BootSample[] = [];
if (images && wants("boot")) ours = (await step("boot", () => bootBench(images))) ?? [];
if (images && wants("engines")) await step("engines", () => enginesBench(images));
if (images && wants("memory")) await step("memory", () => memoryBench(images, ours));
if (images && wants("restart")) await step("restart", () => restartBench(images));
writeSections();
for (const [heading, body] of sections) console.log(`\n${body}`.replace(heading, `${heading} (written)`));
if (wants("runtime")) child("bench/runtime/run.ts");
if (wants("xenstore")) {
  if (existsSync("bench/xenstore/run.ts")) child("bench/xenstore/run.ts");
  else log("bench/xenstore/run.ts does not exist yet: the XenStore section is left as it is");
}
if (wants("xen")) child("bench/xen/run.ts");
// The native harness leaves its unpacked root for process exit to remove; nothing else should keep us.
process.exit(failed ? 1 : 0);
