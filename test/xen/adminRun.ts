// What an admin does on a Xen host, in dom0: install our Debian package with dpkg (Debian's own
// node and Xen already there), upgrade it, boot a guest with only the xl.cfg lines the README
// names (the images come from libxl's firmware directory), use `stubdomctl` against Xen's own
// xenstored (status of every stubdom, watch, set), attach to the stubdom's console channel with
// the debug shell off (the log; typing runs nothing) and on (a command runs in the stubdom and its
// answer comes back), then purge the package and find nothing left behind. The dom0 device model
// has no stubdom to look into, so there is no control here: every check is about our package.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { healthDir } from "../../init/healthPaths.ts";
import { consoleVchanDir } from "../../init/stubdomPaths.ts";
import type { XenReleaseName } from "../../qemu/xenReleases.ts";
import { GUEST_HELLO } from "./heartbeatGuest.ts";
import type { Checks } from "./checks.ts";
import { parseValues, q, type Dom0 } from "./dom0.ts";
import { cleanUp, saveLogs } from "./guestRun.ts";
import { xlConfig } from "./xlConfig.ts";

export interface AdminDebs {
  /** dom0's paths of the first version's .deb and of a higher one, and their versions. */
  first: string;
  firstVersion: string;
  upgrade: string;
  upgradeVersion: string;
}

const G = "adm";
/** Where file lists are compared: what a package may touch; what Xen and dpkg itself rewrite is left out. */
const FILE_LIST = "find /usr /etc /var/lib /opt -xdev 2>/dev/null | grep -Ev '^/var/lib/(xen|xenstored)(/|$)|^/var/lib/dpkg/([^/]*-old|triggers/.*)$' | sort";
const CON = "/tmp/adm-console";

/** Polls a shell condition in dom0 every 0.2 s, up to `s` seconds; the condition's last try decides. */
const until = (condition: string, s: number): string =>
  `end=$((SECONDS + ${s})); until ${condition}; do [ "$SECONDS" -ge "$end" ] && break; sleep 0.2; done; ${condition}`;

export async function runAdmin(dom0: Dom0, checks: Checks, debs: AdminDebs, release: XenReleaseName, disk: string, saveDir: string): Promise<void> {
  const check = (what: string, ok: boolean, detail: string): boolean => checks.record(`package and stubdomctl: ${what}`, ok, detail);
  const boot = `/usr/lib/xen-${release}/boot`;

  // 1. Install and upgrade, with only Debian's packages in dom0.
  const inst = await dom0.values(
    [
      `${FILE_LIST} > /tmp/files-before`,
      `dpkg -i ${q(debs.first)} > /tmp/dpkg-install.log 2>&1; echo rc=$?`,
      "echo version=$(dpkg-query -W -f='${Version}' stubdom-init 2>/dev/null)",
      `echo files=$(cd ${boot} && ls qemu-stubdom-linux-kernel qemu-stubdom-linux-rootfs 2>/dev/null | tr '\\n' ' ')`,
      "echo node=$(node --version 2>&1) from $(dpkg-query -W -f='${Package} ${Version}' nodejs 2>/dev/null)",
      "echo proxy=$(readlink /usr/bin/vchan-socket-proxy)",
      "tail -3 /tmp/dpkg-install.log | sed 's/^/log=/'",
    ].join("\n"),
    180,
  );
  const v = inst.values;
  const installed = check(
    "dpkg -i installs the release's package (kernel and rootfs in /usr/lib/xen-<release>/boot, libxl's firmware directory)",
    v.rc === "0" && v.version === debs.firstVersion && v.files?.trim() === "qemu-stubdom-linux-kernel qemu-stubdom-linux-rootfs",
    v.rc === "0" ? `version ${v.version} in ${boot}; ${v.files}; node ${v.node}; /usr/bin/vchan-socket-proxy -> ${v.proxy || "(none)"}` : `exit ${v.rc}: ${inst.out.split("\n").filter((l) => l.startsWith("log=")).join(" | ")}`,
  );
  if (!installed) return;
  const help = await dom0.sh("stubdomctl --help", 60);
  const commands = [...help.out.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
  check("stubdomctl runs under Debian's node and lists the commands a Xen host uses", help.rc === 0 && commands.join(",") === "status,watch,set,console", `exit ${help.rc}; commands: ${commands.join(", ")}`);
  const up = await dom0.values(
    [`dpkg -i ${q(debs.upgrade)} > /tmp/dpkg-upgrade.log 2>&1; echo rc=$?`, "echo version=$(dpkg-query -W -f='${Version}' stubdom-init)", `echo files=$(ls ${boot}/qemu-stubdom-linux-* | wc -l)`, "tail -2 /tmp/dpkg-upgrade.log | sed 's/^/log=/'"].join("\n"),
    180,
  );
  check("dpkg -i upgrades it to a higher version", up.values.rc === "0" && up.values.version === debs.upgradeVersion && up.values.files === "2", `exit ${up.values.rc}; version ${up.values.version} (wanted ${debs.upgradeVersion}); ${up.values.files} image files`);

  // 2. A guest with only the README's lines: no stubdomain_kernel, _ramdisk or _cmdline.
  const cfg = xlConfig({ name: G, disk: `/tmp/${G}.img`, serialFile: `/tmp/${G}-serial.log` });
  const created = await dom0.values(
    [`cp ${q(disk)} /tmp/${G}.img && printf '%s' ${q(cfg)} > /tmp/${G}.cfg`, `timeout 120 xl create /tmp/${G}.cfg > /tmp/${G}-create.log 2>&1; echo rc=$?`, `echo s=$(xl domid ${G}-dm 2>/dev/null)`, `echo g=$(xl domid ${G} 2>/dev/null)`].join("\n"),
    200,
  );
  const S = created.values.s ?? "";
  if (!check("xl create with only the README's xl.cfg lines boots the guest's stubdom from the package", created.values.rc === "0" && /^\d+$/.test(S), `exit ${created.values.rc}; stubdom ${S || "-"}`)) {
    await saveLogs(dom0, G, saveDir);
    await cleanUp(dom0, check, G);
    return;
  }
  const running = await dom0.waitFor(`[ "$(xenstore-read ${healthDir(Number(S))}/state 2>/dev/null)" = running ] && grep -qF ${q(GUEST_HELLO)} /tmp/${G}-serial.log`, 90);

  // 3. status and watch against Xen's own xenstored; a setting changed with set.
  const st = await dom0.sh(`stubdomctl status; echo "rc=$?"; stubdomctl status ${G} >/dev/null; echo "by-guest-name=$?"`, 60);
  const row = new RegExp(`^${G}-dm +${S} +${created.values.g} +running +up `, "m");
  check("stubdomctl status lists the stubdom as running, also by its guest's name", running !== undefined && row.test(st.out) && /by-guest-name=0/.test(st.out), st.out.trim().split("\n").slice(0, 2).join(" | "));

  const channel = (await dom0.sh(`xenstore-ls -p ${consoleVchanDir(Number(S))}`, 30)).out;
  const ringPerms = /ring-ref = "\d+"[\s.]*\(([^)]*)\)/.exec(channel)?.[1];
  check(
    "the console channel's vchan is for dom0 alone (libxenvchan grants its ring to domain 0, and its keys read n<S>,r0)",
    ringPerms === `n${S},r0`,
    ringPerms ? `${consoleVchanDir(Number(S))}/ring-ref (${ringPerms})` : `no ring-ref under ${consoleVchanDir(Number(S))}: ${channel.trim().slice(0, 200)}`,
  );

  const con = await dom0.sh(
    [
      `rm -f ${CON}.in ${CON}.out ${CON}.err; mkfifo ${CON}.in`,
      // The fifo's writer stays open between requests, so the console's input never ends on its own.
      `setsid sh -c 'sleep 600 > ${CON}.in' < /dev/null > /dev/null 2>&1 &`,
      `setsid sh -c 'stubdomctl console ${G} < ${CON}.in > ${CON}.out 2> ${CON}.err; echo "exit=$?" >> ${CON}.err' < /dev/null > /dev/null 2>&1 &`,
      until(`grep -q "the supervisor's log" ${CON}.out 2>/dev/null`, 30),
      "echo rc=$?",
      `printf 'echo $((6*7))xyz\\n' > ${CON}.in`,
      until(`grep -q 'typing runs nothing here' ${CON}.out`, 30),
      "echo refused=$?",
      `echo ran=$(grep -c 42xyz ${CON}.out)`,
      `echo lines=$(grep -c ' info: ' ${CON}.out)`,
      `head -c 300 ${CON}.err | tr '\\n' ' ' | sed 's/^/err=/'; echo`,
    ].join("\n"),
    90,
  );
  const c = parseValues(con.out);
  check(
    "stubdomctl console with debug-shell off: the supervisor's log through the vchan, and a typed command runs nothing",
    c.rc === "0" && c.refused === "0" && c.ran === "0" && Number(c.lines) > 0,
    c.rc === "0" ? `${c.lines} log lines; typed "echo $((6*7))xyz": ${c.refused === "0" ? "answered with the refusal" : "no refusal"}, ${c.ran === "0" ? "no 42xyz" : "42xyz came back"}` : `no log greeting within 30 s; ${c.err}`,
  );

  const live = await dom0.sh(
    [
      `setsid sh -c 'stubdomctl watch ${G} > /tmp/adm-watch.out 2>&1' < /dev/null > /dev/null 2>&1 &`,
      until("grep -q 'watching' /tmp/adm-watch.out", 30),
      `stubdomctl set ${G} debug-shell=true; echo set=$?`,
      until(`grep -q 'debug-shell/state = "up"' /tmp/adm-watch.out`, 30),
      "echo watched=$?",
      until(`grep -q 'a root shell in the stubdom' ${CON}.out`, 30),
      "echo shell=$?",
      `printf 'echo $((6*7))xyz host=$(cat /proc/sys/kernel/hostname) tty=$(busybox tty); busybox sleep 300 & jobs\\n' > ${CON}.in`,
      until(`grep -q '^42xyz' ${CON}.out && grep -q '^\\[1\\]' ${CON}.out`, 30),
      "echo answered=$?",
      `grep -a '^42xyz' ${CON}.out | head -1 | tr -d '\\r' | sed 's/^/answer=/'`,
      `grep -a '^\\[1\\]' ${CON}.out | head -1 | tr -d '\\r' | sed 's/^/job=/'`,
      `printf '\\035' > ${CON}.in`,
      until(`grep -q '^exit=' ${CON}.err`, 30),
      `grep '^exit=' ${CON}.err | sed 's/^exit=/detached=/'`,
      "pkill -f 'stubdomctl watch' ; pkill -f 'sleep 600' ; true",
    ].join("\n"),
    150,
  );
  const l = parseValues(live.out);
  check("stubdomctl set debug-shell=true is applied live, and stubdomctl watch shows it (debug-shell/state = up)", l.set === "0" && l.watched === "0", `set exit ${l.set}; ${l.watched === "0" ? "watch printed the change" : "watch did not print debug-shell/state = up within 30 s"}`);
  check(
    "stubdomctl console with debug-shell on: the attached session turns into a root shell, a command typed in dom0 runs in the stubdom, with job control",
    l.shell === "0" && l.answered === "0" && l.answer?.includes(`host=stubdom-${S}`) === true && /tty=\/dev\/pts\//.test(l.answer ?? ""),
    `${l.answer ?? "no answer"}; ${l.job ?? "no job line"}`,
  );
  check("stubdomctl console: Ctrl-] detaches, exit 0", l.detached === "0", `exit ${l.detached ?? "none within 30 s"}`);
  await dom0.sh(`stubdomctl set ${G} --unset debug-shell; cp ${CON}.out /tmp/${G}-console-session.log`, 30);
  await saveLogs(dom0, G, saveDir);
  writeFileSync(join(saveDir, G, "stubdomctl-console.log"), await dom0.read(`/tmp/${G}-console-session.log`));
  await dom0.sh(`timeout 60 xl destroy ${G}`, 80);
  await dom0.waitFor(`! xl list ${G} >/dev/null 2>&1 && ! xl list ${G}-dm >/dev/null 2>&1`, 30);
  await cleanUp(dom0, check, G);

  // 4. Remove and purge: nothing of ours stays, nothing of Debian's goes.
  const gone = await dom0.sh([`dpkg --purge stubdom-init > /tmp/dpkg-purge.log 2>&1; echo "rc=$?"`, `${FILE_LIST} > /tmp/files-after`, "diff /tmp/files-before /tmp/files-after | grep '^[<>]' | head -20 | sed 's/^/diff=/'"].join("\n"), 120);
  const diff = gone.out.split("\n").filter((x) => x.startsWith("diff=")).map((x) => x.slice(5));
  check("dpkg --purge leaves /usr, /etc, /var/lib and /opt as they were before the install", /rc=0/.test(gone.out) && diff.length === 0, diff.length ? `${diff.join("; ")}` : /rc=0/.test(gone.out) ? "no file added or removed" : gone.out.trim());
}

