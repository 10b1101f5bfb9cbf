// cli tier: `stubdomctl console`. In dev mode it relays bytes both ways through the attach socket
// the run publishes in run.json (here this test serves that socket, standing in for the run) and
// detaches on the escape key. Against a Xen host's xenstored it runs vchan-socket-proxy on the
// stubdom's console channel (here a script standing in for it), or names the `xl console` command
// for a console xenconsoled serves.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { LineStream } from "../../host/dev/lineStream.ts";
import { runCli, startCli, startDemoDaemon, type Daemon } from "./cliProcess.ts";

const BOUND_MS = 15_000;
let d: Daemon;

test.before.each(async () => {
  d = await startDemoDaemon();
});
test.after.each(async () => {
  await d.close();
});

/** A console endpoint as the run serves it: greets with a backlog line, records what arrives. */
async function fakeConsole(path: string): Promise<{ server: Server; received: LineStream; peer: Promise<Socket> }> {
  const received = new LineStream("console input");
  let gotPeer!: (s: Socket) => void;
  const peer = new Promise<Socket>((r) => (gotPeer = r));
  const server = createServer((s) => {
    s.setEncoding("latin1");
    s.on("data", (t: string) => received.push(t));
    s.on("error", () => undefined);
    s.write("backlog: supervisor started\n");
    gotPeer(s);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { server, received, peer };
}

function publishRun(consoles: Record<string, string>): void {
  writeFileSync(join(d.dir, "run", "run.json"), JSON.stringify({ pid: process.pid, socket: d.socket, stubdom: 2, guest: 1, name: "demo-dm", consoles }));
}

test("dev mode: output arrives, typing reaches the console, Ctrl-] detaches with exit 0", async () => {
  const path = join(d.dir, "run", "console-hvc3.sock");
  const fake = await fakeConsole(path);
  publishRun({ "3": path });
  const c = startCli(["console", "2", "3"], d.env);
  await c.stderr.waitFor(/^stubdomctl console: attached to hvc3 of stubdom 2 \(demo-dm\); Ctrl-] detaches$/, BOUND_MS);
  await c.stdout.waitFor(/^backlog: supervisor started$/, BOUND_MS);
  (await fake.peer).write("guest says hi\n");
  await c.stdout.waitFor(/^guest says hi$/, BOUND_MS);
  c.child.stdin!.write("ls\r\n");
  await fake.received.waitFor(/^ls\r?$/, BOUND_MS);
  c.child.stdin!.write("typed\x1dnever sent\n");
  const r = await c.exited;
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /stubdomctl console: detached from hvc3 of stubdom 2 \(demo-dm\)\n$/);
  assert.is(fake.received.all, "ls\r\ntyped");
  fake.server.close();
});

test("dev mode: S and N default to the run's stubdom and console 0; -e ^a changes the detach key", async () => {
  const path = join(d.dir, "run", "console-hvc0.sock");
  const fake = await fakeConsole(path);
  publishRun({ "0": path });
  const c = startCli(["console", "-e", "^a"], { ...d.env, XENSTORED_PATH: "" });
  await c.stderr.waitFor(/attached to hvc0 of stubdom 2 \(demo-dm\); Ctrl-A detaches/, BOUND_MS);
  c.child.stdin!.write("x\x1dy\x01");
  const r = await c.exited;
  assert.is(r.code, 0, r.stderr);
  assert.is(fake.received.all, "x\x1dy");
  fake.server.close();
});

test("dev mode: the run closing the console ends the session, exit 1", async () => {
  const path = join(d.dir, "run", "console-hvc3.sock");
  const fake = await fakeConsole(path);
  publishRun({ "3": path });
  const c = startCli(["console", "2", "3"], d.env);
  await c.stdout.waitFor(/backlog/, BOUND_MS);
  (await fake.peer).end();
  const r = await c.exited;
  assert.is(r.code, 1);
  assert.match(r.stderr, /stubdomctl console: the dev-mode run closed hvc3 of stubdom 2 \(demo-dm\)\n$/);
  fake.server.close();
});

test("dev mode: a console socket that does not answer is exit 3", async () => {
  const path = join(d.dir, "run", "console-hvc3.sock");
  publishRun({ "3": path });
  const r = await runCli(["console", "2", "3"], d.env);
  assert.is(r.code, 3);
  assert.is(r.stderr, `stubdomctl console: the dev-mode console socket ${path} does not answer (ENOENT)\n`);
});

test("dev mode: another stubdom has no console here (exit 4); a console the run lacks is exit 2", async () => {
  publishRun({ "0": join(d.dir, "run", "console-hvc0.sock") });
  const other = await runCli(["console", "5", "0"], d.env);
  assert.is(other.code, 4);
  assert.is(other.stderr, `stubdomctl console: stubdom 5 has no dev-mode console: the run (pid ${process.pid}) boots stubdom 2\n`);
  const missing = await runCli(["console", "2", "7"], d.env);
  assert.is(missing.code, 2);
  assert.is(missing.stderr, "stubdomctl console: stubdom 2 has no console 7 (dev mode has 0)\n");
});

/** A vchan-socket-proxy stand-in: says how it was called, then echoes what dom0 types, as `cat` does. */
function fakeProxy(body = 'echo "proxy: $*"\nexec cat'): string {
  const path = join(d.dir, "fake-vchan-socket-proxy");
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const publishChannel = (): Promise<void> => d.xs.write("/local/domain/2/data/stubdom-console/ring-ref", "8");

test("Xen host: the console channel through vchan-socket-proxy, by the guest's name; Ctrl-] detaches, exit 0", async () => {
  await publishChannel();
  const c = startCli(["console", "demo"], { ...d.env, STUBDOMCTL_VCHAN_PROXY: fakeProxy() });
  await c.stderr.waitFor(/^stubdomctl console: attached to the console of stubdom 2 \(demo-dm\); Ctrl-] detaches$/, BOUND_MS);
  await c.stdout.waitFor(/^proxy: --mode=client 2 \/local\/domain\/2\/data\/stubdom-console -$/, BOUND_MS);
  c.child.stdin!.write("echo hi\n");
  await c.stdout.waitFor(/^echo hi$/, BOUND_MS);
  c.child.stdin!.write("\x1d");
  const r = await c.exited;
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /stubdomctl console: detached from the console of stubdom 2 \(demo-dm\)\n$/);
});

test("Xen host: a proxy that fails is exit 1 with its own words; no channel published is exit 4", async () => {
  const none = await runCli(["console", "2"], { ...d.env, STUBDOMCTL_VCHAN_PROXY: fakeProxy() });
  assert.is(none.code, 4);
  assert.match(none.stderr, /^stubdomctl console: stubdom 2 serves no console channel: \/local\/domain\/2\/data\/stubdom-console\/ring-ref does not exist /);
  await publishChannel();
  const failing = fakeProxy('echo "xs_open: Permission denied" >&2\nexit 1');
  const r = await runCli(["console", "2"], { ...d.env, STUBDOMCTL_VCHAN_PROXY: failing });
  assert.is(r.code, 1);
  assert.match(r.stderr, new RegExp(`stubdomctl console: the console channel of stubdom 2 closed \\(${failing} ended with code 1: xs_open: Permission denied\\)\n$`));
});

test("Xen host: a console xenconsoled serves is the xl console command to use, exit 6", async () => {
  const serial = await runCli(["console", "2", "3"], d.env);
  assert.is(serial.code, 6);
  assert.is(serial.stderr, "stubdomctl console: stubdom 2's console 3 belongs to xenconsoled: attach with `xl console -t pv -n 3 demo-dm` (the guest's serial: `xl console demo` also works)\n");
});

test("Xen host: an unknown stubdom is exit 4, no stubdom given is exit 2", async () => {
  const unknown = await runCli(["console", "8"], d.env);
  assert.is(unknown.code, 4);
  assert.is(unknown.stderr, "stubdomctl console: no domain 8: /local/domain/8 does not exist\n");
  const none = await runCli(["console"], d.env);
  assert.is(none.code, 2);
  assert.is(none.stderr, `stubdomctl console: give the stubdom: no dev-mode run is live and xenstored is at ${d.socket} (XENSTORED_PATH)\n`);
});

test("bad input: a malformed stubdom, a console number out of range, a bad escape: exit 2", async () => {
  const cases: [string[], string][] = [
    [["console", "t w"], 'stubdom "t w" is neither a domain id nor a domain name'],
    [["console", "2", "x"], 'console number "x" is not a whole number from 0 to 9'],
    [["console", "2", "10"], 'console number "10" is not a whole number from 0 to 9'],
    [["console", "2", "-e", "ctrl"], 'escape "ctrl" is neither ^X nor one character'],
  ];
  for (const [args, sentence] of cases) {
    const r = await runCli(args, d.env);
    assert.is(r.code, 2, args.join(" "));
    assert.is(r.stderr, `stubdomctl console: ${sentence}\n`);
  }
});

test("a daemon that is not running: exit 3", async () => {
  const none = join(d.dir, "none.sock");
  const r = await runCli(["console", "2", "--socket", none], d.env);
  assert.is(r.code, 3);
  assert.is(r.stderr, `stubdomctl console: xenstored is not running at ${none} (ENOENT; the path is --socket)\n`);
});

test.run();
