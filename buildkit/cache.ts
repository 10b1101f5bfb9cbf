// Heavy build outputs (kernel, runtime, later QEMU) are cached outside the repo, keyed by a hash
// of their inputs, so a clean clone in CI rebuilds only what changed.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export const cacheRoot = (): string => process.env.STUBDOM_CACHE ?? "/var/cache/stubdom-init";

export function inputHash(parts: ReadonlyArray<string | Uint8Array>): string {
  const h = createHash("sha256");
  for (const p of parts) {
    h.update(typeof p === "string" ? Buffer.from(p) : p);
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

/** The directory for one cached artifact, `<cache>/<kind>/<hash>`; `hit` says whether it is complete. */
export function cacheEntry(kind: string, hash: string): { dir: string; hit: boolean; stamp: string } {
  const dir = join(cacheRoot(), kind, hash);
  const stamp = join(dir, ".complete");
  mkdirSync(dir, { recursive: true });
  return { dir, hit: existsSync(stamp), stamp };
}
