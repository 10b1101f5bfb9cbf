// `npm run bench:runtime [-- --runs N] [-- --no-init] [-- --no-write]`: stubjs against Node on the same
// bench bundle (bench/runtime/work.ts): binary size, time to the first line and peak RSS of each
// run, N runs alternating the two, min/median/max and ratios; then the real init's memory as PID 1
// (when the dev rootfs is built). Writes the "## Runtime" section of bench/RESULTS.md, leaving the
// other sections as they are.
import { readFileSync, realpathSync, statSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { bundleInit } from "../../init/bundle.ts";
import { buildRuntime } from "../../runtime/build.ts";
import { RESULTS, rewriteSections } from "../resultsFile.ts";
import { initRssUnavailable, measureInit, type InitMemory } from "./initRss.ts";
import { measureOnce, stats, type Sample, type Stats } from "./measure.ts";

const HEADING = "## Runtime";
const BUNDLE = "build/bench/runtime/bench.mjs";
const TARGET_BINARY = 1024 * 1024;
const TARGET_RSS_KB = 4 * 1024;

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    "init-runs": { type: "string", default: "3" },
    "no-init": { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const initRuns = Number(values["init-runs"]);

const kib = (bytes: number): string => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);
const ms = (s: Stats): string => `${s.min.toFixed(1)} / ${s.median.toFixed(1)} / ${s.max.toFixed(1)} ms`;
const mib = (s: Stats): string => `${(s.min / 1024).toFixed(2)} / ${(s.median / 1024).toFixed(2)} / ${(s.max / 1024).toFixed(2)} MiB`;
const ratio = (node: number, stub: number): string => `${(node / stub).toFixed(1)}×`;
const yes = (ok: boolean): string => (ok ? "met" : "**missed**");

const stubjs = await buildRuntime();
await bundleInit(BUNDLE, "bench/runtime/work.ts");
const node = realpathSync(process.execPath);
const runtimes = { stubjs: [stubjs, BUNDLE], node: [node, BUNDLE] } as const;

const samples: Record<keyof typeof runtimes, Sample[]> = { stubjs: [], node: [] };
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? (["stubjs", "node"] as const) : (["node", "stubjs"] as const);
  for (const name of order) samples[name].push(await measureOnce([...runtimes[name]]));
}
// Same bundle, same answer: everything but the self-timed milliseconds must match.
const strip = (l: string): string => l.replace(/, \d+ ms of work$/, "");
if (strip(samples.stubjs[0].line) !== strip(samples.node[0].line)) throw new Error(`the runtimes disagree:\n${samples.stubjs[0].line}\n${samples.node[0].line}`);
const workMs = (x: Sample): number => Number(/(\d+) ms of work$/.exec(x.line)![1]);
const work = (s: Sample[]): Stats => stats(s.map(workMs));
/** Per run: the first line's time less the work the bundle timed itself: start-up, load, print. */
const startup = (s: Sample[]): Stats => stats(s.map((x) => x.firstLineMs - workMs(x)));

const first = { stubjs: stats(samples.stubjs.map((s) => s.firstLineMs)), node: stats(samples.node.map((s) => s.firstLineMs)) };
const rss = { stubjs: stats(samples.stubjs.map((s) => s.peakRssKb)), node: stats(samples.node.map((s) => s.peakRssKb)) };
const size = { stubjs: statSync(stubjs).size, node: statSync(node).size };

let init: Stats[] | string;
const unavailable = values["no-init"] ? "skipped (--no-init)" : initRssUnavailable();
if (unavailable) init = unavailable;
else {
  const got: InitMemory[] = [];
  for (let i = 0; i < initRuns; i++) got.push(await measureInit());
  init = [stats(got.map((g) => g.vmHwmKb)), stats(got.map((g) => g.vmRssKb))];
}

const cpu = cpus()[0]?.model ?? "unknown CPU";
const machine = `${cpu}, ${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, Node ${process.version}`;
const lines = [
  HEADING,
  "",
  `Written by \`npm run bench:runtime\` (bench/runtime/run.ts, ${runs} runs of each, alternating) on ${new Date().toISOString().slice(0, 10)}.`,
  `Machine: ${machine}.`,
  "",
  `Both run the same bundle, \`${BUNDLE}\` (${kib(statSync(BUNDLE).size)}, built from bench/runtime/work.ts by the init's`,
  "esbuild setup): resolve the config layers, order and translate a shuffled 1500-key dm-argv, encode and decode",
  "1000 XenStore frames, print one line, exit. Time to first line is from spawn to that line (it includes the",
  "work, which the bundle also times itself, so each run splits into work and the rest); peak RSS is ru_maxrss",
  "from `/usr/bin/time -v`, from the same process. min / median / max:",
  "",
  "| | stubjs | node | node ÷ stubjs (median) |",
  "| --- | ---: | ---: | ---: |",
  `| binary size | ${kib(size.stubjs)} | ${kib(size.node)} | ${ratio(size.node, size.stubjs)} |`,
  `| time to first line | ${ms(first.stubjs)} | ${ms(first.node)} | ${ratio(first.node.median, first.stubjs.median)} |`,
  `| peak RSS | ${mib(rss.stubjs)} | ${mib(rss.node)} | ${ratio(rss.node.median, rss.stubjs.median)} |`,
  `| of which the work (self-timed) | ${ms(work(samples.stubjs))} | ${ms(work(samples.node))} | ${ratio(work(samples.node).median, work(samples.stubjs).median)} |`,
  `| of which the rest: start, load, print | ${ms(startup(samples.stubjs))} | ${ms(startup(samples.node))} | ${ratio(startup(samples.node).median, startup(samples.stubjs).median)} |`,
  "",
  "QuickJS interprets; V8 compiles. The work is a few times slower under stubjs, start-up is an order of",
  "magnitude faster, and memory is what the stubdom cares about.",
  "",
  typeof init === "string"
    ? `The init as PID 1: not measured (${init}).`
    : `The init as PID 1 (the dev rootfs's stubjs + init bundle, booted by the native tier's harness against the dev xenstored with real QEMU; /proc/<pid>/status once health says running, ${initRuns} boots): VmHWM ${mib(init[0])}, VmRSS ${mib(init[1])}.`,
  "",
  "Targets:",
  `- stubjs ≤ 1 MiB: ${kib(size.stubjs)}, ${yes(size.stubjs <= TARGET_BINARY)}.`,
  `- RSS ≤ 4 MiB for the init: bench bundle peak ${(rss.stubjs.max / 1024).toFixed(2)} MiB (${yes(rss.stubjs.max <= TARGET_RSS_KB)})` +
    (typeof init === "string" ? "; the init itself not measured." : `; the init as PID 1 peaks at ${(init[0].max / 1024).toFixed(2)} MiB (${yes(init[0].max <= TARGET_RSS_KB)}).`),
  "",
];
const section = lines.join("\n");
console.log(section);
if (!values["no-write"]) {
  rewriteSections([[HEADING, section]]);
  console.log(`bench: ${RESULTS} "${HEADING}" updated`);
}
