// The "## Real Xen: the stubdom's smallest memory" section of bench/RESULTS.md: one full sample of
// the seeds' guest per stubdomain_memory, largest first, until one fails. Pure.
import type { RunInfo } from "../report.ts";
import type { FullSample } from "./seedsRound.ts";

export const MEMORY_FLOOR_HEADING = "## Real Xen: the stubdom's smallest memory";

/** Issue 21's aims, in MiB: what the seeds' 2012 stubdom had, and the smaller of ours. */
export const MEMORY_AIMS = { seeds: 40, ours: 48 } as const;

export interface MemoryProbe {
  mib: number;
  sample?: FullSample;
  /** Why the sample failed, in a sentence. */
  failure?: string;
}

export interface MemoryFloorRelease {
  release: string;
  versions: string;
  probes: MemoryProbe[];
}

/** A probe works when every figure was measured and the stubdom ran throughout: still running, QEMU never restarted, no OOM. */
export function probeWorks(p: MemoryProbe): boolean {
  const s = p.sample;
  if (!s?.stubdom) return false;
  const measured = [s.answersMs, s.downMiBs, s.upMiBs, s.diskReadMiBs, s.diskWriteMiBs].every((x) => x !== undefined);
  return measured && s.stubdom.state === "running" && s.stubdom.qemuRestarts === 0 && s.stubdom.oomLines === 0;
}

const mib = (kb: number | undefined): string => (kb === undefined ? "?" : `${(kb / 1024).toFixed(1)} MiB`);
const f2 = (n: number | undefined): string => (n === undefined ? "?" : n.toFixed(2));

/** A sentence as one table cell: its pipes would end the cell, its line breaks the row. */
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\s*[\r\n]+\s*/g, " ");

function row(p: MemoryProbe): string {
  const s = p.sample;
  const a = s?.stubdom;
  const result = probeWorks(p) ? "works" : `**fails**: ${cell(p.failure ?? "") || (a ? `state ${a.state || "(none)"}, QEMU restarts ${a.qemuRestarts ?? "?"}, OOM lines ${a.oomLines}` : "no health read")}`;
  const figures = s ? `${((s.answersMs ?? NaN) / 1000).toFixed(1)} s; ${f2(s.downMiBs)} / ${f2(s.upMiBs)}; ${f2(s.diskReadMiBs)} / ${f2(s.diskWriteMiBs)}` : "-";
  return `| ${p.mib} | ${result} | ${mib(a?.memAvailableKb)} | ${mib(a?.qemuRssKb)} | ${figures} |`;
}

function releaseLines(r: MemoryFloorRelease): string[] {
  const works = r.probes.filter(probeWorks).map((p) => p.mib);
  const fails = r.probes.filter((p) => !probeWorks(p)).map((p) => p.mib);
  const floor = works.length ? Math.min(...works) : undefined;
  const below = fails.filter((m) => floor === undefined || m < floor);
  const found = floor === undefined ? "no size tried works" : below.length ? `**${floor} MiB** works and ${Math.max(...below)} MiB does not` : `**${floor} MiB** works (nothing smaller was tried)`;
  const aim = (n: number): string => (floor === undefined ? "not measured" : floor <= n ? "met" : "**missed**");
  return [
    `### Xen ${r.release}`,
    "",
    `${r.versions}.`,
    "",
    "| stubdomain_memory (MiB) | result | MemAvailable after the disk step | QEMU's RSS | boot to ping; network down / up (MiB/s); disk read / write (MiB/s) |",
    "| ---: | --- | ---: | ---: | --- |",
    ...r.probes.map(row),
    "",
    `Smallest: ${found}. Aims: ${MEMORY_AIMS.ours} MiB ${aim(MEMORY_AIMS.ours)}, the seeds' ${MEMORY_AIMS.seeds} MB ${aim(MEMORY_AIMS.seeds)}.`,
    "",
  ];
}

export function memoryFloorSection(run: RunInfo, releases: MemoryFloorRelease[], how: string): string {
  return [MEMORY_FLOOR_HEADING, "", `Written by \`${run.command}\` (bench/xen/run.ts) on ${run.date}: ${how}`, `Machine: ${run.machine}.`, "", ...releases.flatMap(releaseLines)].join("\n");
}
