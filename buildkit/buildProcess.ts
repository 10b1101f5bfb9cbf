// Runs a long build command (QEMU's configure/ninja, the kernel's make) with its output kept in a
// log file and a progress line now and then instead of thousands of compiler lines.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";

/** Progress as a fraction 0..1 from one output line, when the line says. */
export type ProgressOf = (line: string) => number | undefined;

/** ninja's "[n/N] ..." lines. */
export const ninjaProgress: ProgressOf = (line) => {
  const m = /^\[(\d+)\/(\d+)\]/.exec(line);
  return m ? Number(m[1]) / Number(m[2]) : undefined;
};

export interface LoggedRun {
  cmd: string;
  args: readonly string[];
  cwd: string;
  logFile: string;
  /** Prefix of progress lines, e.g. "qemu-lean". */
  label: string;
  progress?: ProgressOf;
  /** Without a progress parser: one line every this many output lines. */
  every?: number;
}

/**
 * Runs the command; logs "<label>: NN %" at each new tenth (or "<label>: N lines" every `every`
 * lines); writes the whole output to logFile; rejects with the last lines when it fails.
 */
export function runLogged(r: LoggedRun, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(r.cmd, [...r.args], { cwd: r.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: string[] = [];
    let lastTenth = -1;
    let partial = "";
    const onData = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        out.push(line);
        const p = r.progress?.(line);
        if (p !== undefined) {
          const tenth = Math.floor(p * 10);
          if (tenth > lastTenth) {
            lastTenth = tenth;
            log(`${r.label}: ${tenth * 10} %`);
          }
        } else if (!r.progress && r.every && out.length % r.every === 0) log(`${r.label}: ${out.length} lines`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (partial) out.push(partial);
      writeFileSync(r.logFile, out.join("\n") + "\n");
      if (code === 0) resolve();
      else reject(new Error(`${r.cmd} ${r.args.join(" ")} failed (${code ?? signal}); last lines:\n${out.slice(-15).join("\n")}\n(whole log: ${r.logFile})`));
    });
  });
}
