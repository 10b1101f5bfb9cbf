// Shell in dom0, shaped for the checks: scripts that print `key=value` lines, and waits that poll
// inside dom0 (a process start there costs ~0.1 s under TCG) with a bound, reporting how long they took.
import type { Dom0Agent, RunResult } from "./dom0Agent.ts";

/** `s` as one single-quoted shell word. */
export const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface Values extends RunResult {
  values: Record<string, string>;
}

export function parseValues(out: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const m = /^([a-z][a-z0-9-]*)=(.*)$/.exec(line);
    if (m) values[m[1]!] = m[2]!;
  }
  return values;
}

/** `xenstore-ls -f` output as path -> value. */
export function parseXenstoreLs(out: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of out.split("\n")) {
    const m = /^(\/\S*) = "(.*)"$/.exec(line);
    if (m) keys.set(m[1]!, m[2]!);
  }
  return keys;
}

/** Milliseconds since `t0` (set by `t0=$(date +%s%N)` earlier in the same script). */
export const sinceT0 = "$(( ($(date +%s%N) - t0) / 1000000 ))";

export class Dom0 {
  constructor(private readonly agent: Dom0Agent) {}

  sh(script: string, seconds: number): Promise<RunResult> {
    return this.agent.run(script, seconds);
  }

  async values(script: string, seconds: number): Promise<Values> {
    const r = await this.agent.run(script, seconds);
    return { ...r, values: parseValues(r.out) };
  }

  /** Polls the shell condition every 0.2 s for up to `seconds`: the ms it took, or undefined. */
  async waitFor(condition: string, seconds: number): Promise<number | undefined> {
    const r = await this.values(
      [
        "t0=$(date +%s%N)",
        `end=$((SECONDS + ${seconds}))`,
        `until ${condition}; do`,
        '  [ "$SECONDS" -ge "$end" ] && { echo waited=timeout; exit 1; }',
        "  sleep 0.2",
        "done",
        `echo waited=${sinceT0}`,
      ].join("\n"),
      seconds + 10,
    );
    const ms = Number(r.values.waited);
    return r.rc === 0 && Number.isFinite(ms) ? ms : undefined;
  }

  /**
   * One line on what dom0 and Xen are busy with: the domains that exist (with their CPU seconds),
   * the load and the busiest processes. Logged before a long part, so a slow one can be told apart
   * from a bed still busy with an earlier part.
   */
  async activity(): Promise<string> {
    const r = await this.agent.run(
      [
        `echo "domains: $(xl list | awk 'NR > 1 { printf "%s(%s) %ss; ", $1, $2, $6 }')"`,
        `echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"`,
        `echo "busiest: $(ps -eo pcpu=,comm= --sort=-pcpu | head -3 | tr -s ' ' | tr '\n' ';')"`,
      ].join("\n"),
      20,
    );
    return r.out.trim().replace(/\n/g, " | ");
  }

  /** A file's text, or "" when it does not exist. */
  async read(path: string): Promise<string> {
    return (await this.agent.run(`cat ${q(path)} 2>/dev/null`, 30)).out;
  }
}
