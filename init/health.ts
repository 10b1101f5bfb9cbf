// Health, written by the stubdom under its own /local/domain/<S>/data/stubdom/ (libxl makes
// `data` writable by the domain; dom0 reads everything). Only changed keys are written; a failed
// write is logged, never fatal.
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import type { Log } from "./log.ts";

export const HEALTH_DIR = "data/stubdom";

const stateRank = (key: string): number => (key === "state" ? 2 : key.endsWith("/state") ? 1 : 0);

export class HealthWriter {
  private readonly written = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly xs: XenStoreClient,
    private readonly log: Log,
  ) {}

  /** Writes what differs from the last publish, in order; resolves when those writes are done. */
  publish(keys: ReadonlyMap<string, string>): Promise<void> {
    const changed = [...keys].filter(([k, v]) => this.written.get(k) !== v);
    for (const [k, v] of changed) this.written.set(k, v);
    // State keys last (a service's `<name>/state`, then the overall `state`), so a watcher that
    // sees one change finds the other keys (pid, restarts, last-exit, error) already current.
    changed.sort(([a], [b]) => stateRank(a) - stateRank(b));
    this.chain = this.chain.then(() =>
      Promise.all(changed.map(([k, v]) => this.xs.write(`${HEALTH_DIR}/${k}`, v).catch((e: Error) => this.log.warn(`writing health ${k}: ${e.message}`)))).then(() => undefined),
    );
    return this.chain;
  }
}
