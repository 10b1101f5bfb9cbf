// The real stubjs binary running small scripts: the sys module's errors, spawn's fd map and failure
// reporting, waitpid decoding, the event loop's end, rejection handling, and PID 1 behaviour in a
// PID namespace. Needs root (namespaces, mount, uid switch) and /bin/busybox.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildRuntime } from "../../runtime/build.ts";

const stubjs = await buildRuntime();
const dir = mkdtempSync(join(tmpdir(), "stubjs-test-"));
const BB = "/bin/busybox";
const RUN_TIMEOUT_MS = 10_000;

/** Helpers available to every script. */
const PRELUDE = `
import * as sys from "sys";
import * as os from "os";
const BB = ${JSON.stringify(BB)};
const DIR = ${JSON.stringify(dir)};
function thrown(fn) {
  try { fn(); return null; }
  catch (e) { return { code: e.code, errno: e.errno, message: e.message, isError: e instanceof Error }; }
}
function readAll(fd) {
  const buf = new ArrayBuffer(4096);
  let s = "";
  for (;;) {
    const n = os.read(fd, buf, 0, buf.byteLength);
    if (n <= 0) break;
    s += String.fromCharCode(...new Uint8Array(buf, 0, n));
  }
  os.close(fd);
  return s;
}
function writeStr(fd, s) {
  const a = Uint8Array.from(s, (c) => c.charCodeAt(0));
  return os.write(fd, a.buffer, 0, a.length);
}
function decode(status) {
  return (status & 0x7f) === 0 ? { code: (status >> 8) & 0xff } : { signal: status & 0x7f };
}
/** Runs argv with stdout captured (as child fd 1 unless opts.fds says otherwise). */
function run(argv, opts = {}) {
  const [r, w] = os.pipe();
  const fds = (opts.fds ?? [0, 1, 2]).map((fd) => (fd === "out" ? w : fd));
  const pid = sys.spawn(argv, { ...opts, fds: opts.fds ? fds : [0, w, 2] });
  os.close(w);
  const out = readAll(r);
  return { out, ...decode(sys.waitpid(pid, 0)[1]) };
}
`;

let scripts = 0;
function script(body: string): string {
  const path = join(dir, `script${scripts++}.js`);
  writeFileSync(path, PRELUDE + body);
  return path;
}

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a script with stubjs (optionally under a wrapper command such as unshare), bounded in time. */
function runScript(body: string, wrapper: string[] = []): Run {
  const argv = [...wrapper, stubjs, script(body)];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: RUN_TIMEOUT_MS });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a script that prints JSON as its last stdout line, expecting a clean exit. */
function runJson(body: string, wrapper: string[] = []): any {
  const r = runScript(body, wrapper);
  assert.is(r.status, 0, `exit ${r.status} ${r.signal ?? ""}\n${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

test("a failing call throws an Error with .code and a message naming the call", () => {
  const r = runJson(`
    print(JSON.stringify({
      mount: thrown(() => sys.mount("none", "/nonexistent/stubjs", "tmpfs")),
      kill: thrown(() => sys.kill(0x7fffffff, 0)),
      chmod: thrown(() => sys.chmod("/nonexistent/x", 0o644)),
      names: [sys.errnoName(2), sys.errnoName(-13), sys.errnoName(100000)],
    }));
  `);
  assert.equal(r.mount, {
    code: "ENOENT",
    errno: 2,
    message: 'mount("none", "/nonexistent/stubjs", "tmpfs"): No such file or directory',
    isError: true,
  });
  assert.is(r.kill.code, "ESRCH");
  assert.is(r.kill.message, "kill(2147483647, 0): No such process");
  assert.is(r.chmod.message, 'chmod("/nonexistent/x", 420): No such file or directory');
  assert.equal(r.names, ["ENOENT", "EACCES", null]);
});

test("spawn passes a pipe as fd 3", () => {
  const r = runJson(`
    const [r, w] = os.pipe();
    writeStr(w, "through fd 3\\n");
    os.close(w);
    const res = run([BB, "sh", "-c", "cat <&3"], { fds: [0, "out", 2, r] });
    print(JSON.stringify(res));
  `);
  assert.equal(r, { out: "through fd 3\n", code: 0 });
});

test("spawn applies a crossing fd map and closes every other fd", () => {
  // The child lists its own fds once it runs: read from outside right after spawn returns, the
  // kernel may still be closing close-on-exec fds (exec's error pipe closes first, in fd order).
  const r = runJson(`
    // Parent fds 10 and 11 are swapped in the child: each target is also another entry's source.
    const [a] = os.pipe();
    const [b] = os.pipe();
    const [outR, outW] = os.pipe();
    os.dup2(a, 10); os.dup2(b, 11);
    const link = (fd) => os.readlink("/proc/self/fd/" + fd)[0];
    const pid = sys.spawn([BB, "sh", "-c", "ls /proc/$$/fd; readlink /proc/$$/fd/10; readlink /proc/$$/fd/11"], { fds: [0, outW, 2, -1, -1, -1, -1, -1, -1, -1, 11, 10] });
    os.close(outW);
    sys.waitpid(pid, 0);
    const buf = new ArrayBuffer(4096);
    const lines = String.fromCharCode.apply(null, new Uint8Array(buf, 0, os.read(outR, buf, 0, 4096))).trim().split("\\n");
    print(JSON.stringify({
      fds: lines.slice(0, -2).sort(),
      distinct: link(10) !== link(11),
      ten: lines[lines.length - 2] === link(11),
      eleven: lines[lines.length - 1] === link(10),
    }));
  `);
  assert.equal(r, { fds: ["0", "1", "10", "11", "2"], distinct: true, ten: true, eleven: true });
});

test("spawn failures before exec are thrown with the child's errno", () => {
  const notExecutable = join(dir, "not-executable");
  writeFileSync(notExecutable, "data", { mode: 0o644 });
  const r = runJson(`
    print(JSON.stringify({
      absolute: thrown(() => sys.spawn(["/nonexistent/prog"])),
      searched: thrown(() => sys.spawn(["no-such-prog-stubjs"], { env: ["PATH=/bin:/usr/bin"] })),
      denied: thrown(() => sys.spawn([${JSON.stringify(notExecutable)}])),
      cwd: thrown(() => sys.spawn([BB, "true"], { cwd: "/nonexistent/dir" })),
      badFd: thrown(() => sys.spawn([BB, "true"], { fds: [0, 1, 2, 999] })),
      children: sys.waitpid(-1, sys.WNOHANG),
    }));
  `);
  assert.is(r.absolute.code, "ENOENT");
  assert.is(r.absolute.message, 'spawn(["/nonexistent/prog"]): execve("/nonexistent/prog"): No such file or directory');
  assert.is(r.searched.code, "ENOENT");
  assert.is(r.denied.code, "EACCES");
  assert.is(r.cwd.code, "ENOENT");
  assert.ok(r.cwd.message.includes('chdir("/nonexistent/dir")'), r.cwd.message);
  assert.is(r.badFd.code, "EBADF");
  assert.is(r.children, null, "failed children are already reaped");
});

test("spawn sets ids, a new session with a controlling tty, and default signal handling", () => {
  const r = runJson(`
    os.signal(sys.SIGUSR1, undefined); // SIG_IGN in the parent must not reach the child
    const ids = run([BB, "sh", "-c", "id -u; id -g; id -G"], { uid: 65534, gid: 65534 }).out.split("\\n");
    const sig = run([BB, "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"]).out;
    const [master, slave] = sys.openpty();
    const pid = sys.spawn([BB, "cat", "/proc/self/stat"], { fds: [slave, slave, slave], ctty: 0 });
    const [, status] = sys.waitpid(pid, 0);
    const buf = new ArrayBuffer(4096);
    const stat = String.fromCharCode(...new Uint8Array(buf, 0, os.read(master, buf, 0, 4096)));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    print(JSON.stringify({ ids, sig, pid, session: Number(fields[3]), tty: Number(fields[4]), status }));
  `);
  assert.equal(r.ids.slice(0, 3), ["65534", "65534", "65534"]);
  assert.match(r.sig, /SigBlk:\s+0+\n/);
  assert.match(r.sig, /SigIgn:\s+0+\n/);
  assert.is(r.status, 0);
  assert.is(r.session, r.pid, "the child leads its own session");
  assert.ok(r.tty > 0, "and has a controlling tty");
});

test("openRawTty: a console opened raw passes all 256 byte values both ways; os.ttySetRaw does not", () => {
  const r = runJson(`
    const all = new Uint8Array(256).map((_, i) => i);
    function readN(fd, n) {
      const out = [];
      const buf = new ArrayBuffer(512);
      while (out.length < n) {
        const got = os.read(fd, buf, 0, 512);
        if (got <= 0) break;
        out.push(...new Uint8Array(buf, 0, got));
      }
      return out;
    }
    /** Sends all 256 values master -> tty and tty -> master; what arrived each way. */
    function roundTrip(openTty) {
      const [master, slave] = sys.openpty();
      const tty = openTty("/proc/self/fd/" + slave);
      os.close(slave);
      sys.fcntlSetFlags(master, { nonblock: true });
      os.write(master, all.buffer, 0, 256);
      sys.fcntlSetFlags(tty, { nonblock: true });
      const inward = readN(tty, 256);
      os.write(tty, all.buffer, 0, 256);
      const outward = readN(master, 512);
      os.close(tty);
      os.close(master);
      return { inward, outward };
    }
    const raw = roundTrip((p) => sys.openRawTty(p, os.O_RDWR));
    const quickjs = roundTrip((p) => { const fd = os.open(p, os.O_RDWR); os.ttySetRaw(fd); return fd; });
    print(JSON.stringify({ raw, quickjs, notTty: thrown(() => sys.openRawTty("/dev/null", os.O_RDWR))?.code }));
  `);
  const all = Array.from({ length: 256 }, (_, i) => i);
  assert.equal(r.raw.inward, all, "into the tty: every byte as sent");
  assert.equal(r.raw.outward, all, "out of the tty: every byte as sent");
  assert.not.equal(r.quickjs.outward, all, "quickjs-libc's raw mode still turns \\n into \\r\\n");
  assert.not.equal(r.quickjs.inward, all, "and still acts on VINTR and friends");
  assert.is(r.notTty, "ENOTTY");
});

test("waitpid decodes exit codes and signals; null when nothing is waitable", () => {
  const r = runJson(`
    const exited = sys.spawn([BB, "sh", "-c", "exit 7"]);
    const e = sys.waitpid(exited, 0);
    const sleeper = sys.spawn([BB, "sleep", "30"]);
    const early = sys.waitpid(sleeper, sys.WNOHANG);
    sys.kill(sleeper, sys.SIGKILL);
    const k = sys.waitpid(sleeper, 0);
    print(JSON.stringify({
      exited: [e[0] === exited, decode(e[1])],
      early,
      killed: [k[0] === sleeper, decode(k[1])],
      none: sys.waitpid(-1, 0),
    }));
  `);
  assert.equal(r, { exited: [true, { code: 7 }], early: null, killed: [true, { signal: 9 }], none: null });
});

test("not PID 1: the process exits 0 when the event loop runs dry, 1 on a load error", () => {
  const dry = runScript(`
    let n = 0;
    const tick = () => { if (++n < 3) os.setTimeout(tick, 1); else print("ticks " + n + " " + JSON.stringify(scriptArgs.slice(1))); };
    os.setTimeout(tick, 1);
  `);
  assert.is(dry.status, 0, dry.stderr);
  assert.is(dry.stdout, "ticks 3 []\n");

  const bad = runScript(`throw new Error("broken at load");`);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /^stubjs: .*script\d+\.js failed to load: Error: broken at load\n/);
});

test("top-level await: a module waits at the top level; a throw after its first await is an unhandled rejection, not a load error", () => {
  const waits = runScript(`
    await new Promise((resolve) => os.setTimeout(resolve, 1));
    print("awaited");
  `);
  assert.is(waits.status, 0, waits.stderr);
  assert.is(waits.stdout, "awaited\n");

  const late = runScript(`
    await new Promise((resolve) => os.setTimeout(resolve, 1));
    throw new Error("after its first await");
  `);
  assert.is(late.status, 0, late.stderr);
  assert.match(late.stderr, /^stubjs: unhandled promise rejection: Error: after its first await\n/);
});

test("unhandled rejections and handler exceptions are logged, never fatal", () => {
  const r = runScript(`
    Promise.reject(new Error("nobody listens"));
    async function fails() { throw new Error("handled later"); }
    fails().catch(() => print("caught"));
    os.setTimeout(() => { throw new Error("thrown in a timer"); }, 1);
    os.setTimeout(() => print("still running"), 5);
  `);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, "caught\nstill running\n");
  assert.match(r.stderr, /stubjs: unhandled promise rejection: Error: nobody listens\n/);
  assert.ok(!r.stderr.includes("handled later"), r.stderr);
  assert.match(r.stderr, /Error: thrown in a timer\n/);
});

test("now and getpid give plausible numbers", () => {
  const r = runJson(`
    const t0 = sys.now();
    os.sleep(20);
    print(JSON.stringify({ elapsed: sys.now() - t0, pid: sys.getpid() }));
  `);
  assert.ok(r.elapsed >= 19 && r.elapsed < 5000, `elapsed ${r.elapsed}`);
  assert.ok(r.pid > 1);
});

test("mount, umount2 and sethostname (in private namespaces)", () => {
  const target = join(dir, "mnt");
  const r = runJson(
    `
    os.mkdir(${JSON.stringify(target)});
    sys.mount("stubjs-test", ${JSON.stringify(target)}, "tmpfs", sys.MS_NOSUID | sys.MS_NODEV, "size=1m");
    const mounted = readAll(os.open("/proc/self/mountinfo", os.O_RDONLY)).includes(" stubjs-test ");
    sys.umount2(${JSON.stringify(target)}, sys.MNT_DETACH);
    const gone = !readAll(os.open("/proc/self/mountinfo", os.O_RDONLY)).includes(" stubjs-test ");
    sys.sethostname("stubdom-test");
    const hostname = readAll(os.open("/proc/sys/kernel/hostname", os.O_RDONLY)).trim();
    sys.sync();
    print(JSON.stringify({ mounted, gone, hostname }));
  `,
    ["unshare", "--mount", "--uts", "--propagation", "private"],
  );
  assert.equal(r, { mounted: true, gone: true, hostname: "stubdom-test" });
});

test("interfaces and bridges by ioctl, in a network namespace of its own; a failing call names itself and its arguments", () => {
  const r = runJson(
    `
    // sysfs shows the interfaces of the namespace that mounted it: a fresh one, in this mount namespace.
    sys.mount("sysfs", "/sys", "sysfs");
    const sysfs = (dev, key) => readAll(os.open("/sys/class/net/" + dev + "/" + key, os.O_RDONLY)).trim();
    sys.bridgeCreate("br-t");
    sys.linkSetMac("br-t", "02:00:5e:10:20:30");
    sys.linkUp("br-t", true);
    const upFlags = Number(sysfs("br-t", "flags"));
    sys.linkUp("br-t", false);
    const downFlags = Number(sysfs("br-t", "flags"));
    print(JSON.stringify({
      mac: sysfs("br-t", "address"), up: (upFlags & 1) === 1, down: (downFlags & 1) === 0,
      tooLong: thrown(() => sys.bridgeCreate("b".repeat(16))),
      badMac: thrown(() => sys.linkSetMac("br-t", "02:00:5e:10:20")),
      noLink: thrown(() => sys.linkUp("nosuch0", true)),
      noPort: thrown(() => sys.bridgeAddPort("br-t", "nosuch0")),
      noBridge: thrown(() => sys.bridgeAddPort("nosuch0", "lo")),
    }));
  `,
    ["unshare", "--net", "--mount", "--propagation", "private"],
  );
  assert.equal({ mac: r.mac, up: r.up, down: r.down }, { mac: "02:00:5e:10:20:30", up: true, down: true });
  assert.equal([r.tooLong.code, r.tooLong.message], ["ENAMETOOLONG", `bridgeCreate("${"b".repeat(16)}"): Filename too long`]);
  assert.equal([r.badMac.code, r.badMac.message], ["EINVAL", 'linkSetMac("br-t", "02:00:5e:10:20"): Invalid argument']);
  assert.equal([r.noLink.code, r.noLink.message], ["ENODEV", 'linkUp("nosuch0", true): No such device']);
  assert.equal([r.noPort.code, r.noPort.message], ["ENODEV", 'bridgeAddPort("br-t", "nosuch0"): No such device']);
  assert.is(r.noBridge.code, "ENODEV");
});

test("chmod, chown, symlink, mknod", () => {
  const r = runJson(`
    const f = DIR + "/meta";
    os.close(os.open(f, os.O_CREAT | os.O_WRONLY, 0o600));
    sys.chmod(f, 0o640);
    sys.chown(f, 123, -1);
    sys.symlink("meta", DIR + "/link");
    sys.mknod(DIR + "/fifo", os.S_IFIFO | 0o600, 0, 0);
    sys.mknod(DIR + "/null", os.S_IFCHR | 0o666, 1, 3);
    const st = os.stat(f)[0], fifo = os.stat(DIR + "/fifo")[0], nul = os.stat(DIR + "/null")[0];
    print(JSON.stringify({
      mode: st.mode & 0o7777, uid: st.uid, link: os.readlink(DIR + "/link")[0],
      fifo: (fifo.mode & os.S_IFMT) === os.S_IFIFO, chr: (nul.mode & os.S_IFMT) === os.S_IFCHR, rdev: nul.rdev,
      exists: thrown(() => sys.symlink("x", DIR + "/link"))?.code,
    }));
  `);
  assert.equal(r, { mode: 0o640, uid: 123, link: "meta", fifo: true, chr: true, rdev: 259, exists: "EEXIST" });
});

test("unix sockets, fd passing and fcntlSetFlags", () => {
  const r = runJson(`
    const path = DIR + "/sock";
    const listener = sys.unixListen(path, 4);
    const client = sys.unixConnect(path);
    const server = sys.accept(listener);
    writeStr(client, "ping");
    const buf = new ArrayBuffer(64);
    const got = String.fromCharCode(...new Uint8Array(buf, 0, os.read(server, buf, 0, 64)));
    const [pr, pw] = os.pipe();
    const sent = sys.sendFd(client, Uint8Array.from([33]).buffer, pr);
    const withFd = os.read(server, buf, 0, 64);
    sys.fcntlSetFlags(pr, { nonblock: true, cloexec: true });
    const empty = os.read(pr, buf, 0, 64);
    print(JSON.stringify({
      got, sent, withFd, again: sys.errnoName(empty),
      inUse: thrown(() => sys.unixListen(path))?.code,
      refused: thrown(() => sys.unixConnect(DIR + "/no-sock"))?.code,
    }));
  `);
  assert.equal(r, { got: "ping", sent: 1, withFd: 1, again: "EAGAIN", inUse: "EADDRINUSE", refused: "ENOENT" });
});

// ---- PID 1 in a PID namespace ----

/** Polls cond until it returns a truthy value; fails after timeoutMs. */
async function waitFor<T>(what: string, cond: () => T, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** pid, parent and state of every process, from the host's /proc. */
function processes(): Array<{ pid: number; ppid: number; state: string; cmdline: string }> {
  const list = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ");
      list.push({ pid: Number(name), ppid: Number(ppid), state, cmdline });
    } catch {
      // exited while we looked
    }
  }
  return list;
}

const childrenOf = (pid: number) => processes().filter((p) => p.ppid === pid);

/** Starts stubjs as PID 1 of a new PID namespace, with stray kernel-like args it must ignore. */
function startPid1(body: string): { proc: ChildProcess; output: { stdout: string; stderr: string }; path: string } {
  const path = script(body);
  const proc = spawn("unshare", ["--pid", "--fork", "--kill-child", "--mount-proc", stubjs, "stray", "words"], {
    env: { ...process.env, STUBJS_SCRIPT: path },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  proc.stdout!.on("data", (d) => (output.stdout += d));
  proc.stderr!.on("data", (d) => (output.stderr += d));
  return { proc, output, path };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL"); // --kill-child takes stubjs and its namespace down too
    await waitFor("unshare to exit", () => proc.exitCode !== null || proc.signalCode !== null);
    await exited;
  }
}

test("PID 1: when the loop runs dry it stays alive and reaps orphans", async () => {
  const { proc, output, path } = startPid1(`
    print("pid " + sys.getpid() + " args " + JSON.stringify(scriptArgs));
    // sh exits at once, orphaning two sleeps that the kernel reparents to PID 1.
    sys.spawn([BB, "sh", "-c", BB + " sleep 1000 & " + BB + " sleep 1000 & exit 0"]);
  `);
  try {
    await waitFor("the loop to run dry", () => output.stderr.includes("ran dry; PID 1 now only reaps children"));
    assert.ok(output.stdout.includes(`pid 1 args ${JSON.stringify([path])}`), output.stdout);
    const init = await waitFor("stubjs in the namespace", () => childrenOf(proc.pid!)[0]);
    const orphans = await waitFor("the orphans to be reparented and sh reaped", () => {
      const kids = childrenOf(init.pid);
      const settled = kids.length === 2 && kids.every((k) => k.cmdline.includes("sleep 1000") && k.state !== "Z");
      return settled ? kids : undefined;
    });
    for (const o of orphans) process.kill(o.pid, "SIGKILL");
    await waitFor("the orphans to be reaped (no zombies)", () => childrenOf(init.pid).length === 0);
    assert.ok(existsSync(`/proc/${init.pid}`));
    assert.is(processes().find((p) => p.pid === init.pid)?.state, "S", "stubjs sleeps in its reaping loop");
    assert.is(proc.exitCode, null);
  } finally {
    await stop(proc);
  }
});

test("PID 1: a load error is reported and it keeps running", async () => {
  const { proc, output } = startPid1(`throw new Error("init is broken");`);
  try {
    await waitFor("the failure line", () => output.stderr.includes("did not start; PID 1 now only reaps children"));
    assert.match(output.stderr, /failed to load: Error: init is broken/);
    const init = await waitFor("stubjs in the namespace", () => childrenOf(proc.pid!)[0]);
    assert.is(init.state, "S");
    assert.is(proc.exitCode, null);
  } finally {
    await stop(proc);
  }
});

test("PID 1: reboot ends the namespace", async () => {
  // In a child PID namespace reboot(2) kills the namespace's init instead of the machine; the guard
  // makes sure this never runs outside one.
  const { proc, output } = startPid1(`
    if (sys.getpid() !== 1) throw new Error("not in a PID namespace");
    sys.sync();
    print("powering off");
    sys.reboot("poweroff");
  `);
  try {
    await waitFor("unshare to exit", () => proc.exitCode !== null || proc.signalCode !== null);
    assert.is(output.stdout, "powering off\n");
    assert.is(proc.signalCode, "SIGINT", "the namespace init died of SIGINT (poweroff)");
  } finally {
    await stop(proc);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
