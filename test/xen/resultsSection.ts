// The "Real Xen" section of bench/RESULTS.md: what the last `npm run test:xen` measured, beside the
// figures of the feasibility probe (busybox init, 37 MB rootfs; ../shared/research/xen-testbed.md).
import { seconds, type CheckResult } from "./checks.ts";
import type { MoveFigures } from "./guestMoves.ts";
import type { GuestFigures } from "./guestRun.ts";
import { BIG_IO_MIB, type LinuxFigures } from "./linuxGuestRun.ts";
import type { PciFigures } from "./pciRun.ts";
import type { ScreenFigures } from "./screenRun.ts";

export const XEN_RESULTS_HEADING = "## Real Xen";

/** One release's run. */
export interface XenRunSummary {
  release: string;
  /** Debian's name for the dom0's release: bookworm, trixie. */
  suite: string;
  versions: Record<string, string>;
  dom0Kernel: string;
  stubdomKernel: string;
  /** The Xen release the image's libraries are from, and its QEMU. */
  imageRelease: string;
  stubdomQemu: string;
  rootfsUnpacked?: number;
  rootfsCompressed?: number;
  cmdline: string;
  setupMs: number;
  /** Whether this run built the bed (else it came from the cache). */
  bedBuilt: boolean;
  bootMs?: number;
  totalMs: number;
  guests: GuestFigures[];
  moves: MoveFigures[];
  linuxGuests: LinuxFigures[];
  screens: ScreenFigures[];
  passthrough: PciFigures[];
  checks: CheckResult[];
}

const mib = (bytes: number | undefined): string => (bytes === undefined ? "?" : `${(bytes / 1048576).toFixed(1)} MiB`);

const PROBE_ROWS = [
  "| probe (busybox init, 37 MB rootfs) | 160 MiB | 14.0-19.1 s (14-25 s) | 22-32.5 s | MemAvailable 57 MB of MemTotal 125 MB | - | 0.2-3 s (destroy) | worked |",
  "| probe | 128 and 144 MiB | failed after libxl's 30 s | - | - | - | - | kernel: \"Initramfs unpacking failed: write error\" |",
  "| probe | 96 MiB | refused | - | - | - | - | domain builder: \"segment module0 too large\" |",
];

function row(f: GuestFigures): string {
  const mem = f.plan.stubdomMemory === undefined ? `default${f.stubdomMiB ? ` (${f.stubdomMiB} MiB)` : " (128 MiB)"}` : `${f.plan.stubdomMemory} MiB`;
  const kbMiB = (kb: number | undefined): string => (kb === undefined ? "?" : `${(kb / 1024).toFixed(1)} MiB`);
  const free = f.memAvailableKb === undefined && f.qemuRssKb === undefined ? "-" : `MemAvailable ${kbMiB(f.memAvailableKb)}, QEMU RSS ${kbMiB(f.qemuRssKb)}${f.kernelMemory ? `; kernel: ${f.kernelMemory} available` : ""}`;
  const end = f.endMs === undefined ? "-" : `${seconds(f.endMs)} (${f.plan.end})`;
  const result = f.failure ? `failed: ${f.failure.replace(/\|/g, "/")}` : "worked";
  return `| ${f.plan.label} | ${mem} | ${seconds(f.createMs)} | ${seconds(f.firstSerialMs)} | ${free} | ${seconds(f.restartMs)} | ${end} | ${result} |`;
}

function moveRow(f: MoveFigures, checks: readonly CheckResult[]): string {
  const mine = checks.filter((c) => c.name.startsWith(`${f.plan.label}: `));
  const failed = mine.filter((c) => !c.ok);
  const took = f.plan.kind === "save-restore" ? `save ${seconds(f.saveMs)}, restore ${seconds(f.restoreMs)}` : seconds(f.migrateMs);
  const result = f.failure ? `failed: ${f.failure}` : failed.length ? `failed: ${failed.map((c) => c.name.slice(f.plan.label.length + 2)).join("; ")}` : "worked";
  return `| ${f.plan.label} | ${seconds(f.createMs)} | ${took} | ${seconds(f.gapMs)} | ${result.replace(/\|/g, "/")} |`;
}

/** One column per device model: every check of the Linux guest, side by side. */
function linuxTable(guests: readonly LinuxFigures[], checks: readonly CheckResult[]): string[] {
  if (guests.length === 0) return [];
  const of = (f: LinuxFigures): CheckResult[] => checks.filter((c) => c.name.startsWith(`${f.label}: `));
  const names = [...new Set(guests.flatMap((f) => of(f).map((c) => c.name.slice(f.label.length + 2))))];
  const cell = (f: LinuxFigures, name: string): string => {
    const c = of(f).find((x) => x.name === `${f.label}: ${name}`);
    return c ? `${c.ok ? "yes" : "**no**"}: ${c.detail.replace(/\|/g, "/")}` : "-";
  };
  const kb = (n: number | undefined): string => (n === undefined ? "-" : `${(n / 1024).toFixed(1)} MiB`);
  return [
    "A Linux guest (Debian's kernel, 1 GiB of RAM, two e1000 NICs on two dom0 bridges, a phy and a qdisk",
    "disk, its first serial port a pty), every check side by side:",
    "",
    `| check | ${guests.map((f) => f.label.replace(/^Linux guest \((.*)\)$/, "$1")).join(" | ")} |`,
    `| --- | ${guests.map(() => "---").join(" | ")} |`,
    ...names.map((n) => `| ${n} | ${guests.map((f) => cell(f, n)).join(" | ")} |`),
    `| ready after xl create began / HTTP down, up 2 MiB / ${BIG_IO_MIB} MiB through the disk | ${guests.map((f) => `${seconds(f.readyMs)} / ${seconds(f.downloadMs)}, ${seconds(f.uploadMs)} / ${seconds(f.bigIoMs)}`).join(" | ")} |`,
    `| of which before the guest's kernel (firmware, iPXE, the download) / from its kernel to ready | ${guests.map((f) => (f.split ? `${seconds(f.split.beforeKernelMs)} / ${seconds(f.split.kernelMs)}` : "-")).join(" | ")} |`,
    `| stubdom memory after the big I/O | ${guests.map((f) => (f.dm === "stubdom" ? `MemAvailable ${kb(f.memAvailableKb)}, QEMU RSS ${kb(f.qemuRssKb)}` : "-")).join(" | ")} |`,
    "",
  ];
}

function screenTable(screens: readonly ScreenFigures[]): string[] {
  if (screens.length === 0) return [];
  const kb = (n: number | undefined): string => (n === undefined ? "-" : `${(n / 1024).toFixed(1)} MiB`);
  const pct = (n: number | undefined): string => (n === undefined ? "-" : `${n.toFixed(0)} %`);
  const fps = (n: number | undefined): string => (n === undefined ? "-" : n.toFixed(2));
  const ours = (f: ScreenFigures): boolean => f.dm === "stubdom";
  return [
    "The guest's screen and keyboard with xl's default display (vnc=1, cirrus VGA), seen and typed on in dom0",
    "through the VNC server's QMP (`screendump`, `send-key`); the stubdom's pictures must equal the control's.",
    "Then the guest redraws its whole 320x200 screen without end for 20 s: its frames per second (every",
    "write to VGA memory is an exit to the device model), the bridge's updates into the vfb, and the CPU",
    "(% of one of the bed's CPU) of the stubdom and of the dom0 QEMU that serves the screen (the device",
    "model itself in the control, which draws nothing while no viewer is connected; the vfb's with ours):",
    "",
    "| device model | text shown in dom0 | key reaches the guest | graphics shown | guest frames/s | bridge updates/s | stubdom CPU | dom0 QEMU CPU | stubdom memory (MemAvailable) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...screens.map((f) =>
      `| ${ours(f) ? "our stubdom" : "dom0 (control)"} | ${ours(f) ? seconds(f.textShownMs) : "at once"} | ${seconds(f.keyMs)} | ${ours(f) ? seconds(f.graphicsShownMs) : "at once"} | ${fps(f.redraw?.guestFps)} | ${fps(f.redraw?.bridgeFps)} | ${pct(f.redraw?.stubdomCpu)} | ${pct(f.redraw?.dom0QemuCpu)} | ${ours(f) ? `${f.stubdomMiB ?? "?"} MiB (${kb(f.redraw?.memAvailableKb ?? f.memAvailableKb)})` : "-"} |`),
    "",
  ];
}

function passthroughTable(figs: readonly PciFigures[], checks: readonly CheckResult[]): string[] {
  if (figs.length === 0) return [];
  const result = (f: PciFigures): string => {
    const failed = checks.filter((c) => c.name.startsWith(`${f.plan.label}: `) && !c.ok).length;
    return failed === 0 ? "passed" : `**${failed} failed**`;
  };
  return [
    "PCI passthrough on the bed's variant with an emulated IOMMU (Q35, intel-iommu; Xen `iommu=debug,verbose`):",
    "QEMU's edu device (0000:00:06.0) to the edu guest, which finds it, reads BAR0, checks a DMA round trip",
    "and counts INTx and MSI interrupts; `xl pci-detach` and `xl pci-attach` while it runs (libxl refuses the",
    "detach for a stubdom guest: see the README). Then the bed's e1000 to the Linux guest, which takes a DHCP lease",
    "through it. \"To DMA\" is from the start of xl create to the edu guest's DMA verdict, or to the Linux guest's \"ready\":",
    "",
    "| run | xl create | to DMA | xl pci-detach | xl pci-attach | result |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
    ...figs.map((f) => `| ${f.plan.label} | ${seconds(f.createMs)} | ${seconds(f.dmaMs)} | ${seconds(f.detachMs)} | ${seconds(f.attachMs)} | ${result(f)} |`),
    "",
  ];
}

/** Every check by release: one row per check, one column per release. */
function matrix(runs: readonly XenRunSummary[]): string[] {
  const names = [...new Set(runs.flatMap((r) => r.checks.map((c) => c.name)))];
  const cell = (r: XenRunSummary, name: string): string => {
    const found = r.checks.filter((c) => c.name === name);
    if (found.length === 0) return "-";
    return found.every((c) => c.ok) ? "pass" : "**FAIL**";
  };
  return [
    `| check | ${runs.map((r) => `Xen ${r.release}`).join(" | ")} |`,
    `| --- | ${runs.map(() => "---").join(" | ")} |`,
    ...names.map((n) => `| ${n.replace(/\|/g, "/")} | ${runs.map((r) => cell(r, n)).join(" | ")} |`),
    `| **passed / failed** | ${runs.map((r) => `${r.checks.filter((c) => c.ok).length} / ${r.checks.filter((c) => !c.ok).length}`).join(" | ")} |`,
    "",
  ];
}

/** The section: how the tier runs, the matrix of checks by release, then each release's tables. */
export function xenResultsSection(date: string, totalMs: number, runs: readonly XenRunSummary[], sideBySide = false): string {
  const passed = runs.reduce((n, r) => n + r.checks.filter((c) => c.ok).length, 0);
  const failed = runs.reduce((n, r) => n + r.checks.length, 0) - passed;
  return [
    XEN_RESULTS_HEADING,
    "",
    `Written by \`npm run test:xen\` (test/xen/): each Xen release we support under QEMU TCG (\`-cpu qemu64,+svm,+npt -m 3072 -smp 1\`)`,
    "on this machine (2 cores, no KVM), stock xl in a Debian dom0 of that release, with the stubdom image built for",
    "that release. Times are wall clock in dom0: \"xl create\" until it returns (libxl waits for QEMU's",
    "`device-model/<G>/state` = running), \"first serial line\" from the start of xl create until the guest's line is in",
    "its `serial=` file, \"QEMU restart\" from the kill until health says `qemu/state` = up again.",
    "",
    `Last run ${date}: **${passed} passed, ${failed} failed** over ${runs.length} release${runs.length === 1 ? "" : "s"}, whole run ${seconds(totalMs)}${sideBySide ? " (the releases side by side, a core each: their times are under that load; `XEN_TEST_SERIAL=1` runs them one after the other)" : ""}.`,
    "",
    ...matrix(runs),
    ...runs.map(releaseSection),
  ].join("\n");
}

function releaseSection(r: XenRunSummary): string {
  const passed = r.checks.filter((c) => c.ok).length;
  const failed = r.checks.length - passed;
  const v = r.versions;
  const hv = `xen-hypervisor-${r.release}-amd64`;
  const utils = `xen-utils-${r.release}`;
  return [
    `### Xen ${r.release} (Debian ${r.suite})`,
    "",
    `Inputs: ${hv} ${v[hv] ?? "?"}, ${utils} ${v[utils] ?? "?"}, dom0's qemu-system-xen ${v["qemu-system-xen"] ?? "?"},`,
    `dom0 kernel ${r.dom0Kernel} ${v[r.dom0Kernel] ?? "?"}; stubdom: \`qemu-stubdom-linux-kernel\` (${r.stubdomKernel}) +`,
    `\`qemu-stubdom-linux-rootfs\` built for Xen ${r.imageRelease} (${mib(r.rootfsUnpacked)} unpacked, ${mib(r.rootfsCompressed)} compressed; ${r.stubdomQemu}),`,
    `\`stubdomain_cmdline="${r.cmdline}"\`.`,
    "",
    `**${passed} passed, ${failed} failed**; bed ${r.bedBuilt ? `built in ${seconds(r.setupMs)}` : "from the cache"}, QEMU start to dom0`,
    `ready ${seconds(r.bootMs)}, this release's run ${seconds(r.totalMs)}.`,
    "",
    "| run | stubdom memory | xl create | first serial line | stubdom memory at running | QEMU restart | shutdown / destroy | result |",
    "| --- | --- | ---: | ---: | --- | ---: | --- | --- |",
    ...r.guests.map(row),
    ...(r.release === "4.17" ? PROBE_ROWS : []),
    "",
    ...screenTable(r.screens),
    ...linuxTable(r.linuxGuests, r.checks),
    ...passthroughTable(r.passthrough, r.checks),
    ...(r.moves.length
      ? [
          "Moving a running guest (it beats about once a second; \"heartbeat gap\" is the longest pause between two",
          "beats across the move, less one beat; for save + restore it includes the time between the two commands):",
          "",
          "| move (device model) | xl create | xl save / restore / migrate | heartbeat gap | result |",
          "| --- | ---: | ---: | ---: | --- |",
          ...r.moves.map((m) => moveRow(m, r.checks)),
          "",
        ]
      : []),
    ...(failed > 0 ? ["Failed checks:", "", ...r.checks.filter((c) => !c.ok).map((c) => `- ${c.name}: ${c.detail.replace(/\n/g, " ")}`), ""] : []),
  ].join("\n");
}
