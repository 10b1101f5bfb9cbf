// `npm run test:xen`: our stubdom under real Xen, on each Xen release we support (4.17 from Debian
// 12, 4.20 from Debian 13), side by side, each with the image built for it. For each: builds
// the bed if it is not cached, boots Xen under QEMU TCG, checks our XenStore client on dom0's /dev/xen/xenbus, and runs stock `xl create`
// of an HVM guest with our kernel + rootfs at libxl's default stubdom memory (then xl shutdown) and
// at 64 MiB (then a QEMU kill and restart, and xl destroy). Then it moves running guests, with our
// stubdom and with the device model in dom0: xl save and restore, xl migrate to localhost, a restore
// of a damaged state, and xl migrate to a second bed booted beside the first on a link of their own.
// Last, PCI passthrough on a variant of the bed with an emulated IOMMU (pciRun.ts).
// Ends with `N passed, N failed` over every release, and the figures in the "Real Xen" section of
// bench/RESULTS.md (a matrix of checks by release, then each release's tables). One run at a time
// on a machine (bedLock.ts).
//   XEN_TEST_SERIAL=1      run the releases one after the other (default: side by side, one core each)
//   XEN_TEST_RELEASES      e.g. "4.20": only these releases (default every one), and leave
//                          bench/RESULTS.md alone
//   XEN_TEST_CMDLINE       stubdomain_cmdline (default "console=hvc0": what libxl users write)
//   XEN_TEST_FALLBACK_MIB  a guest that does not boot is run again at this stubdom memory, so the
//                          remaining checks still run (default 192; 0 = no second run)
//   XEN_TEST_MEMORY_SWEEP  e.g. "144,160,176": one more create/destroy guest at each stubdom memory
//   XEN_TEST_ONLY          e.g. "linux": run only these parts (boot, admin, screen, moves, linux, hosts, pci), and leave
//                          bench/RESULTS.md alone; all of them by default
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { availableParallelism } from "node:os";
import { outputs, RESULTS_FILE, type XenOutputs } from "../../host/image/build.ts";
import { bundleInit } from "../../init/bundle.ts";
import { buildRuntime } from "../../runtime/build.ts";
import { replaceSection } from "../../rootfs/sizeReport.ts";
import { BED_RELEASES, ensureBed, isBedRelease, type Bed, type BedRelease } from "./bedBuild.ts";
import { XEN_RELEASE_TABLE } from "../../qemu/xenReleases.ts";
import { lockBed } from "./bedLock.ts";
import { BedVm } from "./bedVm.ts";
import { Checks } from "./checks.ts";
import { Dom0 } from "./dom0.ts";
import { clockSkew, corruptRestore, runMove, type FastGuestFiles, type MoveFigures, type MovePlan, type SecondHost } from "./guestMoves.ts";
import { serveGuests } from "./guestNetwork.ts";
import { runGuest, type GuestFigures, type GuestPlan } from "./guestRun.ts";
import { runLinuxGuest, type LinuxFigures } from "./linuxGuestRun.ts";
import { BED_SHARE, stageLinuxGuest, stageStubdomImage } from "./stage.ts";
import { screenGuestDisk } from "./screenGuest.ts";
import { runScreenGuest, type ScreenFigures, type ScreenReference } from "./screenRun.ts";
import { heartbeatGuestDisk } from "./heartbeatGuest.ts";
import { eduGuestDisk } from "./eduGuest.ts";
import { runPassthrough, type PciFigures } from "./pciRun.ts";
import { runAdmin, type AdminDebs } from "./adminRun.ts";
import { buildDebs } from "../../host/package/build.ts";
import { otherReleaseImage } from "./otherReleaseImage.ts";
import { xenResultsSection, XEN_RESULTS_HEADING, type XenRunSummary } from "./resultsSection.ts";

const RUN_DIR = "build/test-xen";
const SHARE = join(RUN_DIR, "share");
/** A bound on one bed's life; with the releases side by side, 4.20's run took 23 to 36 min on this kind of machine. */
const VM_LIMIT_MS = 50 * 60_000;
/** The moved guests beat about once a second, so the gap in their heartbeat shows a move's downtime. */
const FAST_BEAT_TICKS = 18;
const DOM0_READY_MS = 180_000;

const t0 = Date.now();
const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const log = (line: string): void => console.log(`[${elapsed()}] ${line}`);
const cmdline = process.env.XEN_TEST_CMDLINE ?? "console=hvc0";
const fallbackMiB = Number(process.env.XEN_TEST_FALLBACK_MIB ?? "192");
const sweep = (process.env.XEN_TEST_MEMORY_SWEEP ?? "").split(",").filter(Boolean).map(Number);
const only = (process.env.XEN_TEST_ONLY ?? "").split(",").filter(Boolean);
const part = (name: "boot" | "admin" | "screen" | "moves" | "linux" | "hosts" | "pci"): boolean => only.length === 0 || only.includes(name);
const releases = (process.env.XEN_TEST_RELEASES ?? BED_RELEASES.join(",")).split(",").filter(Boolean);

interface XenManifest {
  unpacked?: number;
  compressed?: number;
  sources?: { kernel?: string; qemu?: string };
  imageInfo?: { xenRelease?: string };
}

/** stubjs and the xenbus probe, for dom0 (the stubdom's XenStore channel is the same kernel device). */
async function stageProbe(): Promise<void> {
  copyFileSync(await buildRuntime(), join(SHARE, "stubjs"));
  await bundleInit(join(SHARE, "xenbus-probe.js"), "test/xen/xenbusProbe.ts");
}

async function xenbusCheck(dom0: Dom0, checks: Checks): Promise<void> {
  const r = await dom0.sh("/mnt/bed/stubjs /mnt/bed/xenbus-probe.js", 180);
  const m = /xenbus-probe: reads=(\d+) wrong=(\d+) writes=(\d+) misplaced=(\d+)(.*)/.exec(r.out);
  const ok = m !== null && m[2] === "0" && m[4] === "0";
  checks.record(
    "our XenStore client over /dev/xen/xenbus keeps pipelined requests apart (dom0, the stubdom's kernel device)",
    ok,
    m ? `${m[2]} of ${m[1]} pipelined reads returned another key's value, ${m[4]} of ${m[3]} writes landed on another key${m[5]}` : r.out.trim() || `exit ${r.rc}`,
  );
}

/** The link between a release's two beds: A listens on this host port (plus the release's index), B connects. */
const LINK_PORT = 20000 + ((process.pid * 2) % 20000);
const LINK_NET = "10.77.0";

/** The image built for a release: the kernel, its rootfs and the rootfs's manifest. */
const releaseImages = (release: BedRelease): XenOutputs => outputs.xen[release];

/** The guests' files, shared by every release's bed. */
function stageGuests(): void {
  rmSync(SHARE, { recursive: true, force: true });
  mkdirSync(SHARE, { recursive: true });
  writeFileSync(join(SHARE, "guest.img"), heartbeatGuestDisk());
  writeFileSync(join(SHARE, "guest-fast.img"), heartbeatGuestDisk(FAST_BEAT_TICKS));
  writeFileSync(join(SHARE, "screen.img"), screenGuestDisk());
  writeFileSync(join(SHARE, "edu.img"), eduGuestDisk());
  stageLinuxGuest(SHARE, log);
}

/** The release's stubdom image under /mnt/bed/xen-<release>/, as /usr/lib/xen-<release>/boot/ holds it on a host. */
function stageImages(release: BedRelease): FastGuestFiles {
  return { ...stageStubdomImage(SHARE, release), disk: `${BED_SHARE}/guest.img`, fastDisk: `${BED_SHARE}/guest-fast.img`, cmdline };
}

/** Our Debian package for each release, and a higher version of it for the upgrade, under /mnt/bed/deb*. */
async function stageDebs(): Promise<Record<BedRelease, AdminDebs>> {
  const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
  const first = await buildDebs({ outDir: join(SHARE, "deb"), log });
  const upgrade = await buildDebs({ version: `${version}-2`, outDir: join(SHARE, "deb-upgrade"), log });
  const debVersion = (path: string): string => /_([^_]+)_amd64\.deb$/.exec(path)?.[1] ?? "?";
  const inBed = (path: string): string => `/mnt/bed/${relative(SHARE, path)}`;
  return Object.fromEntries(
    BED_RELEASES.map((r) => [r, { first: inBed(first[r]), firstVersion: debVersion(first[r]), upgrade: inBed(upgrade[r]), upgradeVersion: debVersion(upgrade[r]) }]),
  ) as Record<BedRelease, AdminDebs>;
}

/** One second host at a time across the releases running side by side. */
let secondHostQueue: Promise<unknown> = Promise.resolve();
function secondHostTurn<T>(fn: () => Promise<T>): Promise<T> {
  const turn = secondHostQueue.then(fn);
  secondHostQueue = turn.catch(() => undefined);
  return turn;
}

/** Every move with our stubdom, each beside its control with the device model in dom0. */
function movePlans(): MovePlan[] {
  const kinds: [MovePlan["kind"], string][] = [
    ["save-restore", "xl save + xl restore"],
    ["migrate-localhost", "xl migrate to localhost"],
    ["migrate-hosts", "xl migrate to a second host"],
  ];
  return kinds.flatMap(([kind, what]) => [
    { name: `mv-${kind}`, label: `${what} (stubdom)`, kind, dm: "stubdom" as const },
    { name: `mv-${kind}-dom0`, label: `${what} (device model in dom0)`, kind, dm: "dom0" as const },
  ]);
}

/** The second bed's dom0, with both ends of the link up and its clock measured against the first's. */
async function secondHost(a: Dom0, vmB: BedVm, checks: Checks): Promise<SecondHost | undefined> {
  await vmB.agent.ready(DOM0_READY_MS);
  const b = new Dom0(vmB.agent);
  const up = (n: number): string => `dev=$(ls /sys/class/net | grep -v '^lo$' | head -1); ip link set "$dev" up && ip addr add ${LINK_NET}.${n}/24 dev "$dev" && echo dev=$dev`;
  await a.sh(up(1), 20);
  await b.sh(up(2), 20);
  const ping = await a.sh(`busybox ping -c 3 -W 5 ${LINK_NET}.2 | tail -2`, 40);
  const ok = checks.record("two beds: the second host answers on the link between them", ping.rc === 0, ping.out.trim().replace(/\n/g, "; "));
  return ok ? { dom0: b, address: `${LINK_NET}.2`, clockSkewMs: await clockSkew(a, b) } : undefined;
}

/** Every check on one release's bed, with the image built for that release. */
interface ReleaseRun {
  release: BedRelease;
  checks: Checks;
  staged: Record<BedRelease, FastGuestFiles>;
  debs: Record<BedRelease, AdminDebs> | undefined;
  bed: Bed;
  setupMs: number;
  /** The host port of this release's link between its two beds. */
  linkPort: number;
  /** Runs the second-host part when no other release's second host is up (three TCG VMs at most). */
  secondHostTurn: <T>(fn: () => Promise<T>) => Promise<T>;
}

async function runRelease(r: ReleaseRun): Promise<XenRunSummary> {
  const { release, checks, staged, bed, setupMs } = r;
  const stagedDebs = r.debs;
  const say = (line: string): void => log(`[${release}] ${line}`);
  const images = releaseImages(release);
  const manifest = JSON.parse(readFileSync(images.manifest, "utf8")) as XenManifest;
  const files = staged[release];
  const runDir = join(RUN_DIR, `xen-${release}`);
  mkdirSync(runDir, { recursive: true });
  say(`Xen ${release}: stubdom ${images.kernel} + ${images.rootfs} (${((manifest.unpacked ?? 0) / 1048576).toFixed(1)} MiB unpacked), stubdomain_cmdline="${cmdline}"`);
  const started = Date.now();

  const bootStart = Date.now();
  const vm = await BedVm.boot({ bed, share: SHARE, runDir, limitMs: VM_LIMIT_MS, link: { role: "listen", port: r.linkPort, mac: "52:54:00:77:00:01" } });
  process.on("exit", () => vm.kill());
  vm.agent.onLate = say;
  let vmB: BedVm | undefined;
  const recent: string[] = [];
  vm.serial.onLine((line) => {
    recent.push(line);
    if (recent.length > 5) recent.shift();
    if (/^xenbed dom0|^\(XEN\) .*(panic|FATAL)/.test(line)) say(line);
  });
  let bootMs: number | undefined;
  const guests: GuestFigures[] = [];
  const moves: MoveFigures[] = [];
  const linuxGuests: LinuxFigures[] = [];
  const screens: ScreenFigures[] = [];
  const passthrough: PciFigures[] = [];
  try {
    await vm.agent.ready(DOM0_READY_MS);
    bootMs = Date.now() - bootStart;
    const dom0 = new Dom0(vm.agent);
    const info = (await dom0.sh("xl info | grep -E '^(xen_version|virt_caps)'", 30)).out;
    const version = /xen_version\s*:\s*(\d+\.\d+)/.exec(info)?.[1];
    checks.record("dom0 boots its release's Xen with HVM and HAP", /hap/.test(info) && version === release, `${(bootMs / 1000).toFixed(1)} s; ${info.trim().replace(/\s*\n\s*/g, "; ").replace(/ +: /g, " ")}`);
    await xenbusCheck(dom0, checks);

    // A guest whose QEMU was restarted has lost its device state (the new QEMU's PIIX4 has no ACPI
    // I/O base), so its own soft-off cannot work: the shutdown and the restart go to different guests.
    const plans: GuestPlan[] = [
      { name: "hvm-default", label: "libxl's default stubdom memory", restart: false, end: "shutdown" },
      { name: "hvm-64m", stubdomMemory: 64, label: "stubdomain_memory=64", restart: true, end: "destroy" },
    ];
    for (const plan of part("boot") ? plans : []) {
      say(`guest ${plan.name}: ${plan.label}`);
      guests.push(await runGuest(dom0, checks, plan, files, runDir));
    }
    // What did not boot is tried once more with more memory, so the remaining checks still run.
    const retry = fallbackMiB > 0 ? plans.filter((_, i) => guests[i]?.failure !== undefined) : [];
    for (const p of retry) {
      const plan: GuestPlan = { ...p, name: `hvm-${fallbackMiB}m-${p.restart ? "restart" : "shutdown"}`, stubdomMemory: fallbackMiB, label: `stubdomain_memory=${fallbackMiB} in place of ${p.stubdomMemory ?? "the default"}` };
      say(`guest ${plan.name}: ${plan.label}`);
      guests.push(await runGuest(dom0, checks, plan, files, runDir));
    }
    for (const mib of sweep) {
      const plan: GuestPlan = { name: `hvm-sweep-${mib}m`, stubdomMemory: mib, label: `sweep: stubdomain_memory=${mib}`, restart: false, end: "destroy" };
      say(`guest ${plan.name}: ${plan.label}`);
      guests.push(await runGuest(dom0, checks, plan, files, runDir));
    }

    const debs = stagedDebs?.[release];
    if (debs) {
      say("package and stubdomctl: dpkg -i, a guest with the README's lines, status, watch, set, console, purge");
      await runAdmin(dom0, checks, debs, release, files.disk, runDir);
    }

    for (const other of part("boot") ? BED_RELEASES.filter((r) => r !== release) : []) {
      say(`guest hvm-image-${other}: the image built for Xen ${other}`);
      await otherReleaseImage(dom0, checks, staged[other], other, release, runDir);
    }

    let reference: ScreenReference | undefined;
    for (const dm of part("screen") ? (["dom0", "stubdom"] as const) : []) {
      say(`screen guest: device model ${dm === "stubdom" ? "in our stubdom" : "in dom0"}`);
      const r = await runScreenGuest(dom0, checks, dm, files, "/mnt/bed/screen.img", runDir, release, reference);
      screens.push(r.fig);
      reference = r.reference ?? reference;
    }

    for (const plan of part("moves") ? movePlans().filter((p) => p.kind !== "migrate-hosts") : []) {
      say(`guest ${plan.name}: ${plan.label}`);
      moves.push(await runMove(dom0, undefined, checks, plan, files, runDir));
      if (plan.kind === "save-restore" && plan.dm === "stubdom") await corruptRestore(dom0, checks, plan.name, runDir);
    }
    const served = part("linux") ? await serveGuests(dom0, "/mnt/bed") : "";
    if (served) checks.fail("dom0 serves the Linux guest (bridges, DHCP, TFTP, HTTP)", served);
    else if (part("linux")) {
      for (const dm of ["stubdom", "dom0"] as const) {
        say(`Linux guest: device model ${dm === "stubdom" ? "in our stubdom" : "in dom0"}; the bed before it: ${await dom0.activity()}`);
        linuxGuests.push(await runLinuxGuest(dom0, checks, dm, files, runDir, release));
      }
    }
    // The second bed boots only now, when the first is done with what two TCG VMs at once would
    // slow down (stubdom memory at 64 MiB is tight, and unpacking the rootfs races the drivers).
    if (part("hosts")) {
      await r.secondHostTurn(async () => {
        say("second host: booting a second bed on a link of its own to the first");
        mkdirSync(join(runDir, "host-b"), { recursive: true });
        vmB = await BedVm.boot({ bed, share: SHARE, runDir: join(runDir, "host-b"), limitMs: VM_LIMIT_MS, link: { role: "connect", port: r.linkPort, mac: "52:54:00:77:00:02" } });
        const b = vmB;
        process.on("exit", () => b.kill());
        b.agent.onLate = (note) => say(`host B: ${note}`);
        try {
          const hostB = await secondHost(dom0, b, checks);
          for (const plan of hostB ? movePlans().filter((p) => p.kind === "migrate-hosts") : []) {
            say(`guest ${plan.name}: ${plan.label}`);
            moves.push(await runMove(dom0, hostB, checks, plan, files, runDir));
          }
        } finally {
          await b.poweroff(60_000);
          vmB = undefined;
        }
      });
    }
  } catch (e) {
    checks.fail("the bed run completes", `${(e as Error).message}; last console lines: ${recent.join(" | ")}`);
  } finally {
    await Promise.all([vm.poweroff(60_000), vmB?.poweroff(60_000)]);
  }
  if (part("pci")) passthrough.push(...(await passthroughBed(bed, runDir, files, checks, say)));
  return {
    release,
    suite: XEN_RELEASE_TABLE[release].suite,
    versions: bed.versions,
    dom0Kernel: bed.dom0KernelPackage,
    stubdomKernel: manifest.sources?.kernel ?? "?",
    rootfsUnpacked: manifest.unpacked,
    rootfsCompressed: manifest.compressed,
    imageRelease: manifest.imageInfo?.xenRelease ?? "?",
    stubdomQemu: manifest.sources?.qemu ?? "?",
    cmdline,
    setupMs,
    bedBuilt: bed.built,
    bootMs,
    totalMs: Date.now() - started,
    guests,
    moves,
    linuxGuests,
    screens,
    passthrough,
    checks: checks.results,
  };
}

/** The passthrough part on a bed of its own: the variant with an emulated IOMMU, booted after the release's first bed is off. */
async function passthroughBed(bed: Bed, runDir: string, files: FastGuestFiles, checks: Checks, say: (line: string) => void): Promise<PciFigures[]> {
  say("passthrough: booting the bed's variant with an emulated IOMMU (Q35, intel-iommu, edu)");
  const dir = join(runDir, "pci");
  mkdirSync(dir, { recursive: true });
  const vm = await BedVm.boot({ bed, share: SHARE, runDir: dir, limitMs: VM_LIMIT_MS, passthrough: true });
  process.on("exit", () => vm.kill());
  vm.agent.onLate = say;
  try {
    await vm.agent.ready(DOM0_READY_MS);
    return await runPassthrough(new Dom0(vm.agent), checks, files, `${BED_SHARE}/edu.img`, dir, say);
  } catch (e) {
    checks.fail("the passthrough bed run completes", (e as Error).message);
    return [];
  } finally {
    await vm.poweroff(60_000);
  }
}

async function main(): Promise<number> {
  const unknown = releases.filter((r) => !isBedRelease(r));
  if (unknown.length > 0) throw new Error(`XEN_TEST_RELEASES: no bed for ${unknown.join(", ")}; known: ${BED_RELEASES.join(", ")}`);
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
  await lockBed(log);
  mkdirSync(RUN_DIR, { recursive: true });
  stageGuests();
  await stageProbe();
  const staged = Object.fromEntries(BED_RELEASES.map((r) => [r, stageImages(r)])) as Record<BedRelease, FastGuestFiles>;
  const debs = part("admin") ? await stageDebs() : undefined;
  // Beds are built one at a time (mmdebstrap, the cache); the releases then run side by side, each
  // bed a one-vCPU TCG VM on a core of its own, unless XEN_TEST_SERIAL=1 or there is one core.
  const prepared = (releases as BedRelease[]).map((release, i): ReleaseRun => {
    const t = Date.now();
    const bed = ensureBed(release, (line) => log(`[${release}] ${line}`));
    const checks = new Checks((line) => log(`[${release}] ${line}`));
    return { release, checks, staged, debs, bed, setupMs: Date.now() - t, linkPort: LINK_PORT + i, secondHostTurn };
  });
  const all = prepared.map((p) => p.checks);
  const serial = process.env.XEN_TEST_SERIAL === "1" || availableParallelism() < 2;
  log(`${prepared.length > 1 ? (serial ? "releases one after the other" : "releases side by side") : "one release"}: ${releases.join(", ")}`);
  const runs: XenRunSummary[] = [];
  if (serial) for (const p of prepared) runs.push(await runRelease(p));
  else runs.push(...(await Promise.all(prepared.map((p) => runRelease(p)))));
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  const partial = only.length > 0 || releases.length < BED_RELEASES.length;
  if (!partial) {
    const before = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, "utf8") : "";
    writeFileSync(RESULTS_FILE, replaceSection(before, XEN_RESULTS_HEADING, xenResultsSection(date, Date.now() - t0, runs, !serial && runs.length > 1)));
    log(`figures in ${RESULTS_FILE} (${XEN_RESULTS_HEADING}); logs in ${RUN_DIR}/`);
  } else log(`a partial run (XEN_TEST_ONLY=${only.join(",")} XEN_TEST_RELEASES=${releases.join(",")}), so ${RESULTS_FILE} stays as it was; logs in ${RUN_DIR}/`);
  const passed = all.reduce((n, c) => n + c.passed, 0);
  const failed = all.reduce((n, c) => n + c.failed, 0);
  // Again at the end, where a CI log's tail keeps them: a failure is otherwise a line among hundreds.
  if (failed > 0) console.log(["failed:", ...prepared.flatMap((p) => p.checks.results.filter((c) => !c.ok).map((c) => `  [${p.release}] ${c.name}: ${c.detail}`))].join("\n"));
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`test:xen: ${e.message}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  },
);
