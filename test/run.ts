// `npm test`: every tier that can run here, each test file in its own process, then one closing
// line `N passed, N failed`. `npm test -- unit vm` runs only the named tiers.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const TIERS = ["unit", "cli", "engine", "native", "vm"] as const;

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
}

// uvu may colour its summary; the counts are what we read.
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, "");

function runFile(file: string): FileResult {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
  const out = stripAnsi(`${r.stdout}${r.stderr}`);
  process.stdout.write(out);
  const num = (label: string): number | undefined => {
    const m = new RegExp(`${label}:\\s+(\\d+)`).exec(out);
    return m ? Number(m[1]) : undefined;
  };
  const total = num("Total");
  const passed = num("Passed");
  const skipped = num("Skipped") ?? 0;
  const ms = Date.now() - t0;
  if (total === undefined || passed === undefined) return { file, passed: 0, failed: 1, skipped: 0, ms };
  const failed = total - passed - skipped + (r.status !== 0 && total === passed + skipped ? 1 : 0);
  return { file, passed, failed, skipped, ms };
}

const wanted = process.argv.slice(2);
const tiers = TIERS.filter((t) => wanted.length === 0 || wanted.includes(t));
const results: FileResult[] = [];
for (const tier of tiers) {
  const dir = join("test", tier);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".test.ts")).sort()) {
    console.log(`\n== ${tier}/${f}`);
    results.push(runFile(join(dir, f)));
  }
}

console.log("\nsummary:");
for (const r of results) console.log(`  ${r.failed ? "FAIL" : "ok  "} ${r.file}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${(r.ms / 1000).toFixed(1)} s)`);
const sum = (k: "passed" | "failed" | "skipped"): number => results.reduce((n, r) => n + r[k], 0);
console.log(`${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped`);
process.exit(sum("failed") > 0 || results.length === 0 ? 1 : 0);
