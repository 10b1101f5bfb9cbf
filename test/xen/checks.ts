// The Xen tier's verdicts: each check passes or fails with a sentence, printed as it happens, and
// the closing line `N passed, N failed`.

/** A duration for a check's sentence or the results table: `1.2 s`, or `-` when it was not measured. */
export const seconds = (ms: number | undefined): string => (ms === undefined || !Number.isFinite(ms) ? "-" : `${(ms / 1000).toFixed(1)} s`);

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export class Checks {
  readonly results: CheckResult[] = [];

  constructor(private readonly print: (line: string) => void = console.log) {}

  record(name: string, ok: boolean, detail = ""): boolean {
    this.results.push({ name, ok, detail });
    this.print(`${ok ? "PASS" : "FAIL"} ${name}${detail ? (ok ? ` (${detail})` : `: ${detail}`) : ""}`);
    return ok;
  }

  pass(name: string, detail = ""): true {
    this.record(name, true, detail);
    return true;
  }

  fail(name: string, reason: string): false {
    this.record(name, false, reason);
    return false;
  }

  get passed(): number {
    return this.results.filter((r) => r.ok).length;
  }

  get failed(): number {
    return this.results.filter((r) => !r.ok).length;
  }

  summary(): string {
    return `${this.passed} passed, ${this.failed} failed`;
  }
}
