// The cli tier's harness: the real `stubdomctl` (host/bin/stubdomctl.js) as a child process,
// against a development xenstored served from this process in a fresh directory. The child's
// environment names no XenStore socket and an empty state dir unless a test says otherwise.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { LineStream } from "../../host/dev/lineStream.ts";
import { XenStoreServer } from "../../host/xenstored/server.ts";
import { healthDir } from "../../init/healthPaths.ts";
import { seedStubdom } from "../../host/dev/seed.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = join(ROOT, "host", "bin", "stubdomctl.js");

/** A command that neither answers nor exits within this is a failure, not a hang. */
export const CLI_BOUND_MS = 30_000;

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Child {
  child: ChildProcess;
  stdout: LineStream;
  stderr: LineStream;
  exited: Promise<Result>;
}

/** The environment without anything that would point the CLI at some other daemon or run. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.XENSTORED_PATH;
  delete env.XENSTORED_RUNDIR;
  delete env.STUBDOM_RUN_DIR;
  return { ...env, FORCE_COLOR: "0", ...extra };
}

/** `ownGroup`: the CLI leads a process group of its own, so a test can signal it as a terminal's Ctrl-C does. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, boundMs = CLI_BOUND_MS, ownGroup = false): Child {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["pipe", "pipe", "pipe"], detached: ownGroup });
  const stdout = new LineStream(`stubdomctl ${args[0] ?? ""} stdout`);
  const stderr = new LineStream(`stubdomctl ${args[0] ?? ""} stderr`);
  child.stdout!.setEncoding("utf8").on("data", (s: string) => stdout.push(s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => stderr.push(s));
  child.stdin!.on("error", () => undefined);
  const exited = new Promise<Result>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`stubdomctl ${args.slice(0, 4).join(" ")} did not exit within ${boundMs} ms; stderr: ${stderr.all}`));
    }, boundMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout.all, stderr: stderr.all });
    });
  });
  return { child, stdout, stderr, exited };
}

/** Runs the CLI to completion, stdin closed at once (or fed `input`). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Result> {
  const c = startCli(args, env);
  c.child.stdin!.end(input ?? "");
  return c.exited;
}

export interface Daemon {
  dir: string;
  socket: string;
  server: XenStoreServer;
  /** A dom0 client of this process, to arrange and check the store. */
  xs: XenStoreClient;
  /** cleanEnv with XENSTORED_PATH = this daemon and an empty state dir of its own. */
  env: NodeJS.ProcessEnv;
  /** Listens on another socket where every connection is `domid` (for refusals and SET_TARGET). */
  domainSocket(domid: number): Promise<string>;
  close(): Promise<void>;
}

export async function startDaemon(): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), "stubdomctl-"));
  const socket = join(dir, "xenstored.sock");
  const server = new XenStoreServer();
  await server.listen(socket, 0);
  const xs = new XenStoreClient(await connectUnix(socket));
  mkdirSync(join(dir, "run"));
  return {
    dir,
    socket,
    server,
    xs,
    env: cleanEnv({ XENSTORED_PATH: socket, STUBDOM_RUN_DIR: join(dir, "run") }),
    async domainSocket(domid: number): Promise<string> {
      const p = join(dir, `domain-${domid}.sock`);
      await server.listen(p, domid);
      return p;
    },
    async close(): Promise<void> {
      xs.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A daemon with the demo guest (1) and its stubdom (2) seeded as libxl would. */
export async function startDemoDaemon(): Promise<Daemon> {
  const d = await startDaemon();
  await seedStubdom(d.xs, { stubdom: 2, guest: 1, uuid: "00000000-0000-4000-8000-000000000001", name: "demo", argv: ["-m", "16"] });
  return d;
}

/** Health as the init writes it, for stubdom `domid`; written as dom0 for the test. */
export async function writeHealth(xs: XenStoreClient, domid: number, keys: Record<string, string>): Promise<void> {
  for (const [k, v] of Object.entries(keys)) await xs.write(`${healthDir(domid)}/${k}`, v);
}

/** A running stubdom's health; test/cli/status.test.ts holds it to the contract. */
export const runningHealth = (sinceMsAgo = 75_000): Record<string, string> => ({
  "boot-ms/mounts": "12",
  "boot-ms/config": "40",
  "qemu/state": "up",
  "qemu/pid": "57",
  "qemu/restarts": "1",
  "qemu/last-exit": "code:1",
  "qemu/since": new Date(Date.now() - sinceMsAgo).toISOString(),
  "qemu/status": "running",
  "qemu/rss-kb": "16244",
  "mem-free-kb": "41234",
  "mem-available-kb": "43010",
  error: "",
  "config-problems": "",
  // Dev mode: no hypervisor to read a version from.
  "xen-version": "",
  "image-xen-release": "4.17",
  state: "running",
});
