// Xen's own XenStore test suite, test-xenstore from Debian's xen-utils-4.17 (unpacked from the
// .deb with the C client library it links), against our daemon through XENSTORED_PATH: every
// test, as dom0 and as an unprivileged domain under the default quotas, and a 30-second random run.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { control } from "../support/toolstack.ts";
import { XenStoreServer } from "../../host/xenstored/server.ts";
import { xenTools } from "../support/xenTools.ts";

const tools = xenTools((l) => console.log(l));
const dir = mkdtempSync(join(tmpdir(), "xs-referee-"));
const dom0Socket = join(dir, "dom0");
const dom5Socket = join(dir, "dom5");
const server = new XenStoreServer();
let dom0: XenStoreClient;

interface Run {
  code: number | null;
  out: string;
}

/** Runs test-xenstore against `socket`, failing the test if it outlives `ms`. */
function testXenstore(socket: string, args: string[], ms: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.testXenstore, args, {
      env: { ...process.env, XENSTORED_PATH: socket, LD_LIBRARY_PATH: tools.libraryPath },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b));
    child.stderr.on("data", (b: Buffer) => (out += b));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`test-xenstore ${args.join(" ")} ran over ${ms} ms:\n${out}`));
    }, ms);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const TESTS = ["read 1", "read 2000", "write 1", "write 2000", "dir", "rm node", "rm dir", "ta empty", "ta empty x", "ta rmw", "ta rmw x", "ta err"];

test.before(async () => {
  await server.listen(dom0Socket, 0);
  await server.listen(dom5Socket, 5);
  dom0 = new XenStoreClient(await connectUnix(dom0Socket));
  await dom0.mkdir("/local/domain/5");
  await dom0.setPerms("/local/domain/5", [{ domid: 5, access: "n" }]);
});

test.after(async () => {
  dom0.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("test-xenstore lists the twelve tests this referee expects", async () => {
  const { code, out } = await testXenstore(dom0Socket, ["-l"], 10_000);
  assert.is(code, 0);
  assert.equal(out.trim().split("\n").map((l) => l.split(":")[0].trim()), TESTS);
});

for (const [who, socket] of [["dom0", dom0Socket], ["domain 5, under the default quotas", dom5Socket]] as const) {
  test(`every test-xenstore test passes as ${who}, ten iterations each`, async () => {
    const { code, out } = await testXenstore(socket, ["-i", "10"], 60_000);
    assert.is(code, 0, out);
    for (const name of TESTS) assert.match(out, new RegExp(`^${name}\\s*: avg: \\d+ ns`, "m"), `${name}:\n${out}`);
    assert.not.match(out, /failed/);
    assert.is(await control(dom0, "check"), "OK");
  });
}

test("a 30-second random run of test-xenstore passes", async () => {
  const { code, out } = await testXenstore(dom0Socket, ["-r", "30"], 90_000);
  assert.is(code, 0, out);
  assert.not.match(out, /failed/);
  assert.equal(await dom0.directory("/local/domain/0/xenstore-test").catch(() => []), [], "it cleaned up after itself");
  assert.is(await control(dom0, "check"), "OK");
});

test.run();
