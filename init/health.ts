// Health, written by the stubdom under its own /local/domain/<S>/data/stubdom/ (libxl makes
// `data` writable by the domain; dom0 reads everything). Only changed keys are written; a failed
// write is logged, never fatal.
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import type { Log } from "./log.ts";

export const HEALTH_DIR = "data/stubdom";

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
    // `state` last, so a watcher that sees it change finds the other keys already current.
    changed.sort(([a], [b]) => Number(a === "state") - Number(b === "state"));
    this.chain = this.chain.then(() =>
      Promise.all(changed.map(([k, v]) => this.xs.write(`${HEALTH_DIR}/${k}`, v).catch((e: Error) => this.log.warn(`writing health ${k}: ${e.message}`)))).then(() => undefined),
    );
    return this.chain;
  }
}
