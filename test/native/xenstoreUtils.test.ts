// Debian's xenstore-utils (Xen's C clients on libxenstore) against our daemon through
// XENSTORED_PATH, each answer checked against docs/misc/xenstore.txt; and `stubdomctl xenstored`,
// the foreground daemon they are meant to be used with.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { XenStoreServer } from "../../host/xenstored/server.ts";

const dir = mkdtempSync(join(tmpdir(), "xs-utils-"));
const socket = join(dir, "dom0");
const server = new XenStoreServer();
let dom0: XenStoreClient;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function xs(tool: string, ...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await promisify(execFile)(`xenstore-${tool}`, args, { env: { ...process.env, XENSTORED_PATH: socket }, timeout: 10_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== "number") throw e;
    return { code: err.code, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** Lines a child prints, each awaited in turn with a bound. */
function lines(child: ChildProcess) {
  const seen: string[] = [];
  let buffered = "";
  let wake: () => void = () => undefined;
  child.stdout!.on("data", (b: Buffer) => {
    buffered += b;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    seen.push(...parts);
    wake();
  });
  // "close", not "exit": output may still be on its way when the process has exited.
  let closed = false;
  child.on("close", () => {
    closed = true;
    wake();
  });
  return (predicate: (l: string) => boolean, ms: number, what: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        wake = () => undefined;
      };
      const timer = setTimeout(() => (settle(), reject(new Error(`no line ${what} within ${ms} ms; saw ${JSON.stringify(seen)}`))), ms);
      const check = (): void => {
        const i = seen.findIndex(predicate);
        if (i >= 0) {
          settle();
          resolve(seen.splice(0, i + 1)[i]);
        } else if (closed) {
          settle();
          reject(new Error(`exited before a line ${what}; saw ${JSON.stringify(seen)}`));
        }
      };
      wake = check;
      check();
    });
}

test.before(async () => {
  await server.listen(socket, 0);
  dom0 = new XenStoreClient(await connectUnix(socket));
});

test.after(async () => {
  dom0.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("xenstore-write creates missing parents with empty values; xenstore-read returns the values", async () => {
  assert.is((await xs("write", "/u/a/b", "one", "/u/c", "two")).code, 0);
  assert.is((await xs("read", "/u/a/b", "/u/c", "/u/a")).stdout, "one\ntwo\n\n");
  assert.is((await xs("read", "-p", "/u/a/b")).stdout, "/u/a/b: one\n");
  const missing = await xs("read", "/u/none");
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /couldn't read path \/u\/none/);
});

test("a relative path from dom0's socket is under /local/domain/0", async () => {
  assert.is((await xs("write", "rel/x", "r")).code, 0);
  assert.is(await dom0.readString("/local/domain/0/rel/x"), "r");
  assert.is((await xs("read", "rel/x")).stdout, "r\n");
});

test("xenstore-list names children in creation order; -p prefixes the path", async () => {
  for (const n of ["z", "a", "m"]) await dom0.write(`/l/${n}`, "");
  assert.is((await xs("list", "/l")).stdout, "z\na\nm\n");
  assert.is((await xs("list", "-p", "/l")).stdout, "/l/z\n/l/a\n/l/m\n");
});

test("xenstore-ls -p shows the tree with each node's perms", async () => {
  await dom0.write("/ls/a/b", "1");
  await dom0.setPerms("/ls/a/b", [{ domid: 0, access: "n" }, { domid: 5, access: "r" }]);
  const out = (await xs("ls", "-p", "/ls")).stdout.split("\n").filter((l) => l !== "");
  assert.is(out.length, 2);
  assert.match(out[0], /^a = "" [. ]*\(n0\)$/);
  assert.match(out[1], /^ b = "1" [. ]*\(n0,r5\)$/);
});

test("xenstore-rm removes a subtree; a missing node is fine unless its parent is missing too", async () => {
  await dom0.write("/rm/a/b/c", "1");
  assert.is((await xs("rm", "/rm/a")).code, 0);
  assert.equal(await dom0.directory("/rm"), []);
  assert.is((await xs("rm", "/rm/a")).code, 0, "the parent exists");
  const r = await xs("rm", "/rm/none/deeper");
  assert.is(r.code, 1);
  assert.match(r.stderr, /could not remove path/);
  await dom0.write("/tidy/x/y", "");
  assert.is((await xs("rm", "-t", "/tidy/x/y")).code, 0);
  assert.not.ok((await dom0.directory("/")).includes("tidy"), "-t removed the empty parents");
});

test("xenstore-exists answers by exit status", async () => {
  await dom0.write("/ex", "");
  assert.is((await xs("exists", "/ex")).code, 0);
  assert.is((await xs("exists", "/ex/none")).code, 1);
});

test("xenstore-chmod sets perms, -r down the tree, -u up it", async () => {
  await dom0.write("/ch/a/b", "");
  assert.is((await xs("chmod", "-r", "/ch/a", "n0", "r5")).code, 0);
  assert.equal(await dom0.getPerms("/ch/a/b"), [{ domid: 0, access: "n" }, { domid: 5, access: "r" }]);
  assert.is((await xs("chmod", "-u", "/ch/a/b", "b7")).code, 0);
  for (const p of ["/ch/a/b", "/ch/a", "/ch"]) assert.equal(await dom0.getPerms(p), [{ domid: 7, access: "b" }], p);
});

test("xenstore-watch prints the initial event, then changes below the path, then its removal", async () => {
  const child = spawn("xenstore-watch", ["-n", "4", "/wt"], { env: { ...process.env, XENSTORED_PATH: socket }, stdio: ["ignore", "pipe", "inherit"] });
  const next = lines(child);
  try {
    assert.is(await next(() => true, 10_000, "(the initial event)"), "/wt");
    await dom0.write("/wt/a/b", "1");
    assert.is(await next(() => true, 10_000, "for /wt/a/b"), "/wt/a/b");
    await dom0.write("/elsewhere", "1");
    await dom0.setPerms("/wt/a", [{ domid: 0, access: "r" }]);
    assert.is(await next(() => true, 10_000, "for /wt/a"), "/wt/a", "a perms change fires; /elsewhere did not");
    await dom0.rm("/wt");
    assert.is(await next(() => true, 10_000, "for the removal"), "/wt");
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on("exit", (c) => r(c))));
    assert.is(code, 0);
  } finally {
    child.kill();
  }
});

test("`stubdomctl xenstored --socket -v` serves in the foreground, logs each connection, stops on SIGTERM", async () => {
  const sock = join(dir, "cli.sock");
  const child = spawn(process.execPath, ["--import", "tsx", "host/cli/stubdomctl.ts", "xenstored", "--socket", sock], { stdio: ["ignore", "pipe", "inherit"] });
  const next = lines(child);
  try {
    await next((l) => l.startsWith("xenstored: serving"), 20_000, "announcing the socket");
    const r = await promisify(execFile)("xenstore-write", ["/cli", "ok"], { env: { ...process.env, XENSTORED_PATH: sock }, timeout: 10_000 });
    assert.is(r.stderr, "");
    await next((l) => /connection \d+ from .* as domain 0/.test(l), 10_000, "for the connection");
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on("exit", (c) => r(c))));
    assert.is(code, 0);
  } finally {
    child.kill("SIGKILL");
  }
});

test.run();
