// One sample of the seeds' table on a bed: the Linux guest of the real-Xen tier with one NIC and one
// phy disk, its device model in our stubdom or in dom0. `xl create` is timed in dom0, with a XenStore
// watch stamping when the guest, the stubdom, our init's health and the device model's "running"
// first appear; then, for a full sample, how long until the guest answers ping, an HTTP transfer each
// way, and direct I/O on the disk, each timed in the guest.
import { q, type Dom0 } from "../../test/xen/dom0.ts";
import { GUEST_LINKS } from "../../test/xen/guestNetwork.ts";
import { GUEST_NOW_MS, GUEST_SH } from "../../test/xen/linuxGuestRun.ts";
import { linuxGuestLines, stubdomLines } from "../../test/xen/xlConfig.ts";
import { HEALTH_DIR } from "../../init/healthSchema.ts";

export type DeviceModel = "stubdom" | "dom0";

/** What one create measured; times in ms from the start of `xl create`, dom0's clock. */
export interface StartupSample {
  /** `xl create` returned: libxl has its device model and the guest runs. */
  createMs: number;
  /** When each milestone of MILESTONES was seen in XenStore; missing when it was not. */
  milestones: Record<string, number>;
  /** Stubdom only: the init's boot steps (health boot-ms/<step>). */
  bootMs?: Record<string, number>;
}

export interface Milestone {
  /** What happened, for the breakdown table. */
  what: string;
  /** An extended regex of the XenStore path; $D is the guest's domid, $S the stubdom's. */
  path: string;
  /** The "first" event on the path, or the "last" one before `xl create` returned (a state's final write). */
  pick: "first" | "last";
  dm: DeviceModel | "both";
}

/**
 * What libxl and the device model write on the way, in the order libxl 4.17-4.20 does it for a
 * stubdom (libxl_dm.c: libxl__spawn_stub_dm, spawn_stub_launch_dm, qmp_proxy_spawn_outcome,
 * spawn_stubdom_pvqemu_cb, stubdom_pvqemu_unpaused): the stubdom is unpaused only once its disks,
 * the QMP proxy, dom0's QEMU for its consoles and its NICs are up.
 */
export const MILESTONES: Record<string, Milestone> = {
  guest: { what: "the guest's domain is in XenStore", path: "/local/domain/$D(/|$)", pick: "first", dm: "both" },
  stubdom: { what: "the stubdom's domain is in XenStore (libxl has built the guest, 1 GiB)", path: "/local/domain/$S(/|$)", pick: "first", dm: "stubdom" },
  "stubdom-disk": { what: "the stubdom's disk backend is connected (hotplug script)", path: "/local/domain/0/backend/vbd/$S/[0-9]+/hotplug-status$", pick: "last", dm: "stubdom" },
  "qmp-proxy": { what: "libxl's QMP proxy (vchan-socket-proxy) for the stubdom is up", path: "/local/domain/0/device-model/$S/qmp-proxy-state$", pick: "last", dm: "stubdom" },
  "console-qemu": { what: "dom0's QEMU for the stubdom's consoles runs", path: "/local/domain/0/device-model/$S/state$", pick: "last", dm: "stubdom" },
  "stubdom-nic": { what: "the stubdom's NIC backend is connected (hotplug script); libxl unpauses the stubdom", path: "/local/domain/0/backend/vif/$S/[0-9]+/hotplug-status$", pick: "last", dm: "stubdom" },
  "init-health": { what: "our init's first health write (the stubdom's kernel has booted, the init has XenStore)", path: `/local/domain/$S/${HEALTH_DIR}(/|$)`, pick: "first", dm: "stubdom" },
  "guest-disk": { what: "the guest's disk backend is connected (hotplug script)", path: "/local/domain/0/backend/vbd/$D/[0-9]+/hotplug-status$", pick: "last", dm: "both" },
  "qemu-running": { what: "the device model writes its state \"running\"", path: "/local/domain/(0|$S)/device-model/$D/state$", pick: "last", dm: "both" },
  "guest-nic": { what: "the guest's NIC backend is connected (hotplug script)", path: "/local/domain/0/backend/vif/$D/[0-9]+/hotplug-status$", pick: "last", dm: "both" },
};

/** The regex inside bash's double quotes: $D and $S expand, every other $ is an anchor. */
const inDoubleQuotes = (path: string): string => path.replace(/\$(?![DS]\b)/g, "\\$");

/** The milestones a device model's create passes. */
const milestonesOf = (dm: DeviceModel): [string, Milestone][] => Object.entries(MILESTONES).filter(([, m]) => m.dm === "both" || m.dm === dm);

/**
 * Bash lines that read the watch log `log` (lines `<epoch seconds> <path>`) with $D, $S and $t1 set:
 * `m-<key>=<epoch seconds>` for each milestone, empty when it was not seen.
 */
export function milestoneLines(dm: DeviceModel, log: string): string[] {
  return milestonesOf(dm).map(([key, m]) => {
    const re = `" ${inDoubleQuotes(m.path)}"`;
    return m.pick === "first"
      ? `echo m-${key}=$(grep -m1 -E ${re} ${log} | cut -d' ' -f1)`
      : `echo m-${key}=$(grep -E ${re} ${log} | awk -v t1="$t1" '$1 <= t1 { t = $1 } END { print t }')`;
  });
}

export interface FullSample extends StartupSample {
  /** From the start of `xl create` until the guest answers ping on its NIC. */
  answersMs?: number;
  downMiBs?: number;
  upMiBs?: number;
  diskWriteMiBs?: number;
  diskReadMiBs?: number;
  /** Our stubdom after the disk step: what its health says and its console's OOM lines. */
  stubdom?: StubdomAfter;
  /** CPU seconds each domain used (xl list's Time(s)) while the data moved: both transfers, both dd runs. */
  cpu?: { network: CpuSeconds; disk: CpuSeconds };
}

/** Per domain: dom0, the guest, and our stubdom (absent with QEMU in dom0). */
export type CpuSeconds = Partial<Record<"dom0" | "guest" | "stubdom", number>>;

export interface StubdomAfter {
  /** Health `state`. */
  state: string;
  /** Health `mem-available-kb`. */
  memAvailableKb?: number;
  /** Health `qemu/restarts`. */
  qemuRestarts?: number;
  /** Health `qemu/rss-kb`. */
  qemuRssKb?: number;
  /** Lines of the stubdom's console (kernel and init) that say the kernel ran out of memory. */
  oomLines: number;
}

export interface SeedsGuest {
  kernel: string;
  rootfs: string;
  cmdline: string;
  /** stubdomain_memory in MiB; undefined leaves libxl's default. */
  stubdomMemory?: number;
}

const G = "seeds";
const LINK = GUEST_LINKS[0]!;
/** MiB moved each way over HTTP: a few seconds at the speeds of a guest under nested TCG. */
export const NET_MIB = 8;
/** The phy disk, and what dd moves each way: reads the first half, writes the second. */
const DISK_MIB = 64;
export const DISK_IO_MIB = 32;
/** iPXE, the kernel and the lease under TCG took 58 to 297 s in the tier (READY_S there). */
const ANSWER_S = 480;
const PHY = `/var/tmp/${G}-phy.img`;

function config(dm: DeviceModel, loop: string, s: SeedsGuest): string {
  return [
    `name = "${G}"`,
    `type = "hvm"`,
    `memory = 1024`,
    `vcpus = 1`,
    `vif = [ "mac=${LINK.mac},bridge=${LINK.bridge},model=e1000,devid=${LINK.devid}" ]`,
    `disk = [ "format=raw,vdev=hda,access=rw,target=${loop}" ]`,
    ...linuxGuestLines(G),
    ...(dm === "stubdom" ? stubdomLines({ stubdomKernel: s.kernel, stubdomRootfs: s.rootfs, stubdomCmdline: s.cmdline, stubdomMemory: s.stubdomMemory }).slice(1) : []),
    "",
  ].join("\n");
}

/** Uploads land here and are dropped: a checksum in dom0 would be timed as network. */
const sinkCgi = ["#!/bin/sh", 'head -c "$CONTENT_LENGTH" > /dev/null', 'printf "Content-Type: text/plain\\r\\n\\r\\nok\\n"', ""].join("\n");

/**
 * What every sample uses, once per bed (after serveGuests): the download, the upload's sink, and the
 * phy disk's backing file, written through (not sparse), on a loop device, whose path it returns.
 */
export async function prepareBed(dom0: Dom0): Promise<string> {
  const r = await dom0.values(
    [
      `head -c ${NET_MIB << 20} /dev/urandom > /tmp/www/seeds-payload`,
      `printf '%s' ${q(sinkCgi)} > /tmp/www/cgi-bin/sink && chmod 755 /tmp/www/cgi-bin/sink`,
      `dd if=/dev/zero of=${PHY} bs=1M count=${DISK_MIB} conv=fsync 2>/dev/null && echo loop=$(losetup -f --show ${PHY})`,
    ].join("\n"),
    180,
  );
  if (!r.values.loop) throw new Error(`staging the seeds' payload and disk failed: ${r.out.trim()}`);
  return r.values.loop;
}

/** The rootfs as built (gzip), or its cpio archive uncompressed: Xen up to 4.19 gunzips a ramdisk in dom0. */
export type RamdiskFormat = "gzip" | "cpio";

/** Where dom0 keeps the stubdom's image for the samples: its own disk, as an installed package has it. */
const LOCAL_IMAGE_DIR = "/var/lib/seeds-stubdom";

/**
 * The stubdom's kernel and rootfs copied from the 9p share to dom0's disk, once per bed: read over 9p
 * at each create (no cache there), they would put the share's speed into the stubdom's startup.
 */
export async function localImage(dom0: Dom0, s: SeedsGuest, ramdisk: RamdiskFormat): Promise<SeedsGuest> {
  const kernel = `${LOCAL_IMAGE_DIR}/kernel`;
  const rootfs = `${LOCAL_IMAGE_DIR}/rootfs`;
  const copy = ramdisk === "gzip" ? `cp ${q(s.rootfs)} ${rootfs}` : `gzip -dc ${q(s.rootfs)} > ${rootfs}`;
  const r = await dom0.sh(`mkdir -p ${LOCAL_IMAGE_DIR} && cp ${q(s.kernel)} ${kernel} && ${copy} && sync && echo copied`, 120);
  if (!r.out.includes("copied")) throw new Error(`copying the stubdom's image to dom0's disk failed: ${r.out.trim()}`);
  return { ...s, kernel, rootfs };
}

const ms = (from: string | undefined, to: string | undefined): number | undefined => {
  const a = Number(from);
  const b = Number(to);
  return from && to && Number.isFinite(a) && Number.isFinite(b) ? Math.round((b - a) * 1000) : undefined;
};

/**
 * `xl create`, watched. dom0 stamps XenStore events with bash's $EPOCHREALTIME (no fork per event);
 * the watch is up before xl starts. Throws with xl's words when the create fails.
 */
async function create(dom0: Dom0, dm: DeviceModel, loop: string, s: SeedsGuest): Promise<{ sample: StartupSample; t0: string }> {
  // No drop_caches: the one 4.20 run that dropped dom0's caches before each create oopsed within two
  // creates (Debian 13's 6.12.118, a corrupted cred slab in prepare_creds); the next, without, did not.
  // dom0's page cache holds the disk's backing file for both device models alike, so the disk
  // figures compare the device models' paths, not the disk.
  // The stubdom's console log goes too: a create that fails before the stubdom runs leaves the last one's.
  await dom0.sh(`printf '%s' ${q(config(dm, loop, s))} > /tmp/${G}.cfg; rm -f /tmp/${G}-serial.log /tmp/${G}-xsw.log /var/log/xen/qemu-dm-${G}.log`, 30);
  const milestones = milestonesOf(dm);
  const r = await dom0.values(
    [
      `(xenstore-watch /local/domain | while IFS= read -r p; do printf '%s %s\\n' "$EPOCHREALTIME" "$p"; done > /tmp/${G}-xsw.log) &`,
      "end=$((SECONDS + 10))",
      `until [ -s /tmp/${G}-xsw.log ] || [ "$SECONDS" -ge "$end" ]; do sleep 0.05; done`,
      "t0=$EPOCHREALTIME",
      `timeout 120 xl create /tmp/${G}.cfg > /tmp/${G}-create.log 2>&1; echo rc=$?`,
      "t1=$EPOCHREALTIME",
      "echo t0=$t0; echo t1=$t1",
      `D=$(xl domid ${G}); S=$(xl domid ${G}-dm 2>/dev/null || echo none)`,
      ...milestoneLines(dm, `/tmp/${G}-xsw.log`),
      ...(dm === "stubdom" ? [`xenstore-ls /local/domain/$S/${HEALTH_DIR}/boot-ms | sed -n 's/^\\([a-z-]*\\) = "\\([0-9]*\\)"$/boot-\\1=\\2/p'`] : []),
      "pkill -x xenstore-watch",
    ].join("\n"),
    150,
  );
  const v = r.values;
  if (v.rc !== "0") {
    const tail = async (path: string, n: number): Promise<string> => (await dom0.read(path).catch(() => "")).trim().split(/\r?\n/).slice(-n).join(" / ");
    // A stubdom that died while booting says why on its console, not in xl's words.
    const console = dm === "stubdom" ? `; the stubdom's console ended: ${await tail(`/var/log/xen/qemu-dm-${G}.log`, 4)}` : "";
    // xl's first error says what went wrong; the ones after it are the clean-up's.
    const xl = (await dom0.read(`/tmp/${G}-create.log`).catch(() => "")).split(/\r?\n/).filter((l) => /error/i.test(l));
    throw new Error(`xl create failed (${v.rc ?? "no exit status"}): ${xl.slice(0, 2).join(" / ") || "xl said no error"}${console}`);
  }
  const bootMs = Object.fromEntries(Object.entries(v).filter(([k]) => k.startsWith("boot-")).map(([k, n]) => [k.slice(5), Number(n)]));
  const sample: StartupSample = {
    createMs: ms(v.t0, v.t1)!,
    milestones: Object.fromEntries(milestones.map(([key]): [string, number | undefined] => [key, ms(v.t0, v[`m-${key}`])]).filter((e): e is [string, number] => e[1] !== undefined)),
    ...(dm === "stubdom" ? { bootMs } : {}),
  };
  return { sample, t0: v.t0! };
}

/** The guest and its stubdom destroyed, and gone. */
export async function destroy(dom0: Dom0): Promise<void> {
  const r = await dom0.sh(`for d in ${G} ${G}-dm; do xl list "$d" >/dev/null 2>&1 && timeout 60 xl destroy "$d"; done; xl list | grep -E '^${G}(-dm)? ' || echo gone`, 150);
  if (!r.out.includes("gone")) throw new Error(`xl destroy left ${r.out.trim()}`);
}

/** `fn`, then the guest destroyed; when `fn` fails, its error is the one that counts. */
async function thenDestroy<T>(dom0: Dom0, fn: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    await destroy(dom0).catch(() => undefined);
    throw e;
  }
  await destroy(dom0);
  return result;
}

/** `xl create` and its breakdown only; the guest is destroyed as soon as it returns. */
export function startupSample(dom0: Dom0, dm: DeviceModel, loop: string, s: SeedsGuest): Promise<StartupSample> {
  return thenDestroy(dom0, async () => (await create(dom0, dm, loop, s)).sample);
}

const mibs = (mib: number, msText: string | undefined): number | undefined => {
  const t = Number(msText);
  return msText && Number.isFinite(t) && t > 0 ? mib / (t / 1000) : undefined;
};

/** Each domain's CPU seconds so far, from xl list. */
async function cpuNow(dom0: Dom0): Promise<CpuSeconds> {
  const r = await dom0.values(`xl list | awk 'NR > 1 { n = $1 == "Domain-0" ? "dom0" : $1 == "${G}" ? "guest" : $1 == "${G}-dm" ? "stubdom" : ""; if (n != "") print "cpu-" n "=" $6 }'`, 30);
  const out: CpuSeconds = {};
  for (const d of ["dom0", "guest", "stubdom"] as const) {
    const v = Number(r.values[`cpu-${d}`]);
    if (r.values[`cpu-${d}`] !== undefined && Number.isFinite(v)) out[d] = v;
  }
  return out;
}

const cpuBetween = (a: CpuSeconds, b: CpuSeconds): CpuSeconds =>
  Object.fromEntries((["dom0", "guest", "stubdom"] as const).filter((d) => a[d] !== undefined && b[d] !== undefined).map((d) => [d, b[d]! - a[d]!]));

const countOrUndefined = (text: string | undefined): number | undefined => (text && /^\d+$/.test(text) ? Number(text) : undefined);

async function stubdomAfter(dom0: Dom0): Promise<StubdomAfter> {
  const health = `/local/domain/$(xl domid ${G}-dm)/${HEALTH_DIR}`;
  const r = await dom0.values(
    [
      `echo state=$(xenstore-read ${health}/state)`,
      `echo mem=$(xenstore-read ${health}/mem-available-kb)`,
      `echo restarts=$(xenstore-read ${health}/qemu/restarts)`,
      `echo rss=$(xenstore-read ${health}/qemu/rss-kb)`,
      `echo oom=$(grep -c -i -E 'out of memory|oom-kill|invoked oom-killer' /var/log/xen/qemu-dm-${G}.log)`,
    ].join("\n"),
    30,
  );
  const v = r.values;
  return { state: v.state ?? "", memAvailableKb: countOrUndefined(v.mem), qemuRestarts: countOrUndefined(v.restarts), qemuRssKb: countOrUndefined(v.rss), oomLines: countOrUndefined(v.oom) ?? 0 };
}

/** A create, then the guest's boot until it answers ping, its network both ways and its disk. */
export function fullSample(dom0: Dom0, dm: DeviceModel, loop: string, s: SeedsGuest): Promise<FullSample> {
  return thenDestroy(dom0, async () => {
    const { sample, t0 } = await create(dom0, dm, loop, s);
    const booted = await dom0.values(
      [
        `end=$((SECONDS + ${ANSWER_S}))`,
        `until busybox ping -c 1 -W 1 ${LINK.guest} >/dev/null 2>&1; do [ "$SECONDS" -ge "$end" ] && break; sleep 0.2; done`,
        "echo answered=$EPOCHREALTIME",
        `busybox ping -c 1 -W 1 ${LINK.guest} >/dev/null 2>&1 && echo ok=1`,
        `until grep -q '^guest: ready' /tmp/${G}-serial.log 2>/dev/null || [ "$SECONDS" -ge "$end" ]; do sleep 0.5; done`,
        dm === "stubdom" ? `echo tty=$(xenstore-read /local/domain/$(xl domid ${G}-dm)/device/console/3/tty)` : `echo tty=$(xenstore-read /local/domain/$(xl domid ${G})/serial/0/tty)`,
      ].join("\n"),
      ANSWER_S + 60,
    );
    if (booted.values.ok !== "1") throw new Error(`the guest did not answer ping within ${ANSWER_S} s: ${(await dom0.read(`/tmp/${G}-serial.log`)).trim().split("\n").slice(-3).join(" | ")}`);
    const tty = booted.values.tty ?? "";
    const cpu0 = await cpuNow(dom0);
    const sh = (cmd: string, secs: number) => dom0.values(`${GUEST_SH} ${q(tty)} ${secs} ${q(cmd)}; echo rc=$?`, secs + 20);
    const host = LINK.host;
    const net = await sh(
      [
        `t0=${GUEST_NOW_MS}; wget -q -O /dev/null http://${host}/seeds-payload && echo down-ms=$((${GUEST_NOW_MS} - t0))`,
        `tr -d '\\000' < /dev/urandom | head -c ${NET_MIB << 20} > /tmp/up`,
        `t0=${GUEST_NOW_MS}; wget -q -O /dev/null --post-file=/tmp/up http://${host}/cgi-bin/sink && echo up-ms=$((${GUEST_NOW_MS} - t0)); rm -f /tmp/up`,
      ].join("; "),
      300,
    );
    const cpu1 = await cpuNow(dom0);
    const disk = await sh(
      [
        `t0=${GUEST_NOW_MS}; dd if=/dev/sda of=/dev/null bs=1M count=${DISK_IO_MIB} iflag=direct 2>/dev/null && echo read-ms=$((${GUEST_NOW_MS} - t0))`,
        `t0=${GUEST_NOW_MS}; dd if=/dev/zero of=/dev/sda bs=1M seek=${DISK_MIB - DISK_IO_MIB} count=${DISK_IO_MIB} oflag=direct 2>/dev/null && echo write-ms=$((${GUEST_NOW_MS} - t0))`,
      ].join("; "),
      300,
    );
    const cpu2 = await cpuNow(dom0);
    return {
      ...sample,
      cpu: { network: cpuBetween(cpu0, cpu1), disk: cpuBetween(cpu1, cpu2) },
      ...(dm === "stubdom" ? { stubdom: await stubdomAfter(dom0) } : {}),
      answersMs: ms(t0, booted.values.answered),
      downMiBs: mibs(NET_MIB, net.values["down-ms"]),
      upMiBs: mibs(NET_MIB, net.values["up-ms"]),
      diskReadMiBs: mibs(DISK_IO_MIB, disk.values["read-ms"]),
      diskWriteMiBs: mibs(DISK_IO_MIB, disk.values["write-ms"]),
    };
  });
}
