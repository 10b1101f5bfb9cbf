// The bench's own sections of bench/RESULTS.md ("## Boot", "## Memory", "## Restart"), as text
// from the measured data. Pure.
import { stats, type Stats } from "./runtime/measure.ts";
import { filesOnlyIn, type BenchImage } from "./boot/images.ts";
import type { BootSample } from "./boot/devBoot.ts";
import { initMemory } from "./boot/probe.ts";
import type { LoadSample } from "./machine.ts";
import type { MemoryProbe } from "./memory/minMemory.ts";
import type { RestartSample } from "./restart/restarts.ts";

export const HEADINGS = { boot: "## Boot", engines: "## Boot on each QuickJS", memory: "## Memory", restart: "## Restart" } as const;

export const TARGETS = { execRatio: 0.5, firstLineRatio: 2, guestLineRatio: 1, memoryMiB: 64, rssKb: 4 * 1024, restartExecMs: 50 } as const;

export interface RunInfo {
  date: string;
  command: string;
  machine: string;
}

const met = (ok: boolean): string => (ok ? "met" : "**missed**");
const kib = (b: number): string => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const mmm = (s: Stats, digits = 0, unit = " ms"): string => s.min === undefined ? "n/a" : `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}${unit}`;
const mib = (kb: Stats): string => kb.min === undefined ? "n/a" : `${(kb.min / 1024).toFixed(2)} / ${(kb.median / 1024).toFixed(2)} / ${(kb.max / 1024).toFixed(2)} MiB`;

export function loadLine(samples: readonly LoadSample[]): string {
  if (samples.length === 0) return "";
  const l = stats(samples.map((s) => s.load1));
  const q = stats(samples.map((s) => s.otherQemus));
  return `Load while measuring (sampled before each run, min / median / max): 1-minute load average ${l.min.toFixed(2)} / ${l.median.toFixed(2)} / ${l.max.toFixed(2)}; other QEMU processes on the machine ${q.min} / ${q.median} / ${q.max}.`;
}

function header(heading: string, run: RunInfo, what: string, load: readonly LoadSample[]): string[] {
  return [heading, "", `Written by \`${run.command}\` (bench/run.ts) on ${run.date}: ${what}`, `Machine: ${run.machine}.`, loadLine(load), ""];
}

export interface BootData {
  ours: BootSample[];
  baseline: BootSample[];
  images: { ours: BenchImage; baseline: BenchImage };
  kernel: string;
  memoryMiB: number;
  load: LoadSample[];
  failures: string[];
}

/** Per-pair ratios ours ÷ baseline over the rounds both have a value for, as stats. */
function pairRatios(ours: ReadonlyMap<number, number>, base: ReadonlyMap<number, number>): Stats | undefined {
  const r = [...ours].filter(([round]) => base.has(round)).map(([round, v]) => v / base.get(round)!);
  return r.length ? stats(r) : undefined;
}

/** round -> value, for the samples that have one. */
const byRound = <T extends { round?: number }>(xs: readonly T[], pick: (x: T) => number | undefined): Map<number, number> =>
  new Map(xs.flatMap((x, i) => {
    const v = pick(x);
    return v === undefined ? [] : [[x.round ?? i, v] as [number, number]];
  }));

/** One table row of two sides' boots paired by round: each side's figures, and the median and range of the per-pair ratios a ÷ b. */
function pairedRow(label: string, a: readonly BootSample[], b: readonly BootSample[], pick: (s: BootSample) => number | undefined, fmt: (s: Stats) => string = (s) => mmm(s)): string {
  const x = byRound(a, pick);
  const y = byRound(b, pick);
  const r = pairRatios(x, y);
  const cell = (v: Map<number, number>): string => (v.size ? fmt(stats([...v.values()])) : "n/a");
  return `| ${label} | ${cell(x)} | ${cell(y)} | ${r ? `${r.median.toFixed(2)}× (${r.min.toFixed(2)}-${r.max.toFixed(2)})` : "-"} |`;
}

/** The step names of our init's health boot-ms/<step> over the boots, and one step's milliseconds in a boot. */
const bootSteps = (xs: readonly BootSample[]): string[] => [...new Set(xs.flatMap((x) => Object.keys(x.bootMsKeys ?? {})))];
const bootStepMs = (key: string) => (x: BootSample): number | undefined => {
  const v = Number(x.bootMsKeys?.[key] ?? NaN);
  return Number.isNaN(v) ? undefined : v;
};

/** Our init's own step times (health boot-ms/<step>), median over the boots. */
function ourSteps(xs: readonly BootSample[]): string {
  const parts = bootSteps(xs).map((k) => `${k} ${stats(xs.flatMap((x) => bootStepMs(k)(x) ?? [])).median.toFixed(0)}`);
  return parts.length ? `Our init's own step times (health \`boot-ms/<step>\`, median, ms): ${parts.join(", ")}.` : "";
}

export function bootSection(run: RunInfo, d: BootData): string {
  const row = (label: string, pick: (s: BootSample) => number | undefined, fmt?: (s: Stats) => string): string => pairedRow(label, d.ours, d.baseline, pick, fmt);
  const memBase = d.baseline.map((s) => initMemory(s.probe));
  const memRow = (label: string, pick: (m: ReturnType<typeof initMemory>) => number): string => {
    const o = byRound(d.ours, (s) => pick(initMemory(s.probe)));
    const b = byRound(d.baseline, (s) => pick(initMemory(s.probe)));
    const r = pairRatios(o, b);
    return `| ${label} | ${mib(stats([...o.values()]))} | ${mib(stats([...b.values()]))} | ${r ? `${r.median.toFixed(2)}×` : "-"} |`;
  };
  const execOurs = byRound(d.ours, (s) => s.qemuExecMs);
  const execBase = byRound(d.baseline, (s) => s.qemuExecMs);
  const execRatio = pairRatios(execOurs, execBase);
  const ratioOf = (pick: (s: BootSample) => number | undefined) => pairRatios(byRound(d.ours, pick), byRound(d.baseline, pick));
  const target = (what: string, r: Stats | undefined, limit: number): string =>
    r ? `- ${what} ≤ ${limit}× the shell baseline: ${r.median.toFixed(2)}× (median of the pairs), ${met(r.median <= limit)}.` : `- ${what}: not measured.`;
  const onlyOurs = filesOnlyIn(d.images.ours, d.images.baseline);
  const onlyBase = filesOnlyIn(d.images.baseline, d.images.ours);
  const files = (fs: { path: string; bytes: number }[]): string => fs.map((f) => `\`${f.path}\` ${kib(f.bytes)}`).join(" + ");
  const others = stats(memBase.map((m) => m.others.length)).median;
  const n = [...execOurs.keys()].filter((r) => execBase.has(r)).length;
  const bridges = (xs: readonly BootSample[]): string => {
    const counts = new Map<string, number>();
    for (const x of xs) {
      const key = x.probe.bridges.join("; ") || "none";
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([k, c]) => `${k} (${c} of ${xs.length})`).join(", ");
  };
  return [
    ...header(HEADINGS.boot, run, `${d.ours.length} boots of our init and ${d.baseline.length} of the shell baseline in the dev VM, alternating (ours, baseline, baseline, ours, ...), all in one run.`, d.load),
    `Both boot the same kernel (${d.kernel}) and the same dev-flavour rootfs except the init, in dev mode's VM`,
    `(QEMU TCG, 1 vCPU, ${d.memoryMiB} MiB) with a virtio NIC added as the PV vif, and the demo guest's argv plus a tap NIC as`,
    "libxl writes it (`-netdev type=tap,ifname=vif1.0-emu,...` and `-device e1000,...`), so both inits bridge it.",
    `- ours: \`/init\` = stubjs + the init bundle: ${files(onlyOurs)} (${kib(d.images.ours.unpackedBytes)} unpacked image).`,
    `- baseline: the same manifest with ${files(onlyBase)} (${kib(d.images.baseline.unpackedBytes)} unpacked): bench/boot/baseline-init.sh,`,
    "  a busybox-sh PID 1 written here that does the job the way Qubes' init does (shared/research/anchors-stubdom.md",
    "  1.2-1.5): mounts, `xenstore-read`/`-list`/`-exists` per key through Xen's own client (Debian's xenstore-utils,",
    "  `XENSTORED_PATH` = the virtio port device), `ip`/`brctl` for eth0 + br0, a background job polling for QEMU's tap,",
    "  the kmsg drain, QEMU in the background, vchan-socket-proxy, the \"press enter\" shell. It also loads the kernel",
    "  modules our init's list names with `insmod` (none when the kernel has them built in, as the default one and Qubes'",
    "  do). libxenstore is in both images already.",
    "",
    "How it is timed. Inside the VM, the kernel's own boot-time trace (`trace_event=sched:sched_process_fork,",
    "sched:sched_process_exec,syscalls:sys_enter_write`, the same clock as printk) gives PID 1's exec of /init, QEMU's",
    "exec, every fork and exec in between and PID 1's writes to its console, in microseconds, with no change to",
    "either init. On the host, the time the init's first console line, health `running` and the guest's first serial",
    "line (hvc3) arrive; the first console line is in both clocks, which puts the host times on the trace clock. Health",
    "`running` is written by our init once QEMU is spawned; the shell init has no health, so the end point both share",
    "is the guest's first serial line (the device model is serving the guest). The module step is our init's own",
    "boot-ms/modules, and for the baseline the time between the lines it prints before and after its insmod loop.",
    "Memory is read after the guest's line by a shell on hvc0 (ours: the debug shell, switched on live by its key;",
    "the baseline's own shell): /proc/1/status, every process's VmRSS, /proc/meminfo.",
    "",
    `Milliseconds from /init's exec, min / median / max over the boots; the ratio is the median of the ${n} per-pair`,
    "ratios (each pair = one round of the alternation), with their range:",
    "",
    "| from /init's exec to | ours | baseline | ours ÷ baseline |",
    "| --- | ---: | ---: | ---: |",
    row("the init's first console line (runtime start-up)", (s) => s.firstLineMs),
    row("end of the module step (its duration)", (s) => s.modulesMs),
    row("**QEMU's exec**", (s) => s.qemuExecMs),
    row("QEMU's exec, less the module step", (s) => s.qemuExecMs - s.modulesMs),
    row("health `running`, as dom0 sees it", (s) => s.runningMs),
    row("the guest's first serial line (hvc3)", (s) => s.guestLineMs),
    row("processes forked before QEMU's exec (count)", (s) => s.forksBefore, (s) => mmm(s, 0, "")),
    row("programs exec'd before QEMU's exec (count)", (s) => s.execsBefore.length, (s) => mmm(s, 0, "")),
    "",
    "After the guest's line (min / median / max):",
    "",
    "| | ours | baseline | ours ÷ baseline |",
    "| --- | ---: | ---: | ---: |",
    memRow("PID 1 peak RSS (VmHWM)", (m) => m.pid1HwmKb),
    memRow("PID 1 RSS (VmRSS)", (m) => m.pid1RssKb),
    memRow(`RSS of the init's processes: PID 1 and what it left running besides QEMU (ours: nothing; baseline: ${others} background subshell${others === 1 ? "" : "s"})`, (m) => m.allRssKb),
    `| MemFree | ${mib(stats(d.ours.map((s) => s.probe.meminfoKb.MemFree ?? NaN)))} | ${mib(stats(d.baseline.map((s) => s.probe.meminfoKb.MemFree ?? NaN)))} | - |`,
    "",
    ourSteps(d.ours),
    "",
    `Bridges when the shell looked: ours ${bridges(d.ours)}; baseline ${bridges(d.baseline)}.`,
    "",
    ...(d.failures.length ? [`Boot attempts that failed and are not counted (each was retried once): ${d.failures.join("; ")}.`, ""] : []),
    "Targets:",
    target("init to QEMU exec", execRatio, TARGETS.execRatio),
    target("the runtime's start-up (the init's first console line)", ratioOf((s) => s.firstLineMs), TARGETS.firstLineRatio),
    target("the guest's first serial line", ratioOf((s) => s.guestLineMs), TARGETS.guestLineRatio),
    "",
  ].join("\n");
}

export interface MemoryData {
  searches: { label: string; image: BenchImage | undefined; initrd: "gzip" | "cpio"; minMiB: number | undefined; probes: MemoryProbe[]; range: [number, number] }[];
  /** init_size from the kernel's bzImage header, bytes. */
  kernelInitSize: number;
  kernel: string;
  /** The boot bench's PID 1 VmHWM, ours, in kB. */
  rssKb?: Stats;
  load: LoadSample[];
}

export function memorySection(run: RunInfo, d: MemoryData): string {
  const lines = [
    ...header(HEADINGS.memory, run, "a binary search over the dev VM's memory (QEMU `-m`, 8 MiB steps) per image.", d.load),
    "Works = health `state` = running within 120 s and then the demo guest's first serial line on hvc3 within 90 s,",
    "with `state` still running; a kernel line such as \"Initramfs unpacking failed\" or a panic ends a probe at once.",
    "Our init, the demo guest (`-m 16` TCG), dev mode's VM without the bench's trace or NIC.",
    "",
    "| image | initrd | smallest `-m` that works | probes (MiB: result) |",
    "| --- | --- | ---: | --- |",
  ];
  for (const s of d.searches) {
    const probes = [...s.probes].sort((a, b) => a.memoryMiB - b.memoryMiB).map((p) => `${p.memoryMiB}: ${p.ok ? "works" : `fails (${p.detail.replace(/^\[\s*[\d.]+\]\s*/, "")})`}`).join("; ");
    const initrd = !s.image ? "gzip, 1 MiB" : s.initrd === "gzip" ? `gzip, ${kib(s.image.compressedBytes)}` : "uncompressed, as Xen's domain builder hands it over";
    lines.push(`| ${s.label}${s.image ? ` (${kib(s.image.unpackedBytes)} unpacked)` : ""} | ${initrd} | ${s.minMiB === undefined ? `none up to ${s.range[1]}` : `**${s.minMiB} MiB**`} | ${probes} |`);
  }
  const atMin = d.searches.map((s) => ({ s, p: s.probes.find((p) => p.ok && p.memoryMiB === s.minMiB) })).filter((x) => x.p?.memAvailableKb !== undefined);
  const lowest = Math.min(...d.searches.filter((s) => s.image).map((s) => s.minMiB ?? Infinity));
  const floor = d.searches.find((s) => !s.image);
  lines.push(
    "",
    "Memory still available after boot (health `mem-available-kb`, MemAvailable once the guest's line is out) at the smallest size that works:",
    ...atMin.map(({ s, p }) => `- ${s.label}, -m ${s.minMiB}: ${(p!.memAvailableKb! / 1024).toFixed(1)} MiB.`),
    "",
    "The init's RSS in the dev VM is in the Boot section (PID 1 VmHWM/VmRSS, ours and the baseline); the Runtime",
    "section has it under the native harness.",
    "",
    `The kernel (${d.kernel}) sets the floor before any init runs: its bzImage header asks for`,
    `init_size = ${kib(d.kernelInitSize)} to decompress and start in place, above the 16 MiB load address, so with`,
    `a 1 MiB initrd it needs ${floor?.minMiB ?? "?"} MiB here (the kernel-alone row).${floor?.minMiB !== undefined && floor.minMiB > TARGETS.memoryMiB ? ` ${TARGETS.memoryMiB} MiB is out of reach with this kernel` : ""}`,
    ...(floor?.minMiB !== undefined && floor.minMiB > TARGETS.memoryMiB ? ["whatever the init; the minimal all-built-in kernel (kernel/config/, the build's default) is the way there."] : []),
    "",
    "Why an image takes this much more: while it unpacks, the kernel holds the initrd and the files unpacked from it at",
    "once, on top of its own floor, before QEMU runs at all. On Xen 4.17 the domain builder decompresses the ramdisk",
    "itself, so the uncompressed row is the closer model of a stubdom there. Both dev images carry dev mode's QEMU",
    "(Debian's qemu-system-x86_64 and its libraries) and the first also the xen flavour's; the xen image is smaller",
    "(see Image sizes), and what it needs on Xen itself is the Real Xen section's to measure.",
    "",
    "Targets:",
    `- runs at ${TARGETS.memoryMiB} MiB: smallest that works here ${Number.isFinite(lowest) ? `${lowest} MiB` : "none"} (the kernel alone: ${floor?.minMiB ?? "?"} MiB), ${met(lowest <= TARGETS.memoryMiB)}.`,
    d.rssKb ? `- init RSS ≤ 4 MiB: PID 1 VmHWM in the dev VM ${mib(d.rssKb)} (min / median / max), ${met(d.rssKb.max <= TARGETS.rssKb)}.` : "- init RSS: not measured in this run.",
    "",
  );
  return lines.join("\n");
}

export interface RestartData {
  samples: RestartSample[];
  config: Record<string, string>;
  load: LoadSample[];
}

export function restartSection(run: RunInfo, d: RestartData): string {
  const exec = stats(d.samples.map((s) => s.execMs));
  const running = stats(d.samples.map((s) => s.runningMs));
  const qmp = stats(d.samples.map((s) => s.qmpMs));
  return [
    ...header(HEADINGS.restart, run, `${d.samples.length} rounds of \`kill -9\` of QEMU, one run.`, d.load),
    "Where: the native tier's harness (test/support/nativeStubdom.ts): the dev image's own stubjs and init bundle as PID 1",
    "of fresh PID/mount/net namespaces on this machine's kernel, our xenstored, the image's real QEMU running the demo",
    "guest. Chosen over the dev VM because TCG there slows every step several times over and other engineers' VMs",
    "add noise; the supervisor's work is the same.",
    `Policy for the mechanics: ${Object.entries(d.config).map(([k, v]) => `\`${k}=${v}\``).join(", ")} (seeded as dom0's config keys). With the defaults`,
    "the first restart waits `backoff-initial-ms` = 100 ms on purpose, doubling on each consecutive failure.",
    "",
    "Each round: the host sends SIGKILL to QEMU and takes the time; then notes when the init's log line `qemu: started",
    "pid N (restart k)` arrives (the init writes it once execve has succeeded: its spawn waits on a close-on-exec pipe),",
    "when dom0's watch sees health `state` = running with `qemu/restarts` = k, and when the init logs that the new QEMU",
    "answers its QMP (QEMU's own start-up included). Milliseconds from the kill, min / median / max:",
    "",
    "| from the kill to | ms |",
    "| --- | ---: |",
    `| the new QEMU exec'd (the init's log line) | ${mmm(exec, 1, "")} |`,
    `| health \`running\` again, as dom0 sees it | ${mmm(running, 1, "")} |`,
    `| the new QEMU answers QMP | ${mmm(qmp, 1, "")} |`,
    "",
    "The shell baseline (and Qubes' init) never notices that QEMU died: the guest stays hung until the toolstack destroys",
    "the stubdom, so it has no column here.",
    "",
    "Targets:",
    `- restart to exec ≤ ${TARGETS.restartExecMs} ms: median ${exec.median.toFixed(1)} ms, max ${exec.max.toFixed(1)} ms, ${met(exec.max <= TARGETS.restartExecMs)}${exec.median <= TARGETS.restartExecMs && exec.max > TARGETS.restartExecMs ? " for every round (the median is within it)" : ""}.`,
    "",
  ].join("\n");
}

export interface EngineBootData {
  /** Boots of our init with stubjs on today's QuickJS, and on the one before. */
  current: BootSample[];
  previous: BootSample[];
  versions: { current: string; previous: string };
  images: { current: BenchImage; previous: BenchImage };
  kernel: string;
  memoryMiB: number;
  load: LoadSample[];
  failures: string[];
}

/** Our init's boot in the dev VM on two QuickJS releases, step by step, paired by round. */
export function engineBootSection(run: RunInfo, d: EngineBootData): string {
  const { current: now, previous: before } = d.versions;
  const row = (label: string, pick: (s: BootSample) => number | undefined): string => pairedRow(label, d.current, d.previous, pick);
  const runtimeBytes = (i: BenchImage): number => i.files.filter((f) => f.path === "/init" || f.path.endsWith(".jsbc")).reduce((a, f) => a + f.bytes, 0);
  return [
    ...header(HEADINGS.engines, run, `${d.current.length} boots of our init on QuickJS ${now} and ${d.previous.length} on QuickJS ${before} in the dev VM, alternating, all in one run.`, d.load),
    `Both images are the bench's dev rootfs; in the second, \`/init\` is stubjs built from QuickJS ${before} (the same`,
    `runtime/native/ sources) and \`lib/stubdom/*.jsbc\` are the same bundles compiled by that build's stubjsc. Runtime and`,
    `bytecode: ${kib(runtimeBytes(d.images.current))} against ${kib(runtimeBytes(d.images.previous))}. Kernel ${d.kernel}; dev mode's VM (QEMU TCG, 1 vCPU,`,
    `${d.memoryMiB} MiB) with the boot bench's NIC and guest argv. Milliseconds from /init's exec (the init's own steps: their`,
    "durations, health `boot-ms/<step>`), min / median / max; the ratio is the median of the per-pair ratios, with their range:",
    "",
    `| | QuickJS ${now} | QuickJS ${before} | ${now} ÷ ${before} |`,
    "| --- | ---: | ---: | ---: |",
    row("the init's first console line (runtime start-up)", (s) => s.firstLineMs),
    ...bootSteps([...d.current, ...d.previous]).map((k) => row(`step \`${k}\` (duration)`, bootStepMs(k))),
    row("**QEMU's exec**", (s) => s.qemuExecMs),
    row("health `running`, as dom0 sees it", (s) => s.runningMs),
    row("the guest's first serial line (hvc3)", (s) => s.guestLineMs),
    "",
    d.failures.length ? `Boots lost and retried: ${d.failures.join("; ")}.` : "No boot was lost.",
    "",
  ].join("\n");
}
