// The "## Real Xen: the seeds' table" section of bench/RESULTS.md, from the samples of one run. Pure.
import { stats } from "../runtime/measure.ts";
import type { RunInfo } from "../report.ts";
import { DISK_IO_MIB, MILESTONES, NET_MIB, type CpuSeconds, type DeviceModel, type FullSample, type StartupSample } from "./seedsRound.ts";

export const SEEDS_HEADING = "## Real Xen: the seeds' table";

/** Issue 21's targets, each a ratio of our stubdom over the dom0 device model in one run. */
export const SEEDS_TARGETS = { startupRatio: 1.3, throughputRatio: 0.9 } as const;

export interface SeedsSamples {
  /** Every create's startup: the startup-only ones and the full samples'. */
  startups: StartupSample[];
  full: FullSample[];
  /** A sample that failed, in a sentence. */
  failures: string[];
}

export interface SeedsRelease {
  release: string;
  /** Xen, QEMU and kernel packages, as the bed names them. */
  versions: string;
  stubdomMemory: string;
  samples: Record<DeviceModel, SeedsSamples>;
}

const defined = (xs: (number | undefined)[]): number[] => xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
const median = (xs: number[]): number | undefined => (xs.length === 0 ? undefined : stats(xs).median);
const mmm = (xs: number[], fmt: (n: number) => string): string => {
  if (xs.length === 0) return "n/a";
  const s = stats(xs);
  return `${fmt(s.min)} / ${fmt(s.median)} / ${fmt(s.max)} (${xs.length})`;
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const rate = (mibs: number): string => `${mibs.toFixed(2)} MiB/s`;
const ratio = (ours: number[], dom0: number[]): number | undefined => {
  const a = median(ours);
  const b = median(dom0);
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
};
const times = (r: number | undefined): string => (r === undefined ? "n/a" : `${r.toFixed(2)}×`);
const verdict = (r: number | undefined, ok: (r: number) => boolean, target: string): string => (r === undefined ? `${target}: not measured` : `${target}: ${ok(r) ? "met" : "**missed**"}`);

interface Row {
  what: string;
  pick: (s: SeedsSamples) => number[];
  fmt: (n: number) => string;
  target?: { text: string; ok: (r: number) => boolean };
}

const throughput = { text: `≥ ${SEEDS_TARGETS.throughputRatio}×`, ok: (r: number) => r >= SEEDS_TARGETS.throughputRatio };
const ROWS: Row[] = [
  { what: "stubdom startup: `xl create` until it returns (libxl has its device model)", pick: (s) => defined(s.startups.map((x) => x.createMs)), fmt: sec, target: { text: `≤ ${SEEDS_TARGETS.startupRatio}×`, ok: (r) => r <= SEEDS_TARGETS.startupRatio } },
  { what: "boot: `xl create` until the guest answers ping", pick: (s) => defined(s.full.map((x) => x.answersMs)), fmt: sec },
  { what: `network, dom0 to guest: HTTP GET of ${NET_MIB} MiB`, pick: (s) => defined(s.full.map((x) => x.downMiBs)), fmt: rate, target: throughput },
  { what: `network, guest to dom0: HTTP POST of ${NET_MIB} MiB`, pick: (s) => defined(s.full.map((x) => x.upMiBs)), fmt: rate, target: throughput },
  { what: `disk read: dd ${DISK_IO_MIB} MiB, 1 MiB blocks, iflag=direct`, pick: (s) => defined(s.full.map((x) => x.diskReadMiBs)), fmt: rate, target: throughput },
  { what: `disk write: dd ${DISK_IO_MIB} MiB, 1 MiB blocks, oflag=direct`, pick: (s) => defined(s.full.map((x) => x.diskWriteMiBs)), fmt: rate, target: throughput },
];

/**
 * Where `xl create`'s time goes: its milestones in the order of their median time, each with its time
 * since `xl create` began and the step from the one before, min / median / max over every create.
 */
function breakdown(startups: StartupSample[], dm: DeviceModel): string[] {
  const keys = Object.keys(MILESTONES).filter((k) => startups.some((s) => s.milestones[k] !== undefined));
  const at = (k: string): number[] => defined(startups.map((s) => s.milestones[k]));
  keys.sort((a, b) => (median(at(a)) ?? 0) - (median(at(b)) ?? 0));
  const rows = [...keys, "xl"].map((k, i) => {
    const when = (s: StartupSample, key: string | undefined): number | undefined => (key === undefined ? 0 : key === "xl" ? s.createMs : s.milestones[key]);
    const before = i === 0 ? undefined : keys[i - 1];
    const step = defined(startups.map((s) => {
      const a = when(s, before);
      const b = when(s, k);
      return a === undefined || b === undefined ? undefined : b - a;
    }));
    const what = k === "xl" ? "`xl create` returns" : MILESTONES[k]!.what;
    return `| ${what} | ${mmm(k === "xl" ? startups.map((s) => s.createMs) : at(k), sec)} | ${mmm(step, sec)} |`;
  });
  return [`| ${dm === "stubdom" ? "our stubdom" : "QEMU in dom0"}: \`xl create\` until | since it began | step from the line above |`, "| --- | ---: | ---: |", ...rows];
}

/** The init's own boot steps (health boot-ms), medians over the creates that have them. */
function initSteps(startups: StartupSample[]): string {
  const names = [...new Set(startups.flatMap((s) => Object.keys(s.bootMs ?? {})))];
  const parts = names.map((n) => `${n} ${median(defined(startups.map((s) => s.bootMs?.[n]))) ?? "?"}`);
  return parts.length === 0 ? "" : `The init's own boot steps inside that (health \`boot-ms/<step>\`, median ms): ${parts.join(", ")}.`;
}

const DOMAINS = ["dom0", "guest", "stubdom"] as const;

/**
 * Where the CPU went while the data moved: each domain's CPU seconds (xl list), medians over the
 * full samples. The bed has one CPU, so throughput there is the inverse of CPU per MiB.
 */
function cpuTable(r: SeedsRelease): string[] {
  const rows: string[] = [];
  for (const [what, pick] of [
    [`network (${NET_MIB} MiB each way)`, (c: { network: CpuSeconds; disk: CpuSeconds }) => c.network],
    [`disk (${DISK_IO_MIB} MiB each way)`, (c: { network: CpuSeconds; disk: CpuSeconds }) => c.disk],
  ] as const) {
    for (const dm of ["stubdom", "dom0"] as const) {
      const cpus = r.samples[dm].full.flatMap((f) => (f.cpu ? [pick(f.cpu)] : []));
      if (cpus.length === 0) continue;
      const med = (d: (typeof DOMAINS)[number]): number | undefined => median(defined(cpus.map((c) => c[d])));
      const all = median(defined(cpus.map((c) => (DOMAINS.some((d) => c[d] !== undefined) ? DOMAINS.reduce((t, d) => t + (c[d] ?? 0), 0) : undefined))));
      const cell = (n: number | undefined): string => (n === undefined ? "-" : `${n.toFixed(1)} s`);
      rows.push(`| ${what}, ${dm === "stubdom" ? "our stubdom" : "QEMU in dom0"} | ${DOMAINS.map((d) => cell(med(d))).join(" | ")} | ${cell(all)} |`);
    }
  }
  if (rows.length === 0) return [];
  return ["CPU seconds each domain used while the data moved (`xl list`), median over the full samples:", "", "| | dom0 | guest | stubdom | all |", "| --- | ---: | ---: | ---: | ---: |", ...rows, ""];
}

function releaseTables(r: SeedsRelease): string[] {
  const ours = r.samples.stubdom;
  const dom0 = r.samples.dom0;
  const lines = [
    `### Xen ${r.release}`,
    "",
    `${r.versions}; our stubdom at ${r.stubdomMemory}. min / median / max (samples); the ratio is of the medians, stubdom over dom0.`,
    "",
    "| | our stubdom | QEMU in dom0 | stubdom ÷ dom0 | target |",
    "| --- | ---: | ---: | ---: | --- |",
    ...ROWS.map((row) => {
      const a = row.pick(ours);
      const b = row.pick(dom0);
      const r2 = ratio(a, b);
      return `| ${row.what} | ${mmm(a, row.fmt)} | ${mmm(b, row.fmt)} | ${times(r2)} | ${row.target ? verdict(r2, row.target.ok, row.target.text) : "-"} |`;
    }),
    "",
    ...cpuTable(r),
    ...breakdown(ours.startups, "stubdom"),
    "",
    ...breakdown(dom0.startups, "dom0"),
    "",
  ];
  const steps = initSteps(ours.startups);
  if (steps) lines.push(steps, "");
  const failed = [...ours.failures.map((f) => `our stubdom: ${f}`), ...dom0.failures.map((f) => `QEMU in dom0: ${f}`)];
  if (failed.length > 0) lines.push("Samples that failed:", "", ...failed.map((f) => `- ${f}`), "");
  return lines;
}

export function seedsSection(run: RunInfo, releases: SeedsRelease[], how: string): string {
  return [
    SEEDS_HEADING,
    "",
    `Written by \`${run.command}\` (bench/xen/run.ts) on ${run.date}: ${how}`,
    `Machine: ${run.machine}.`,
    "",
    ...releases.flatMap(releaseTables),
  ].join("\n");
}
