// `npm run bench:runtime [-- --runs N] [-- --no-init] [-- --no-write]`: stubjs on today's QuickJS
// (Debian 13's) and on the one before it (bench/runtime/previousQuickjs.ts), and Node, on the same
// bench bundle (bench/runtime/work.ts), each stubjs also on its own bytecode of it: binary size, time
// to the first line and peak RSS of each run, N rounds, min/median/max and ratios; then the real init's memory as PID 1
// (when the dev rootfs is built). Writes the "## Runtime" section of bench/RESULTS.md, leaving the
// other sections as they are.
import { readFileSync, realpathSync, statSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bundleInit } from "../../init/bundle.ts";
import { buildRuntime, debianQuickjs } from "../../runtime/build.ts";
import { bytecodeIn } from "./bytecodeIn.ts";
import { RESULTS, rewriteSections } from "../resultsFile.ts";
import { initRssUnavailable, measureInit, type InitMemory } from "./initRss.ts";
import { measureOnce, stats, type Sample, type Stats } from "./measure.ts";
import { previousQuickjs } from "./previousQuickjs.ts";

const HEADING = "## Runtime";
const BENCH_DIR = "build/bench/runtime";
const BUNDLE = join(BENCH_DIR, "bench.mjs");
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

const engines = { new: debianQuickjs(console.log), old: previousQuickjs(console.log) };
const stubjs = { new: await buildRuntime(), old: await buildRuntime(join(BENCH_DIR, "quickjs-previous"), engines.old) };
await bundleInit(BUNDLE, "bench/runtime/work.ts");
const bytecode = {
  new: await bytecodeIn(join(BENCH_DIR, "bytecode-new"), BUNDLE, engines.new),
  old: await bytecodeIn(join(BENCH_DIR, "bytecode-old"), BUNDLE, engines.old),
};
const node = realpathSync(process.execPath);
/** Each runtime on the bundle's source; each stubjs also on its own stubjsc's bytecode of it. */
const runtimes = {
  new: [stubjs.new, BUNDLE],
  old: [stubjs.old, BUNDLE],
  node: [node, BUNDLE],
  newBytecode: [stubjs.new, bytecode.new],
  oldBytecode: [stubjs.old, bytecode.old],
} as const;
type Runtime = keyof typeof runtimes;
const names = Object.keys(runtimes) as Runtime[];

const samples = Object.fromEntries(names.map((n) => [n, [] as Sample[]])) as Record<Runtime, Sample[]>;
for (let i = 0; i < runs; i++) {
  // Each round starts with another runtime, so none is always first after the others.
  const order = names.map((_, j) => names[(i + j) % names.length]);
  for (const name of order) samples[name].push(await measureOnce([...runtimes[name]]));
}
// Same bundle, same answer: everything but the self-timed milliseconds must match.
const strip = (l: string): string => l.replace(/, \d+ ms of work$/, "");
for (const n of names) {
  if (strip(samples[n][0].line) !== strip(samples.node[0].line)) throw new Error(`the runtimes disagree:\n${n}: ${samples[n][0].line}\nnode: ${samples.node[0].line}`);
}
const workMs = (x: Sample): number => Number(/(\d+) ms of work$/.exec(x.line)![1]);
const per = (f: (x: Sample) => number): Record<Runtime, Stats> =>
  Object.fromEntries(names.map((n) => [n, stats(samples[n].map(f))])) as Record<Runtime, Stats>;
const first = per((x) => x.firstLineMs);
const rss = per((x) => x.peakRssKb);
const work = per(workMs);
/** Per run: the first line's time less the work the bundle timed itself: start-up, load, print. */
const startup = per((x) => x.firstLineMs - workMs(x));
const size = { new: statSync(stubjs.new).size, old: statSync(stubjs.old).size, node: statSync(node).size };

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
const v = { new: engines.new.version, old: engines.old.version };
/** One table row: the new stubjs, the old, new ÷ old, node, node ÷ new. */
const row = (what: string, n: Stats, o: Stats, nd: Stats | undefined, show: (s: Stats) => string): string =>
  `| ${what} | ${show(n)} | ${show(o)} | ${ratio(n.median, o.median)} | ${nd ? show(nd) : "-"} | ${nd ? ratio(nd.median, n.median) : "-"} |`;
const one = (x: number): Stats => stats([x]);
const lines = [
  HEADING,
  "",
  `Written by \`npm run bench:runtime\` (bench/runtime/run.ts, ${runs} rounds of the five runs below, each round starting with another) on ${new Date().toISOString().slice(0, 10)}.`,
  `Machine: ${machine}.`,
  "",
  `stubjs on QuickJS ${v.new} (${engines.new.origin}, what the image runs) and on QuickJS ${v.old} (${engines.old.origin},`,
  `what it ran before), built by runtime/build.ts from the same runtime/native/ sources, and Node. All run the same bundle,`,
  `\`${BUNDLE}\` (${kib(statSync(BUNDLE).size)}, built from bench/runtime/work.ts by the init's`,
  "esbuild setup): resolve the config layers, order and translate a shuffled 1500-key dm-argv, encode and decode",
  "1000 XenStore frames, print one line, exit. Each stubjs also runs its own stubjsc's bytecode of it, as the image",
  "runs the init. Time to first line is from spawn to that line (it includes the",
  "work, which the bundle also times itself, so each run splits into work and the rest); peak RSS is ru_maxrss",
  "from `/usr/bin/time -v`, from the same process. min / median / max:",
  "",
  `| | stubjs, QuickJS ${v.new} | stubjs, QuickJS ${v.old} | ${v.new} ÷ ${v.old} (median) | node | node ÷ stubjs ${v.new} (median) |`,
  "| --- | ---: | ---: | ---: | ---: | ---: |",
  row("binary size", one(size.new), one(size.old), one(size.node), (s) => kib(s.median)),
  row("time to first line", first.new, first.old, first.node, ms),
  row("peak RSS", rss.new, rss.old, rss.node, mib),
  row("of which the work (self-timed)", work.new, work.old, work.node, ms),
  row("of which the rest: start, load, print", startup.new, startup.old, startup.node, ms),
  row("bytecode: the bundle's .jsbc", one(statSync(bytecode.new).size), one(statSync(bytecode.old).size), undefined, (s) => kib(s.median)),
  row("bytecode: time to first line", first.newBytecode, first.oldBytecode, undefined, ms),
  row("bytecode: peak RSS", rss.newBytecode, rss.oldBytecode, undefined, mib),
  row("bytecode: the rest (start, load, print)", startup.newBytecode, startup.oldBytecode, undefined, ms),
  "",
  "QuickJS interprets; V8 compiles. The work is a few times slower under stubjs, start-up is an order of",
  "magnitude faster, and memory is what the stubdom cares about.",
  "",
  typeof init === "string"
    ? `The init as PID 1: not measured (${init}).`
    : `The init as PID 1 (the dev rootfs's stubjs + init bundle, booted by the native tier's harness against the dev xenstored with real QEMU; /proc/<pid>/status once health says running, ${initRuns} boots): VmHWM ${mib(init[0])}, VmRSS ${mib(init[1])}.`,
  "",
  "Targets:",
  `- stubjs ≤ 1 MiB: ${kib(size.new)}, ${yes(size.new <= TARGET_BINARY)}.`,
  `- RSS ≤ 4 MiB for the init: bench bundle peak ${(rss.new.max / 1024).toFixed(2)} MiB (${yes(rss.new.max <= TARGET_RSS_KB)})` +
    (typeof init === "string" ? "; the init itself not measured." : `; the init as PID 1 peaks at ${(init[0].max / 1024).toFixed(2)} MiB (${yes(init[0].max <= TARGET_RSS_KB)}).`),
  "",
];
const section = lines.join("\n");
console.log(section);
if (!values["no-write"]) {
  rewriteSections([[HEADING, section]]);
  console.log(`bench: ${RESULTS} "${HEADING}" updated`);
}
