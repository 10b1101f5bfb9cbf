// Read, write and directory operations per second against one dev xenstored (its own process,
// started as `stubdomctl xenstored`), from our client and from Xen's C library (xsbench.c linked
// with Debian's libxenstore), side by side; written to the "XenStore" section of bench/RESULTS.md.
//   npx tsx bench/xenstore/run.ts [--count N] [--results FILE]
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { cacheEntry, inputHash } from "../../buildkit/cache.ts";
import { xenDev } from "../../test/support/xenTools.ts";
import { rewriteSections } from "../resultsFile.ts";

const HEADING = "## XenStore";
const SOURCE = join(import.meta.dirname, "xsbench.c");
const OPS = ["read", "write", "directory"] as const;
type Op = (typeof OPS)[number];
const PATHS = { value: "/bench/value", write: "/bench/written", dir: "/bench/dir" };
const IN_FLIGHT = 32;
/** Each figure is the best of this many rounds, after one warm-up round (JIT, caches, daemon). */
const RUNS = 5;

/** xsbench compiled once per source and libxen-dev version, statically linked. */
function xsbench(): { binary: string; version: string } {
  const dev = xenDev((l) => console.log(l));
  const source = readFileSync(SOURCE);
  const entry = cacheEntry("xsbench", inputHash([source, dev.layer.version]));
  const binary = join(entry.dir, "xsbench");
  if (!entry.hit) {
    execFileSync("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", `-I${dev.includeDir}`, "-o", binary, SOURCE, ...dev.staticLibs, "-lpthread"], { stdio: "inherit" });
    writeFileSync(entry.stamp, `libxen-dev ${dev.layer.version}\n`);
  }
  return { binary, version: dev.layer.version };
}

/** Starts the daemon in a child process and resolves once it serves. */
function startDaemon(socket: string): Promise<() => void> {
  const child = spawn(process.execPath, ["--import", "tsx", "host/cli/stubdomctl.ts", "xenstored", "--socket", socket], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("xenstored did not start within 30 s")), 30_000);
    child.on("exit", (code) => reject(new Error(`xenstored exited (${code}) before serving`)));
    child.stdout.on("data", (b: Buffer) => {
      if (!String(b).includes("xenstored: serving")) return;
      clearTimeout(timer);
      resolve(() => child.kill("SIGTERM"));
    });
  });
}

/** `count` operations, `inFlight` at a time; seconds taken. */
async function timeOurs(xs: XenStoreClient, op: Op, count: number, inFlight: number): Promise<number> {
  const once = (i: number): Promise<unknown> =>
    op === "read" ? xs.read(PATHS.value) : op === "write" ? xs.write(PATHS.write, String(i)) : xs.directory(PATHS.dir);
  let next = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (next < count) await once(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return (performance.now() - t0) / 1000;
}

function timeC(binary: string, socket: string, count: number): Record<Op, number> {
  const out = execFileSync(binary, [String(count), PATHS.value, PATHS.write, PATHS.dir], { env: { ...process.env, XENSTORED_PATH: socket }, encoding: "utf8" });
  const seconds = {} as Record<Op, number>;
  for (const line of out.trim().split("\n")) {
    const [op, n, s] = line.split(" ");
    if (Number(n) !== count) throw new Error(`xsbench: unexpected line ${line}`);
    seconds[op as Op] = Number(s);
  }
  return seconds;
}

const rate = (count: number, seconds: number): string => Math.round(count / seconds).toLocaleString("en-US");

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: "string", default: "10000" }, results: { type: "string", default: "bench/RESULTS.md" } } });
  const count = Number(values.count);
  const { binary, version } = xsbench();
  const dir = mkdtempSync(join(tmpdir(), "xs-bench-"));
  const socket = join(dir, "xenstored.sock");
  const stop = await startDaemon(socket);
  try {
    const xs = new XenStoreClient(await connectUnix(socket));
    await xs.write(PATHS.value, "v".repeat(100));
    for (let i = 0; i < 100; i++) await xs.write(`${PATHS.dir}/child-${i}`, "");
    // Rounds alternate the clients, so load from elsewhere on the machine weighs on both alike.
    const best = () => ({ read: Infinity, write: Infinity, directory: Infinity });
    const [seq, piped, c] = [best(), best(), best()];
    for (let round = 0; round <= RUNS; round++) {
      const warm = round === 0;
      const cRun = timeC(binary, socket, count);
      for (const op of OPS) {
        const s1 = await timeOurs(xs, op, count, 1);
        const s2 = await timeOurs(xs, op, count, IN_FLIGHT);
        if (warm) continue;
        seq[op] = Math.min(seq[op], s1);
        piped[op] = Math.min(piped[op], s2);
        c[op] = Math.min(c[op], cRun[op]);
      }
    }
    xs.close();

    const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
    const section = [
      HEADING,
      "",
      `Written by \`npx tsx bench/xenstore/run.ts --count ${count}\` on ${new Date().toISOString().slice(0, 10)}: ${cpu}, ${cpus().length} cores,`,
      `Linux ${release()}, Node ${process.version}. One dev xenstored (\`stubdomctl xenstored\`, its own process)`,
      "serves both clients over its unix socket, one after the other. \"Sequential\" waits for each reply",
      `before sending the next request, as libxenstore always does; our client can also keep ${IN_FLIGHT} requests`,
      `in flight. The C side is bench/xenstore/xsbench.c linked with Debian's libxenstore (libxen-dev ${version}).`,
      `${count} operations per run, best of ${RUNS} rounds after a warm-up: read of a 100-byte value, write of`,
      "a short value, directory of 100 children.",
      "",
      `| operations per second | our client, sequential | libxenstore (C), sequential | our client, ${IN_FLIGHT} in flight |`,
      "| --- | ---: | ---: | ---: |",
      ...OPS.map((op) => `| ${op} | ${rate(count, seq[op])} | ${rate(count, c[op])} | ${rate(count, piped[op])} |`),
      "",
    ].join("\n");
    const file = values.results!;
    rewriteSections([[HEADING, section]], file);
    console.log(section);
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
