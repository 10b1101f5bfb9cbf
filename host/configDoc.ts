// The settings table of README.md, rendered from the TypeBox schema that defines them, so the
// docs cannot drift from the code (a unit test compares the two).
import { pathToFileURL } from "node:url";
import { ConfigSchema } from "../init/configSchema.ts";

interface Prop {
  type?: string;
  anyOf?: { const: string }[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
  live?: boolean;
}

const kind = (p: Prop): string => {
  if (p.anyOf) return p.anyOf.map((c) => `\`${c.const}\``).join(" \\| ");
  if (p.type === "integer") return `integer ${p.minimum ?? ""}..${p.maximum ?? ""}`;
  return p.type ?? "";
};

export function settingsTable(): string {
  const rows = Object.entries(ConfigSchema.properties as unknown as Record<string, Prop>).map(
    ([key, p]) => `| \`${key}\` | ${kind(p)} | \`${JSON.stringify(p.default)}\` | ${p.description ?? ""}${p.live === false ? " Read at boot only." : ""} |`,
  );
  return ["| setting | values | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) console.log(settingsTable());
