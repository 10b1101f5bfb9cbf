// One measured run of a runtime on the bench bundle: time from spawn to the first stdout line, and
// the peak RSS GNU time reports (its ru_maxrss from wait4), both from the same process.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export const GNU_TIME = "/usr/bin/time";

export interface Sample {
  firstLineMs: number;
  peakRssKb: number;
  /** The line the bundle printed. */
  line: string;
}

export function measureOnce(argv: string[], timeoutMs = 30_000): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(GNU_TIME, ["-v", ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let firstLineMs: number | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${argv.join(" ")} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (firstLineMs === undefined && out.includes("\n")) firstLineMs = performance.now() - t0;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("close", (code) => {
      clearTimeout(timer);
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      if (code !== 0 || firstLineMs === undefined || !rss) {
        reject(new Error(`${argv.join(" ")} failed (exit ${code}):\n${out}${err}`));
        return;
      }
      resolve({ firstLineMs, peakRssKb: Number(rss[1]), line: out.split("\n")[0] });
    });
  });
}

export interface Stats {
  min: number;
  median: number;
  max: number;
}

export function stats(values: number[]): Stats {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { min: v[0], median, max: v[v.length - 1] };
}
