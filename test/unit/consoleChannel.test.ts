// dom0's console channel at the Sys seam: what a connection gets with the debug shell off (the log,
// typing refused) and on (a shell on a pty of its own, relayed both ways), how a setting change or
// a detach ends a session, and the vchan proxy supervised beside it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { resolveConfig } from "../../init/config.ts";
import { CONSOLE_SOCKET, SHELL_ENV, TYPING_REFUSED } from "../../init/consoleChannel.ts";
import { CONSOLE_VCHAN_DIR } from "../../init/stubdomPaths.ts";
import { SIGNALS } from "../../runtime/sys.ts";
import { settle } from "../support/fakeSys.ts";
import { supervisorOnFakeSys } from "../support/fakeSupervisor.ts";

const PROXY = "/usr/bin/vchan-socket-proxy";

/** A supervisor with the channel started; `connect` is dom0 arriving through the proxy. */
function channel() {
  const { sys, sup } = supervisorOnFakeSys();
  sup.startConsole(PROXY, 1);
  assert.ok(sys.effects.includes(`listen ${CONSOLE_SOCKET}`));
  const listenFd = [...sys.readHandlers.keys()].at(-1)!;
  let next = 500;
  const connect = (): number => {
    const fd = next++;
    sys.connections.set(listenFd, [fd]);
    sys.readHandlers.get(listenFd)!();
    return fd;
  };
  return { sys, sup, connect };
}

test("the proxy serves the vchan only dom0 maps, connecting to the init's socket; it is a service", () => {
  const { sys, sup } = channel();
  assert.ok(sys.effects.includes(`mkdir ${CONSOLE_SOCKET.slice(0, CONSOLE_SOCKET.lastIndexOf("/"))}`));
  assert.equal(sys.spawned.map((s) => s.argv), [[PROXY, "--mode=server", "0", CONSOLE_VCHAN_DIR, CONSOLE_SOCKET]]);
  assert.is(sup.consoleProxy?.record.state, "up");
});

test("debug shell off: recent log lines, then the live log; typing runs nothing and is answered once", async () => {
  const { sys, sup, connect } = channel();
  const fd = connect();
  assert.is(sup.console?.sessionKind, "log");
  const before = sys.bytesWritten(fd);
  assert.match(before, /^stubdom console: the supervisor's log, recent lines first; debug-shell is off/);
  assert.match(before, /info: console: dom0 attached \(the log\)\r\n/);
  sup.setConfigProblems(["kernel command line: unknown setting \"x\""]);
  assert.match(sys.bytesWritten(fd), /warn: kernel command line: unknown setting "x"\r\n$/);
  sys.feed(fd, "id\n");
  sys.feed(fd, "reboot\n");
  await settle();
  const after = sys.bytesWritten(fd);
  assert.is(after.split(TYPING_REFUSED).length - 1, 1);
  assert.equal(sys.spawned.map((s) => s.argv[0]), [PROXY], "nothing was run");
  sys.hangUp(fd);
  assert.ok(sys.closed.has(fd));
  assert.is(sup.console?.sessionKind, undefined);
});

test("debug shell on: a login shell on a pty with job control, relayed both ways; detaching hangs it up", async () => {
  const { sys, sup, connect } = channel();
  sup.applyConfig({ ...resolveConfig([]).config, "debug-shell": true }, undefined);
  const fd = connect();
  assert.is(sup.console?.sessionKind, "shell");
  const shell = sys.spawned.find((s) => s.argv[0] === "/bin/sh")!;
  assert.equal(shell.argv, ["/bin/sh", "-i"]);
  assert.is(shell.opts.ctty, 0);
  assert.equal(shell.opts.env, SHELL_ENV);
  const [master, slave] = [shell.opts.fds![0]! - 1, shell.opts.fds![0]!];
  assert.equal(shell.opts.fds, [slave, slave, slave]);
  assert.ok(sys.closed.has(slave), "the init keeps no slave fd: the shell's exit reads as EOF on the master");
  sys.feed(fd, "echo $((6*7))\n");
  assert.is(sys.bytesWritten(master), "echo $((6*7))\n");
  sys.feed(master, "42\r\nstubdom# ");
  assert.match(sys.bytesWritten(fd), /42\r\nstubdom# $/);
  sys.hangUp(fd);
  assert.ok(sys.closed.has(master));
  assert.equal(shell.signals, [SIGNALS.SIGHUP]);
  sys.exit(shell.pid, { signal: SIGNALS.SIGHUP });
  await sys.advance(1_000);
  assert.is(sup.console?.sessionKind, undefined);
});

test("the shell exits: the connection ends, so the proxy's next connection starts a fresh one", async () => {
  const { sys, sup, connect } = channel();
  sup.applyConfig({ ...resolveConfig([]).config, "debug-shell": true }, undefined);
  const fd = connect();
  const shell = sys.spawned.find((s) => s.argv[0] === "/bin/sh")!;
  sys.exit(shell.pid, { code: 0 });
  await sys.advance(1_000);
  assert.ok(sys.closed.has(fd));
  assert.equal(shell.signals, [], "a shell that ended is not signalled");
  connect();
  assert.is(sys.spawned.filter((s) => s.argv[0] === "/bin/sh").length, 2);
});

test("turning the debug shell off while attached ends the shell; the next connection gets the log", async () => {
  const { sys, sup, connect } = channel();
  const config = resolveConfig([]).config;
  sup.applyConfig({ ...config, "debug-shell": true }, undefined);
  const fd = connect();
  const shell = sys.spawned.find((s) => s.argv[0] === "/bin/sh")!;
  sup.applyConfig({ ...config, "debug-shell": false }, undefined);
  assert.ok(sys.closed.has(fd));
  assert.equal(shell.signals, [SIGNALS.SIGHUP]);
  connect();
  assert.is(sup.console?.sessionKind, "log");
});

test("a second connection replaces the first (the proxy serves one dom0 client at a time)", () => {
  const { sys, sup, connect } = channel();
  const first = connect();
  const second = connect();
  assert.ok(sys.closed.has(first));
  assert.ok(!sys.closed.has(second));
  assert.is(sup.console?.sessionKind, "log");
});

test.run();
