// Settings from three layers, later wins: documented defaults, `stubdom.<key>=<value>` words on
// the kernel command line (xl.cfg stubdomain_cmdline), and keys dom0 writes under
// /local/domain/<S>/stubdom/config/ (read-only for the stubdom, watched and applied live).
// A bad or unknown setting is a sentence, never silently dropped.
import { ConfigSchema, type Config } from "./configSchema.ts";
import { quoteShort } from "./quoteShort.ts";
import { defaultsOf, parseSetting, type ObjectSchema } from "./schemaCheck.ts";
import { CONFIG_DIR } from "./stubdomPaths.ts";

const schema = ConfigSchema as unknown as ObjectSchema;

export const CMDLINE_PREFIX = "stubdom.";
export const XENSTORE_CONFIG_DIR = CONFIG_DIR;

export interface Layer {
  /** Where the words came from, for sentences: "kernel command line", "/local/domain/3/stubdom/config". */
  source: string;
  entries: [key: string, raw: string][];
  /** Keys whose value could not be read, with why (not UTF-8, gone meanwhile, ...). */
  unreadable?: [key: string, reason: string][];
}

/** The `stubdom.*` words of a kernel command line; a bare `stubdom.x` means `x=1`. */
export function cmdlineLayer(cmdline: string): Layer {
  const entries: [string, string][] = [];
  for (const word of cmdline.trim().split(/\s+/)) {
    if (!word.startsWith(CMDLINE_PREFIX)) continue;
    const eq = word.indexOf("=");
    entries.push(eq < 0 ? [word.slice(CMDLINE_PREFIX.length), "1"] : [word.slice(CMDLINE_PREFIX.length, eq), word.slice(eq + 1)]);
  }
  return { source: "kernel command line", entries };
}

export interface Resolved {
  config: Config;
  problems: string[];
}

const KNOWN = Object.keys(schema.properties).join(", ");

/**
 * Defaults, then each layer in order. A value that is refused (bad, or unreadable) leaves the
 * setting at its `previous` value, the one in effect before this resolution, when given: a dom0
 * that writes garbage over a good setting keeps the good one, not the default. Each problem names
 * the value the setting keeps.
 */
export function resolveConfig(layers: readonly Layer[], previous?: Config): Resolved {
  const values = defaultsOf(schema);
  const problems: (string | { key: string; sentence: string })[] = [];
  const refuse = (key: string, sentence: string): void => {
    if (previous) values[key] = (previous as Record<string, unknown>)[key];
    problems.push({ key, sentence });
  };
  for (const layer of layers) {
    for (const [key, raw] of layer.entries) {
      const prop = schema.properties[key];
      if (!prop) {
        problems.push(`${layer.source}: unknown setting ${quoteShort(key)} (known: ${KNOWN})`);
        continue;
      }
      const parsed = parseSetting(prop, raw);
      if (parsed.ok) values[key] = parsed.value;
      else refuse(key, `${layer.source}: ${key} ${parsed.error}`);
    }
    for (const [key, reason] of layer.unreadable ?? []) {
      if (schema.properties[key]) refuse(key, `${layer.source}/${key}: cannot read it (${reason})`);
      else problems.push(`${layer.source}/${quoteShort(key)}: cannot read it (${reason}), and it is not a known setting (known: ${KNOWN})`);
    }
  }
  return {
    config: values as Config,
    problems: problems.map((p) => (typeof p === "string" ? p : `${p.sentence}; keeping ${JSON.stringify(values[p.key])}`)),
  };
}
