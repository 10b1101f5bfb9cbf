// README.md's tables that have a source in code, rendered from it so the docs cannot drift (a
// unit test compares them): the settings from init/configSchema.ts, the health keys from
// init/healthSchema.ts.
//   npx tsx host/image/readmeTables.ts [settings|health]
import { pathToFileURL } from "node:url";
import { ConfigSchema } from "../../init/configSchema.ts";
import { BOOT_STEPS, DisplayHealthSchema, HealthSchema, QemuHealthSchema, ServiceHealthSchema, SERVICES } from "../../init/healthSchema.ts";

interface Prop {
  type?: string;
  anyOf?: { const: string }[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  form?: string;
  default?: unknown;
  description?: string;
  live?: boolean;
}

const propsOf = (schema: unknown): [string, Prop][] => Object.entries((schema as { properties: Record<string, Prop> }).properties);
const literals = (p: Prop): string | undefined => p.anyOf?.map((c) => `\`${c.const}\``).join(" \\| ");

const settingKind = (p: Prop): string => {
  if (p.anyOf) return literals(p)!;
  if (p.type === "integer") return `integer ${p.minimum ?? ""}..${p.maximum ?? ""}`;
  return p.type ?? "";
};

export function settingsTable(): string {
  const rows = propsOf(ConfigSchema).map(
    ([key, p]) => `| \`${key}\` | ${settingKind(p)} | \`${JSON.stringify(p.default)}\` | ${p.description ?? ""}${p.live === false ? " Read at boot only." : ""} |`,
  );
  return ["| setting | values | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** A health value's form, from its schema: the literals, or what its pattern admits. */
const healthForm = (p: Prop): string => {
  if (p.anyOf) return literals(p)!;
  if (p.form) return p.form;
  switch (p.pattern) {
    case "^[0-9]+$":
      return "integer";
    case "^([0-9]+)?$":
      return "integer or empty";
    case undefined:
      return "text";
    default:
      throw new Error(`readmeTables: a health value with the pattern ${p.pattern} needs a form`);
  }
};

export function healthTable(): string {
  const rows = [
    ...propsOf(HealthSchema).map(([k, p]) => `| \`${k}\` | ${healthForm(p)} | ${p.description ?? ""} |`),
    ...propsOf(ServiceHealthSchema).map(([k, p]) => `| \`<service>/${k}\` | ${healthForm(p)} | ${p.description ?? ""} |`),
    ...propsOf(QemuHealthSchema).map(([k, p]) => `| \`qemu/${k}\` | ${healthForm(p)} | ${p.description ?? ""} |`),
    ...propsOf(DisplayHealthSchema).map(([k, p]) => `| \`display/${k}\` | ${healthForm(p)} | ${p.description ?? ""} |`),
    `| \`boot-ms/<step>\` | integer | Milliseconds a boot step took: ${Object.entries(BOOT_STEPS).map(([s, d]) => `\`${s}\` (${d})`).join(", ")}. |`,
  ];
  const services = Object.entries(SERVICES).map(([s, d]) => `\`${s}\` (${d})`).join("; ");
  return ["| key | value | meaning |", "|---|---|---|", ...rows, "", `Services: ${services}.`].join("\n");
}

const TABLES: Record<string, () => string> = { settings: settingsTable, health: healthTable };

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const which = process.argv[2] ?? "settings";
  const render = TABLES[which];
  if (!render) throw new Error(`readmeTables: ${which}: expected one of ${Object.keys(TABLES).join(", ")}`);
  console.log(render());
}
