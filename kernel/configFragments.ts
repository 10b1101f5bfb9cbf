// Kconfig fragments for the minimal all-built-in stubdom kernel (kernel/config/*.config), read as
// data: which symbols they set, whether they agree, and whether a finished .config kept them.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const CONFIG_DIR = join(dirname(fileURLToPath(import.meta.url)), "config");

/** Symbol -> value as written after "=" ("y", "m", a quoted string, a number), or "n" for "is not set". */
export type KconfigValues = Map<string, string>;

export interface Fragment {
  name: string;
  values: KconfigValues;
}

/** Parses .config syntax; throws on a line that is neither a setting, "# CONFIG_X is not set", a comment nor blank. */
export function parseKconfig(text: string, name = "config"): KconfigValues {
  const values: KconfigValues = new Map();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (unset) values.set(unset[1]!, "n");
    else if (set) values.set(set[1]!, set[2]!);
    else if (line !== "" && !line.startsWith("#")) throw new Error(`${name}:${i + 1}: not a Kconfig line: ${raw}`);
  });
  return values;
}

/** The fragments in kernel/config, in name order (the order they are applied). */
export function readFragments(dir = CONFIG_DIR, include: (name: string) => boolean = () => true): Fragment[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".config") && include(f))
    .sort()
    .map((name) => ({ name, values: parseKconfig(readFileSync(join(dir, name), "utf8"), name) }));
}

/** All fragments' settings as one; a symbol set to two different values is an error. */
export function mergeFragments(fragments: readonly Fragment[]): KconfigValues {
  const merged: KconfigValues = new Map();
  const from = new Map<string, string>();
  for (const f of fragments) {
    for (const [symbol, value] of f.values) {
      const before = merged.get(symbol);
      if (before !== undefined && before !== value) {
        throw new Error(`${symbol} is ${before} in ${from.get(symbol)} but ${value} in ${f.name}`);
      }
      merged.set(symbol, value);
      from.set(symbol, f.name);
    }
  }
  return merged;
}

/** The wanted settings a finished .config does not have (Kconfig drops what its dependencies forbid). */
export function droppedSettings(wanted: KconfigValues, actual: KconfigValues): { symbol: string; wanted: string; actual: string }[] {
  return [...wanted]
    .map(([symbol, value]) => ({ symbol, wanted: value, actual: actual.get(symbol) ?? "n" }))
    .filter((d) => d.actual !== d.wanted);
}

/** The fragments as one file for `make allnoconfig KCONFIG_ALLCONFIG=<file>`. */
export function formatKconfig(values: KconfigValues): string {
  return [...values].map(([s, v]) => (v === "n" ? `# ${s} is not set` : `${s}=${v}`)).join("\n") + "\n";
}
