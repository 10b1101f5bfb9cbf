// Health, written by the stubdom under its own /local/domain/<S>/data/stubdom/ (libxl makes
// `data` writable by the domain; dom0 reads everything). A failed write is logged, never fatal.
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import type { Log } from "./log.ts";

export const HEALTH_DIR = "data/stubdom";

export type HealthState = "booting" | "running" | "degraded" | "failed" | "stopping";

export class Health {
  constructor(
    private readonly xs: XenStoreClient,
    private readonly log: Log,
  ) {}

  set(key: string, value: string): Promise<void> {
    return this.xs.write(`${HEALTH_DIR}/${key}`, value).catch((e: Error) => this.log.warn(`writing health ${key}: ${e.message}`));
  }

  state(s: HealthState): Promise<void> {
    return this.set("state", s);
  }

  /** Records a failure as a sentence in `error` and moves to `failed`. */
  async fail(sentence: string): Promise<void> {
    await this.set("error", sentence);
    await this.state("failed");
  }
}
