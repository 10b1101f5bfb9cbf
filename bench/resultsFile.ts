// Sections of bench/RESULTS.md, rewritten: the file is read at the last moment (other benches, the
// build and test:xen write their own sections of it), each section replaced or appended, and the
// whole written to a temporary file and renamed over it.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { replaceSection } from "../rootfs/sizeReport.ts";

export const RESULTS = "bench/RESULTS.md";

/** `sections` as [heading, body] pairs, in order; `path` is RESULTS unless a bench is told otherwise. */
export function rewriteSections(sections: Iterable<readonly [heading: string, body: string]>, path = RESULTS): void {
  let text = existsSync(path) ? readFileSync(path, "utf8") : "";
  for (const [heading, body] of sections) text = replaceSection(text, heading, body);
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
