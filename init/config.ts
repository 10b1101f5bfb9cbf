// Settings from three layers, later wins: documented defaults, `stubdom.<key>=<value>` words on
// the kernel command line (xl.cfg stubdomain_cmdline), and keys dom0 writes under
// /local/domain/<S>/stubdom/config/ (read-only for the stubdom, watched and applied live).
// A bad or unknown setting is a sentence, never silently dropped.
import { ConfigSchema, type Config } from "./configSchema.ts";
import { defaultsOf, parseSetting, type ObjectSchema } from "./schemaCheck.ts";

const schema = ConfigSchema as unknown as ObjectSchema;

export const CMDLINE_PREFIX = "stubdom.";
export const XENSTORE_CONFIG_DIR = "stubdom/config";

export interface Layer {
  /** Where the words came from, for sentences: "kernel command line", "/local/domain/3/stubdom/config". */
  source: string;
  entries: [key: string, raw: string][];
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

export function resolveConfig(layers: readonly Layer[]): Resolved {
  const values = defaultsOf(schema);
  const problems: string[] = [];
  for (const layer of layers) {
    for (const [key, raw] of layer.entries) {
      const prop = schema.properties[key];
      if (!prop) {
        problems.push(`${layer.source}: unknown setting ${JSON.stringify(key)} (known: ${Object.keys(schema.properties).join(", ")})`);
        continue;
      }
      const parsed = parseSetting(prop, raw);
      if (parsed.ok) values[key] = parsed.value;
      else problems.push(`${layer.source}: ${key} ${parsed.error}; keeping ${JSON.stringify(values[key])}`);
    }
  }
  return { config: values as Config, problems };
}
