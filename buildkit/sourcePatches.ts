// Our patches over a Debian source tree (the kernel's, QEMU's): files `*.patch` in a folder, applied
// in name order with `patch -p1`. Each one's name and bytes are part of its build's input hash.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface SourcePatch {
  name: string;
  data: Uint8Array;
}

export function readPatches(dir: string): SourcePatch[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".patch")).sort().map((name) => ({ name, data: readFileSync(join(dir, name)) }));
}

/** What goes into an input hash for these patches. */
export const patchHashParts = (ps: readonly SourcePatch[]): (string | Uint8Array)[] => ps.flatMap((p) => [p.name, p.data]);

/** Applies each patch to `tree`; a patch that does not apply cleanly is an error naming it. */
export function applyPatches(tree: string, ps: readonly SourcePatch[], log: (line: string) => void, label: string): void {
  for (const p of ps) {
    log(`${label}: applying ${p.name}`);
    try {
      execFileSync("patch", ["-p1", "--forward", "--quiet", "--no-backup-if-mismatch"], { cwd: tree, input: p.data, stdio: ["pipe", "pipe", "pipe"] });
    } catch (e) {
      const out = `${(e as { stdout?: Buffer }).stdout ?? ""}${(e as { stderr?: Buffer }).stderr ?? ""}`.trim();
      throw new Error(`${label}: ${p.name} does not apply to ${tree}: ${out || (e as Error).message}`);
    }
  }
}
