// A Linux guest through our stubdom, checked the way its users use it, and beside it the same guest
// with the device model in dom0: it boots over its first NIC, takes a lease on both (devids 0 and 2,
// two dom0 bridges), pings dom0 on both, moves a file each way over HTTP; writes a pattern to a phy
// disk (a loop device) and a qdisk file, reads it back, and dom0 finds the same bytes on the backing
// store; answers a command typed through `xl console`; reads its CD drive as `xl cd-insert` and
// `xl cd-eject` change the disc; moves a buffer bigger than the stubdom's
// memory (64 MiB) through its disk with 1 GiB of RAM; and, with our stubdom, keeps writing while
// QEMU is killed inside the stubdom, to see what the guest gets back. Every wait is bounded.
import { seconds, type Checks } from "./checks.ts";
import { Dom0, q, sinceT0 } from "./dom0.ts";
import { cleanUp, diagnose, saveLogs } from "./guestRun.ts";
import { GUEST_LINKS, CONTROL_LINKS, PAYLOAD_BYTES, type GuestLink } from "./guestNetwork.ts";
import { cdromChecks, cdromDrive, removeDiscs, stageDiscs } from "./cdromChange.ts";
import { KILL_COMMAND, KILLABLE_SETTING, setRestart } from "./qemuRestart.ts";
import { linuxGuestLines, stubdomLines } from "./xlConfig.ts";
import { healthDir } from "../../init/healthPaths.ts";

export const GUEST_SH = "/mnt/bed/guest-sh";
/**
 * iPXE over the emulated e1000, Debian's kernel and two DHCP leases, all under TCG: 58 to 297 s
 * measured on this kind of machine with the same images, depending on the machine's day.
 */
const READY_S = 480;
/** Bigger than the whole stubdom (64 MiB): QEMU maps the guest pages of each request, not a copy. */
export const BIG_IO_MIB = 96;
const PATTERN_BYTES = 4 << 20;
/** The disks' sizes tell them apart in the guest: the order Linux names them in is not fixed. */
const PHY_MIB = 64;
const QDISK_MIB = 128;
/** The writer's blocks during the QEMU kill: 1 MiB each on the qdisk disk, past what the big I/O wrote. */
const WRITER_FIRST_MIB = BIG_IO_MIB + 4;
const WRITER_BLOCKS = 24;

export interface LinuxGuestFiles {
  kernel: string;
  rootfs: string;
  cmdline: string;
}

export interface LinuxFigures {
  dm: "stubdom" | "dom0";
  label: string;
  readyMs?: number;
  split?: BootSplit;
  downloadMs?: number;
  uploadMs?: number;
  bigIoMs?: number;
  /** Health mem-available-kb after the big I/O (stubdom only). */
  memAvailableKb?: number;
  qemuRssKb?: number;
}

type Check = (what: string, ok: boolean, detail: string) => boolean;

export interface BootSplit {
  /** Firmware, iPXE and the download of the kernel and initramfs. */
  beforeKernelMs: number;
  /** From the kernel's start to the guest's "ready" (its drivers and two leases). */
  kernelMs: number;
}

/** Where a boot's `readyMs` went, from the guest's uptime in its "ready" line (guest/init.sh). */
export function bootSplit(readyMs: number, serial: string): BootSplit | undefined {
  const m = /^guest: ready, uptime ([0-9.]+) s/m.exec(serial);
  if (!m) return undefined;
  const kernelMs = Math.round(Number(m[1]) * 1000);
  return { beforeKernelMs: readyMs - kernelMs, kernelMs };
}

export const bootSplitText = (s: BootSplit | undefined): string =>
  s ? `${seconds(s.beforeKernelMs)} before its kernel, ${seconds(s.kernelMs)} from its kernel to ready` : `no uptime in its "ready" line`;
/** The guest's clock in ms: busybox date has no %N, /proc/uptime counts hundredths. */
export const GUEST_NOW_MS = "$(awk '{ printf \"%d\", $1 * 1000 }' /proc/uptime)";

/**
 * The Linux guest's xl.cfg: 1 GiB and one vCPU, an e1000 on each of `links` (it boots over the
 * first), its `devices` lines (disks, a PCI device), and with our stubdom, 64 MiB of it, on
 * `stubdomCmdline`. The NIC passthrough guest (pciNicRun.ts) is this guest too.
 */
export function linuxGuestConfig(g: string, dm: "stubdom" | "dom0", links: readonly GuestLink[], devices: readonly string[], files: LinuxGuestFiles, stubdomCmdline = files.cmdline): string {
  return [
    `name = "${g}"`,
    `type = "hvm"`,
    `memory = 1024`,
    `vcpus = 1`,
    `vif = [ ${links.map((l) => `"mac=${l.mac},bridge=${l.bridge},model=e1000,devid=${l.devid}"`).join(", ")} ]`,
    ...devices,
    ...linuxGuestLines(g),
    ...(dm === "stubdom" ? [...stubdomLines({ stubdomKernel: files.kernel, stubdomRootfs: files.rootfs, stubdomCmdline }).slice(1), "stubdomain_memory = 64"] : []),
    "",
  ].join("\n");
}

function config(g: string, dm: "stubdom" | "dom0", links: readonly GuestLink[], loop: string, files: LinuxGuestFiles, release: string): string {
  const disks = `disk = [ "format=raw,vdev=hda,access=rw,target=${loop}", "format=raw,vdev=hdb,access=rw,backendtype=qdisk,target=/var/tmp/${g}-qdisk.img", ${cdromDrive(g, release)} ]`;
  return linuxGuestConfig(g, dm, links, [disks], files, `${files.cmdline} ${KILLABLE_SETTING}`);
}

/** `release`: the bed's Xen release (libxl 4.17 has no CD change for a stubdom). */
export async function runLinuxGuest(dom0: Dom0, checks: Checks, dm: "stubdom" | "dom0", files: LinuxGuestFiles, saveDir: string, release: string): Promise<LinuxFigures> {
  const label = `Linux guest (${dm === "stubdom" ? "stubdom at 64 MiB" : "device model in dom0"})`;
  const g = dm === "stubdom" ? "linux" : "linux-dom0";
  const links = dm === "stubdom" ? GUEST_LINKS : CONTROL_LINKS;
  const check: Check = (what, ok, detail) => checks.record(`${label}: ${what}`, ok, detail);
  const fig: LinuxFigures = { dm, label };

  const staged = await dom0.values(
    [
      `truncate -s ${PHY_MIB}M /var/tmp/${g}-phy.img && truncate -s ${QDISK_MIB}M /var/tmp/${g}-qdisk.img`,
      `echo loop=$(losetup -f --show /var/tmp/${g}-phy.img)`,
      stageDiscs(g),
    ].join("\n"),
    30,
  );
  const loop = staged.values.loop ?? "";
  await dom0.sh(`printf '%s' ${q(config(g, dm, links, loop, files, release))} > /tmp/${g}.cfg`, 20);
  const created = await dom0.values(
    [
      "t0=$(date +%s%N)",
      `timeout 120 xl create /tmp/${g}.cfg > /tmp/${g}-create.log 2>&1; echo rc=$?`,
      `end=$((SECONDS + ${READY_S}))`,
      `until grep -q '^guest: ready' /tmp/${g}-serial.log 2>/dev/null || [ "$SECONDS" -ge "$end" ]; do sleep 0.5; done`,
      `grep -q '^guest: ready' /tmp/${g}-serial.log 2>/dev/null && echo ready-ms=${sinceT0}`,
      dm === "stubdom" ? `S=$(xl domid ${g}-dm); echo stubdom=$S; echo tty=$(xenstore-read /local/domain/$S/device/console/3/tty)` : `echo tty=$(xenstore-read /local/domain/$(xl domid ${g})/serial/0/tty)`,
    ].join("\n"),
    READY_S + 150,
  );
  const v = created.values;
  if (v.rc !== "0" || v["ready-ms"] === undefined) {
    const failure = v.rc !== "0" ? diagnose(await dom0.read(`/tmp/${g}-create.log`)) : `no "guest: ready" within ${READY_S} s: ${(await dom0.read(`/tmp/${g}-serial.log`)).trim().split("\n").slice(-3).join(" | ")}`;
    check("boots over its first NIC (iPXE) and gets a lease on both NICs, devids 0 and 2", false, failure);
    await finish(dom0, check, g, loop, saveDir);
    return fig;
  }
  fig.readyMs = Number(v["ready-ms"]);
  const tty = v.tty ?? "";
  const serial = await dom0.read(`/tmp/${g}-serial.log`);
  fig.split = bootSplit(fig.readyMs, serial);
  const leases = links.map((l) => new RegExp(`^guest: lease eth\\d ${l.guest.replace(/\./g, "\\.")}/24`, "m").test(serial));
  check("boots over its first NIC (iPXE) and gets a lease on both NICs, devids 0 and 2", leases.every(Boolean), `ready ${seconds(fig.readyMs)} after xl create began (${bootSplitText(fig.split)}); ${links.map((l, i) => `${l.guest} ${leases[i] ? "leased" : "missing"}`).join(", ")}`);

  const sh = (cmd: string, secs: number) => dom0.values(`${GUEST_SH} ${q(tty)} ${secs} ${q(cmd)}; echo rc=$?`, secs + 20);

  // Network: both links, both ways.
  const ping = await sh(links.map((l) => `ping -c 3 -W 5 ${l.host} | tail -1`).join("; "), 60);
  check("pings dom0 on both bridges", ping.values.rc === "0", ping.out.trim().split("\n").filter((l) => /round-trip|rc=/.test(l)).join("; "));
  const down = await sh(`t0=${GUEST_NOW_MS}; wget -q -O /tmp/down http://${links[0]!.host}/payload && echo ms=$((${GUEST_NOW_MS} - t0)) && echo sha=$(sha256sum /tmp/down | cut -d' ' -f1)`, 120);
  const want = (await dom0.read("/tmp/www/payload.sha256")).trim();
  fig.downloadMs = Number(down.values.ms);
  check(`downloads ${PAYLOAD_BYTES >> 20} MiB over HTTP on the first NIC, intact`, down.values.sha === want && want !== "", down.values.sha === want ? seconds(fig.downloadMs) : `sha256 ${down.values.sha ?? "none"} against ${want}`);
  // No NUL in the upload: busybox wget takes --post-file as a C string (its Content-Length is strlen).
  const up = await sh(`tr -d '\\000' < /dev/urandom | head -c ${PAYLOAD_BYTES} > /tmp/up && echo mine=$(sha256sum /tmp/up | cut -d' ' -f1) && t0=${GUEST_NOW_MS} && echo theirs=$(wget -q -O - --post-file=/tmp/up 'http://${links[1]!.host}/cgi-bin/upload?${g}') && echo ms=$((${GUEST_NOW_MS} - t0))`, 120);
  fig.uploadMs = Number(up.values.ms);
  const stored = (await dom0.sh(`sha256sum /tmp/www/uploads/${g} | cut -d' ' -f1`, 20)).out.trim();
  check(`uploads ${PAYLOAD_BYTES >> 20} MiB over HTTP on the second NIC, intact in dom0`, up.values.mine !== undefined && up.values.mine === stored, up.values.mine === stored ? seconds(fig.uploadMs) : `guest ${up.values.mine ?? "?"}, dom0 ${stored || "none"}`);

  // Disks: a pattern of its own on each, read back by the guest and checked by dom0 on the backing store.
  const named = await sh("for d in /sys/block/sd*; do echo size-$(cat $d/size)=${d##*/}; done", 20);
  const phy = named.values[`size-${PHY_MIB * 2048}`] ?? "none";
  const qdisk = named.values[`size-${QDISK_MIB * 2048}`] ?? "none";
  const disks = await sh(
    [
      ...[["phy", phy], ["qdisk", qdisk]].map(([k, d]) => `head -c ${PATTERN_BYTES} /dev/urandom > /tmp/${k} && echo ${k}=$(sha256sum /tmp/${k} | cut -d' ' -f1) && dd if=/tmp/${k} of=/dev/${d} bs=1M conv=fsync 2>/dev/null`),
      "echo 3 > /proc/sys/vm/drop_caches",
      ...[["phy", phy], ["qdisk", qdisk]].map(([k, d]) => `echo back-${k}=$(dd if=/dev/${d} bs=1M count=${PATTERN_BYTES >> 20} 2>/dev/null | sha256sum | cut -d' ' -f1)`),
    ].join("; "),
    180,
  );
  const backing = await dom0.values(`echo phy=$(head -c ${PATTERN_BYTES} ${loop} | sha256sum | cut -d' ' -f1); echo qdisk=$(head -c ${PATTERN_BYTES} /var/tmp/${g}-qdisk.img | sha256sum | cut -d' ' -f1)`, 60);
  const diskCheck = (k: "phy" | "qdisk", dev: string, what: string): void => {
    const want = disks.values[k];
    const guest = disks.values[`back-${k}`];
    check(what, !!want && guest === want && backing.values[k] === want, `the guest's /dev/${dev}: ${guest === want ? "ok" : guest ?? "?"}; dom0: ${backing.values[k] === want ? "ok" : backing.values[k] ?? "?"}`);
  };
  diskCheck("phy", phy, "a phy disk (a dom0 loop device): the guest reads back its pattern, and dom0 finds it on the loop device");
  diskCheck("qdisk", qdisk, "a qdisk file: the guest reads back its pattern, and dom0 finds it in the file");

  // Console: what a person types through xl console.
  await consoleForms(dom0, check, g, dm);
  await cdromChecks(dom0, check, sh, g, dm, release);

  // Memory: a buffer bigger than the stubdom through the guest's disk.
  const big = await sh(`dd if=/dev/urandom of=/tmp/big bs=1M count=${BIG_IO_MIB} 2>/dev/null && t0=${GUEST_NOW_MS} && dd if=/tmp/big of=/dev/${qdisk} bs=${BIG_IO_MIB}M count=1 oflag=direct 2>/dev/null && dd if=/dev/${qdisk} of=/dev/null bs=${BIG_IO_MIB}M count=1 iflag=direct 2>/dev/null && echo ms=$((${GUEST_NOW_MS} - t0)); rm -f /tmp/big`, 600);
  fig.bigIoMs = Number(big.values.ms);
  if (dm === "stubdom") {
    const s = v.stubdom ?? "";
    const mem = await dom0.values(`echo avail=$(xenstore-read ${healthDir(Number(s))}/mem-available-kb); echo rss=$(xenstore-read ${healthDir(Number(s))}/qemu/rss-kb); echo state=$(xenstore-read ${healthDir(Number(s))}/state); grep -ciE 'out of memory|oom-kill|invoked oom' /var/log/xen/qemu-dm-${g}.log | sed 's/^/oom=/'`, 30);
    fig.memAvailableKb = Number(mem.values.avail) || undefined;
    fig.qemuRssKb = Number(mem.values.rss) || undefined;
    check(`${BIG_IO_MIB} MiB through the disk in one request, with 1 GiB of guest RAM: no OOM in the 64 MiB stubdom`, big.values.ms !== undefined && mem.values.oom === "0" && mem.values.state === "running",
      `${seconds(fig.bigIoMs)}; stubdom state ${mem.values.state}, MemAvailable ${mem.values.avail} kB, QEMU RSS ${mem.values.rss} kB, OOM lines ${mem.values.oom}`);
    await killDuringWrites(dom0, check, g, s, sh, links[0]!, qdisk);
  } else {
    check(`${BIG_IO_MIB} MiB through the disk in one request, with 1 GiB of guest RAM`, big.values.ms !== undefined, big.values.ms !== undefined ? seconds(fig.bigIoMs) : big.out.trim().split("\n").slice(-2).join(" | "));
  }
  await finish(dom0, check, g, loop, saveDir);
  return fig;
}

/**
 * The forms of xl console a user would try for the guest's first serial port (the pty): which of
 * them reach the guest's shell. `xl console <g>` must, with the answer to what was typed coming back.
 */
async function consoleForms(dom0: Dom0, check: Check, g: string, dm: "stubdom" | "dom0"): Promise<void> {
  const forms = [`xl console ${g}`, `xl console -t serial ${g}`, ...(dm === "stubdom" ? [`xl console -t pv -n 3 ${g}-dm`] : [])];
  const works: boolean[] = [];
  for (const form of forms) {
    // Typed again each second until the answer comes (xl console gives no sign that it is attached).
    const r = await dom0.sh(`for i in $(seq 15); do printf 'echo typed-$((6*7))\\n'; sleep 1; done | timeout 20 socat - EXEC:${q(form)},pty,setsid,ctty,raw,echo=0 2>/dev/null | grep -m1 -q 'typed-42' && echo answered`, 40);
    works.push(r.out.includes("answered"));
  }
  const said = forms.map((f, i) => `\`${f}\` ${works[i] ? "works" : "does not answer"}`).join("; ");
  check("a command typed through `xl console <guest>` runs in the guest and its answer comes back", works[0] === true, said);
}

const ON_FAILURE_CHECK = "restart=on-failure (set from dom0): QEMU killed during the guest's disk writes is restarted, and the blocks written before it are whole on disk";

/**
 * QEMU is killed inside the stubdom while the guest writes numbered 1 MiB blocks (direct, synced),
 * first with restart=on-failure set from dom0, to see what a restart gives the guest, then again
 * with the default restart=no, to see health say so. What the guest got is read in dom0: the blocks
 * from the backing file (the guest's serial may not survive), its vCPU from `xl vcpu-list`, its
 * network by pinging it.
 */
async function killDuringWrites(dom0: Dom0, check: Check, g: string, s: string, sh: (cmd: string, secs: number) => ReturnType<Dom0["values"]>, link: GuestLink, qdisk: string): Promise<void> {
  const health = healthDir(Number(s));
  const set = await setRestart(dom0, g, s, "on-failure", "no");
  if ("why" in set) {
    check(ON_FAILURE_CHECK, false, `dom0's stubdom/config/restart = on-failure: ${set.why}`);
    return;
  }
  await sh(`setsid block-writer /dev/${qdisk} ${WRITER_FIRST_MIB} ${WRITER_BLOCKS} < /dev/null > /dev/null 2>&1 & echo started`, 20);
  // Each block is one 16-byte line, "block 000000007\n", 65536 times: dom0 reads the region back as
  // text, the unwritten blocks being zeros.
  const blocksIn = `dd if=/var/tmp/${g}-qdisk.img bs=1M skip=${WRITER_FIRST_MIB} count=${WRITER_BLOCKS} 2>/dev/null | tr -d '\\000' | uniq -c | awk '$2 == "block" { printf "%d:%d ", $3, $1 }'`;
  const r = await dom0.values(
    [
      "end=$((SECONDS + 60))",
      `until [ "$(${blocksIn} | wc -w)" -ge 2 ] || [ "$SECONDS" -ge "$end" ]; do sleep 0.5; done`,
      `echo before=$(${blocksIn} | wc -w)`,
      `old=$(xenstore-read ${health}/qemu/restarts)`,
      `timeout 20 xl qemu-monitor-command ${g} ${q(KILL_COMMAND)} >/dev/null 2>&1`,
      "end=$((SECONDS + 60))",
      `until [ "$(xenstore-read ${health}/qemu/restarts)" -gt "$old" ] && [ "$(xenstore-read ${health}/qemu/state)" = up ]; do [ "$SECONDS" -ge "$end" ] && break; sleep 0.2; done`,
      `echo restarted=$(( $(xenstore-read ${health}/qemu/restarts) > old ))`,
      // Then until the writer is done, or no block has come for 20 s.
      "end=$((SECONDS + 120)); last=-1; still=0",
      `while [ "$SECONDS" -lt "$end" ]; do grep -q 'guest: writer done' /tmp/${g}-serial.log && break; n=$(${blocksIn} | wc -w); if [ "$n" = "$last" ]; then still=$((still + 1)); [ $still -ge 40 ] && break; else still=0; last=$n; fi; sleep 0.5; done`,
      `echo done=$(grep -c 'guest: writer done' /tmp/${g}-serial.log)`,
      `echo blocks=$(${blocksIn})`,
      // xl vcpu-list's state: r running, b blocked in the guest, none of them: waiting in Xen.
      `echo vcpu=$(xl vcpu-list ${g} | awk 'NR == 2 { print $5 }')`,
      `busybox ping -c 3 -W 2 ${link.guest} > /dev/null 2>&1 && echo ping=yes || echo ping=no`,
    ].join("\n"),
    300,
  );
  const v = r.values;
  const before = Number(v.before);
  // Each entry is "<block>:<lines>", a whole block being 65536 lines: blocks 0, 1, 2 ... in order and
  // whole, but for the last, which may be cut short (the write in flight when QEMU died).
  const entries = (v.blocks ?? "").trim().split(" ").filter(Boolean);
  const whole = entries.filter((e, i) => e === `${i}:65536`).length;
  const last = /^(\d+):(\d+)$/.exec(entries[entries.length - 1] ?? "");
  const cut = last !== null && whole === entries.length - 1 && Number(last[1]) === whole && Number(last[2]) < 65536 ? Number(last[2]) * 16 : undefined;
  const intact = whole === entries.length || cut !== undefined;
  const vcpu = v.vcpu === "---" ? "its vCPU waits in Xen for good (xl vcpu-list: ---)" : `its vCPU is ${v.vcpu ?? "?"} in xl vcpu-list`;
  const disk = intact ? `${whole} whole blocks on disk, in order${cut !== undefined ? `, then block ${whole} cut at ${cut >> 10} KiB (in flight at the kill)` : ""}` : `blocks on disk out of order or torn: ${v.blocks}`;
  const said = `${disk}; the writer ${v.done === "1" ? "finished" : "never finished"}; ${vcpu}; the guest ${v.ping === "yes" ? "answers" : "does not answer"} ping on its first NIC`;
  check(ON_FAILURE_CHECK, v.restarted === "1" && before > 0 && intact, said);

  // The default: QEMU is not started again, and health says so in a sentence.
  const back = await setRestart(dom0, g, s, "no", "on-failure");
  const d = await dom0.values(
    [
      `timeout 20 xl qemu-monitor-command ${g} ${q(KILL_COMMAND)} >/dev/null 2>&1`,
      "end=$((SECONDS + 30))",
      `until [ "$(xenstore-read ${health}/state)" = failed ] || [ "$SECONDS" -ge "$end" ]; do sleep 0.2; done`,
      `echo state=$(xenstore-read ${health}/state)`,
      `echo qemu=$(xenstore-read ${health}/qemu/state)`,
      `echo error=$(xenstore-read ${health}/error)`,
    ].join("\n"),
    60,
  );
  const dv = d.values;
  check("restart=no, the default: QEMU killed is not started again, and health says failed with a sentence", "ms" in back && dv.state === "failed" && /restart is "no"/.test(dv.error ?? ""),
    `${"why" in back ? `restart=no: ${back.why}; ` : ""}state ${dv.state}, qemu/state ${dv.qemu}, error "${dv.error ?? ""}"`);
}

async function finish(dom0: Dom0, check: Check, g: string, loop: string, saveDir: string): Promise<void> {
  await saveLogs(dom0, g, saveDir);
  await dom0.sh(`timeout 60 xl destroy ${g} >/dev/null 2>&1; true`, 80);
  await cleanUp(dom0, check, g);
  await dom0.sh(`losetup -d ${q(loop)} 2>/dev/null; rm -f /var/tmp/${g}-phy.img /var/tmp/${g}-qdisk.img; ${removeDiscs(g)}; true`, 30);
}
