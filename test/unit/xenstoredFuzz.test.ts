// Bounded fuzzing of the dev daemon over its real sockets: domains send random and mutated
// frames on many connections (a fixed seed, a fixed count); the daemon must not fail, must drop
// exactly the connections that sent oversized frames, and what dom0 and a bystander domain see
// must not change.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { control } from "../support/toolstack.ts";
import { encodeMessage, FrameReader, HEADER_SIZE, MsgType } from "../../runtime/xenstore/wire.ts";
import { XenStoreServer } from "../../host/xenstored/server.ts";

const SEED = 0x5eed_2012;
const FRAMES_PER_CONNECTION = 3000;
const FUZZ_DOMAINS = [1, 2, 3, 4];
const BYSTANDER = 5;

/** mulberry32: a small deterministic generator. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));
  return { next, int, pick, bytes };
}
type Rng = ReturnType<typeof prng>;

const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) (out.set(p, off), (off += p.length));
  return out;
};
const fields = (...fs: (string | Uint8Array)[]): Uint8Array => cat(...fs.flatMap((f) => [typeof f === "string" ? enc(f) : f, Uint8Array.of(0)]));

const PATHS = [
  "/", "/shared", "/shared/a", "/shared/a/b", "/shared/c", "home", "home/x", "home/x/y", "data/stubdom/state",
  "/local/domain", "/local/domain/5", "/local/domain/5/data", "/local/domain/0", "/local/domain/9/x", "/victim",
  "/victim/k3", "/vm", "@introduceDomain", "@releaseDomain", "@releaseDomain/5", "@x", "/a//b", "/trailing/",
  "/caf\u00e9", "", "/" + "x".repeat(3100), "y".repeat(2100),
];

function anyPath(r: Rng): string {
  if (r.next() < 0.1) return Array.from({ length: 1 + r.int(6) }, () => r.pick(["a", "b", "shared", "home", "..", "@", "-_"])).join("/");
  return r.pick(PATHS);
}

/** For dom0, whose every write would land: its own corner only. */
const fuzzCornerPath = (r: Rng): string => r.pick(["/fuzz", "/fuzz/a", "/fuzz/a/b", "/fuzz/c", "fuzz/rel", "/fuzz/" + "d/".repeat(r.int(20)) + "e"]);

type PathPicker = (r: Rng) => string;

const randomPerm = (r: Rng): string => `${r.pick(["n", "r", "w", "b", "x", ""])}${r.pick(["0", "1", "5", "-1", "0x10", "010", "99999999999", "z"])}`;

/** A plausible request of `type`: the daemon must cope with anything, so plausibility only widens coverage. */
function payloadFor(r: Rng, type: number, randomPath: PathPicker): Uint8Array {
  switch (type) {
    case MsgType.WRITE:
      return cat(enc(randomPath(r)), Uint8Array.of(0), r.bytes(r.next() < 0.9 ? r.int(64) : r.int(4000)));
    case MsgType.SET_PERMS:
      return fields(randomPath(r), ...Array.from({ length: r.int(8) }, () => randomPerm(r)));
    case MsgType.WATCH:
      return fields(randomPath(r), r.next() < 0.2 ? r.bytes(1 + r.int(20)).map((b) => b || 1) : `t${r.int(40)}`, ...(r.next() < 0.3 ? [String(r.int(4) - 1)] : []));
    case MsgType.UNWATCH:
      return fields(randomPath(r), `t${r.int(40)}`);
    case MsgType.DIRECTORY_PART:
      return fields(randomPath(r), String(r.int(5000) - 100));
    case MsgType.TRANSACTION_END:
      return fields(r.pick(["T", "F", "T", "X", ""]));
    case MsgType.INTRODUCE:
      return fields(String(r.int(70000)), String(r.int(99999)), String(r.int(5) - 1));
    case MsgType.SET_TARGET:
    case MsgType.SET_FEATURE:
      return fields(String(r.int(10)), String(r.int(10)));
    case MsgType.GET_QUOTA:
    case MsgType.SET_QUOTA:
      return fields(...[String(r.int(10)), r.pick(["nodes", "watches", "memory", "x"]), String(r.int(100))].slice(0, r.int(4)));
    case MsgType.RELEASE:
    case MsgType.RESUME:
    case MsgType.IS_DOMAIN_INTRODUCED:
    case MsgType.GET_DOMAIN_PATH:
    case MsgType.GET_FEATURE:
      return fields(r.pick(["0", "5", "7", "65535", "65536", "-1", "x", ""]));
    case MsgType.CONTROL:
      return fields(r.pick(["check", "help", "print", "log", "x"]), ...(r.next() < 0.5 ? ["arg"] : []));
    default:
      return fields(randomPath(r));
  }
}

/** Byte flips, cuts, extra bytes, lost or added NULs. */
function mutate(r: Rng, p: Uint8Array): Uint8Array {
  const out = Array.from(p);
  for (let n = 1 + r.int(3); n > 0; n--) {
    const at = r.int(out.length + 1);
    switch (r.int(5)) {
      case 0: if (out.length) out[at % out.length] = r.int(256); break;
      case 1: out.length = Math.min(out.length, at); break;
      case 2: out.splice(at, 0, ...r.bytes(1 + r.int(8))); break;
      case 3: { const i = out.indexOf(0); if (i >= 0) out.splice(i, 1); break; }
      case 4: out.splice(at, 0, 0); break;
    }
  }
  return Uint8Array.from(out);
}

interface Fuzzer {
  domid: number;
  oversized: number;
}

const wait = (): Promise<void> => new Promise((r) => setImmediate(r));

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** Sends FRAMES_PER_CONNECTION frames as `domid`, reconnecting after each oversized frame. */
async function fuzz(path: string, f: Fuzzer, r: Rng, o: { mutate: number; types: (t: number) => boolean; paths: PathPicker }): Promise<void> {
  const types = [...Object.values(MsgType), 20, 27, 500].filter(o.types);
  let sock = await open(path);
  // Transaction ids the daemon hands out, to use some of them in later frames.
  const txIds: number[] = [];
  // Set when the daemon closes a connection we did not make it close: the test has failed.
  let lost: string | undefined;
  let closing = false;
  const listen = (s: Socket): void => {
    s.once("close", () => {
      if (!closing) lost = `domain ${f.domid}'s connection closed unasked`;
    });
    const replies = new FrameReader();
    s.on("data", (b: Buffer) => {
      for (const m of replies.push(new Uint8Array(b))) {
        if (m.type === MsgType.TRANSACTION_START) txIds.push(Number(String.fromCharCode(...m.payload.subarray(0, -1))));
      }
    });
    s.on("error", () => undefined);
  };
  listen(sock);
  for (let i = 0; i < FRAMES_PER_CONNECTION; i++) {
    if (lost) throw new Error(lost);
    if (r.next() < 0.002) {
      // Oversized: the daemon must drop this connection, and only it.
      const head = new Uint8Array(HEADER_SIZE);
      new DataView(head.buffer).setUint32(12, 4097 + r.int(100000), true);
      closing = true;
      const closed = new Promise<void>((res) => sock.once("close", () => res()));
      sock.write(head);
      f.oversized++;
      await closed;
      closing = false;
      sock = await open(path);
      listen(sock);
      continue;
    }
    const type = r.pick(types);
    let payload = payloadFor(r, type, o.paths);
    if (r.next() < o.mutate) payload = mutate(r, payload);
    payload = payload.subarray(0, 4096);
    const txId = r.next() < 0.7 ? 0 : r.next() < 0.7 && txIds.length ? r.pick(txIds) : r.int(2 ** 32);
    const frame = encodeMessage({ type, reqId: r.int(2 ** 32), txId, payload });
    // Split frames at random points, as a byte stream may.
    const cut = r.int(frame.length + 1);
    sock.write(frame.subarray(0, cut));
    if (r.next() < 0.3) await wait();
    sock.write(frame.subarray(cut));
    if (i % 50 === 0) await wait();
  }
  // One last request answered proves everything before it was handled.
  if (lost) throw new Error(lost);
  const done = new Promise<void>((res, rej) => {
    sock.once("close", () => rej(new Error(`domain ${f.domid}'s connection closed before its last reply`)));
    const reader = new FrameReader();
    sock.removeAllListeners("data");
    sock.on("data", (b: Buffer) => {
      for (const m of reader.push(new Uint8Array(b))) if (m.reqId === 0xfffffff0) res();
    });
  });
  sock.write(encodeMessage({ type: MsgType.GET_DOMAIN_PATH, reqId: 0xfffffff0, txId: 0, payload: fields("0") }));
  await done;
  sock.destroy();
}

async function snapshot(xs: XenStoreClient, root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string): Promise<void> => {
    const value = Buffer.from(await xs.read(p)).toString("hex");
    const perms = (await xs.getPerms(p)).map((x) => `${x.access}${x.domid}`).join(",");
    out.push(`${p}=${value} (${perms})`);
    for (const c of await xs.directory(p)) await walk(`${p}/${c}`);
  };
  await walk(root);
  return out;
}

test("random and mutated frames on many connections: no failure, no harm to others", async () => {
  const dir = mkdtempSync(join(tmpdir(), "xs-fuzz-"));
  const logs: string[] = [];
  const server = new XenStoreServer((l) => void logs.push(l));
  const deadline = setTimeout(() => {
    throw new Error("fuzzing took over 120 s");
  }, 120_000);
  try {
    await server.listen(join(dir, "dom0"), 0);
    for (const d of [...FUZZ_DOMAINS, BYSTANDER]) await server.listen(join(dir, `dom${d}`), d);
    const dom0 = new XenStoreClient(await connectUnix(join(dir, "dom0")));
    const r = prng(SEED);
    for (let i = 0; i < 30; i++) await dom0.write(`/victim/k${i % 10}/v${i}`, r.bytes(r.int(100)));
    await dom0.setPerms("/victim/k3", [{ domid: 0, access: "n" }, { domid: 7, access: "r" }]);
    await dom0.write("/shared/a/b", "start");
    await dom0.setPerms("/shared", [{ domid: 0, access: "n" }, ...FUZZ_DOMAINS.map((d) => ({ domid: d, access: "b" as const }))]);
    for (const d of [...FUZZ_DOMAINS, BYSTANDER]) {
      await dom0.mkdir(`/local/domain/${d}`);
      await dom0.setPerms(`/local/domain/${d}`, [{ domid: d, access: "n" }]);
    }
    const bystander = new XenStoreClient(await connectUnix(join(dir, `dom${BYSTANDER}`)));
    for (let i = 0; i < 10; i++) await bystander.write(`data/n${i}`, `value ${i}`);
    const victimBefore = await snapshot(dom0, "/victim");
    const homeBefore = await snapshot(bystander, `/local/domain/${BYSTANDER}`);
    const victimEvents: string[] = [];
    const homeEvents: string[] = [];
    await dom0.watch("/victim", "v", (p) => void victimEvents.push(p));
    await bystander.watch("data", "h", (p) => void homeEvents.push(p));

    const fuzzers: Fuzzer[] = [];
    const runs: Promise<void>[] = [];
    for (const d of FUZZ_DOMAINS) {
      for (let c = 0; c < 2; c++) {
        const f: Fuzzer = { domid: d, oversized: 0 };
        fuzzers.push(f);
        runs.push(fuzz(join(dir, `dom${d}`), f, prng(SEED + d * 10 + c), { mutate: 0.3, types: () => true, paths: anyPath }));
      }
    }
    // A dom0 connection sending well-formed requests, kept away from the domains the check relies on.
    const dom0Fuzzer: Fuzzer = { domid: 0, oversized: 0 };
    const dom0Types = new Set<number>([MsgType.READ, MsgType.WRITE, MsgType.MKDIR, MsgType.RM, MsgType.DIRECTORY, MsgType.DIRECTORY_PART, MsgType.WATCH, MsgType.TRANSACTION_START, MsgType.TRANSACTION_END, MsgType.GET_PERMS]);
    runs.push(fuzz(join(dir, "dom0"), dom0Fuzzer, prng(SEED - 1), { mutate: 0, types: (t) => dom0Types.has(t), paths: fuzzCornerPath }));
    await Promise.all(runs);

    assert.equal(await snapshot(dom0, "/victim"), victimBefore, "dom0's nodes are untouched");
    assert.equal(await snapshot(bystander, `/local/domain/${BYSTANDER}`), homeBefore, "the bystander's nodes are untouched");
    assert.equal(victimEvents, ["/victim"], "dom0 heard of no change");
    assert.equal(homeEvents, ["data"], "the bystander heard of no change");
    assert.is(await control(dom0, "check"), "OK", "the store is consistent");
    assert.equal(logs.filter((l) => /internal error/.test(l)), []);
    const drops = logs.filter((l) => /dropped:/.test(l)).length;
    const oversized = [...fuzzers, dom0Fuzzer].reduce((n, f) => n + f.oversized, 0);
    assert.ok(oversized > 0, "the seed sends some oversized frames");
    assert.is(drops, oversized, "exactly the connections that sent an oversized frame were dropped");
    dom0.close();
    bystander.close();
  } finally {
    clearTimeout(deadline);
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
