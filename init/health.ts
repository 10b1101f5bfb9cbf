// Health, written by the stubdom under its own /local/domain/<S>/data/stubdom/ (libxl makes
// `data` writable by the domain; dom0 reads everything). One pass of writes at a time carries
// whatever is current when it starts, so a burst of publishes costs at most one pass more, however
// slow xenstored is. Values are cut to fit (healthFit.ts); a failed write is logged once per key
// and reason and tried again on the next publish, never fatal.
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import { fitValue, HEALTH_VALUE_MAX } from "./healthFit.ts";
import { HEALTH_DIR } from "./healthSchema.ts";
import type { Log } from "./log.ts";


/** After ENOSPC or E2BIG (a dom0 that set a tighter quota), a value is tried once more this short. */
export const HEALTH_VALUE_FALLBACK = 256;

const stateRank = (key: string): number => (key === "state" ? 2 : key.endsWith("/state") ? 1 : 0);

const codeOf = (e: unknown): string => String((e as { code?: unknown }).code ?? "EIO");

export class HealthWriter {
  private readonly written = new Map<string, string>();
  private desired = new Map<string, string>();
  /** The reason last logged for a key whose write fails, so a lasting failure is one line. */
  private readonly failing = new Map<string, string>();
  private waiters: (() => void)[] = [];
  private writing = false;

  constructor(
    private readonly xs: XenStoreClient,
    private readonly log: Log,
    private readonly maxValueBytes = HEALTH_VALUE_MAX,
  ) {}

  /** Makes `keys` the health to write; resolves once a pass that started after this call is done. */
  publish(keys: ReadonlyMap<string, string>): Promise<void> {
    this.desired = new Map([...keys].map(([k, v]) => [k, fitValue(v, this.maxValueBytes)]));
    const done = new Promise<void>((r) => this.waiters.push(r));
    void this.pump();
    return done;
  }

  /** Forgets what was written (xenstored may have lost it): the next publish writes every key. */
  invalidate(): void {
    this.written.clear();
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.waiters.length > 0) {
        const waiters = this.waiters.splice(0);
        await this.pass();
        for (const r of waiters) r();
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * Writes what differs from what was written, state keys last (a service's `<name>/state`, then
   * the overall `state`), so a watcher that sees one change finds the other keys (pid, restarts,
   * last-exit, error) already current. Requests leave in that order and xenstored answers in order.
   */
  private async pass(): Promise<void> {
    const changed = [...this.desired].filter(([k, v]) => this.written.get(k) !== v);
    changed.sort(([a], [b]) => stateRank(a) - stateRank(b));
    await Promise.all(changed.map(([k, v]) => this.write(k, v)));
  }

  private async write(key: string, value: string): Promise<void> {
    const path = `${HEALTH_DIR}/${key}`;
    try {
      await this.xs.write(path, value);
    } catch (e) {
      const code = codeOf(e);
      const short = fitValue(value, HEALTH_VALUE_FALLBACK);
      if ((code === "ENOSPC" || code === "E2BIG") && short !== value) {
        try {
          await this.xs.write(path, short);
          this.succeeded(key, value);
          return;
        } catch (again) {
          return this.failed(key, again);
        }
      }
      return this.failed(key, e);
    }
    this.succeeded(key, value);
  }

  private succeeded(key: string, value: string): void {
    this.written.set(key, value);
    if (this.failing.delete(key)) this.log.info(`writing health ${key}: works again`);
  }

  private failed(key: string, e: unknown): void {
    this.written.delete(key);
    const code = codeOf(e);
    // A lost channel is logged once by whoever reconnects it, not once per key.
    if (code === "EPIPE" || this.failing.get(key) === code) return;
    this.failing.set(key, code);
    this.log.warn(`writing health ${key}: ${(e as Error).message}`);
  }
}
