// Checks health, as written, against the contract (init/healthSchema.ts): every key is one the
// contract names, every value has its form. Used on healthKeys' output and on the trees the real
// init writes.
import Value from "typebox/value";
import { BOOT_STEPS, DisplayHealthSchema, HealthSchema, QemuHealthSchema, ServiceHealthSchema, SERVICES } from "../../init/healthSchema.ts";

/** Checks a flat health map against the contract; returns the sentences for what does not fit. */
export function contractProblems(keys: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const overall: Record<string, string> = {};
  const services = new Map<string, Record<string, string>>();
  for (const [k, v] of keys) {
    const [head, leaf, ...rest] = k.split("/");
    if (rest.length > 0) problems.push(`${k}: deeper than the contract`);
    else if (leaf === undefined) overall[head] = v;
    else if (head === "boot-ms") {
      if (!(leaf in BOOT_STEPS)) problems.push(`${k}: not a boot step of the contract`);
      if (!/^[0-9]+$/.test(v)) problems.push(`${k} = ${JSON.stringify(v)}: not milliseconds`);
    } else if (head in SERVICES) services.set(head, { ...services.get(head), [leaf]: v });
    else problems.push(`${k}: not a service of the contract`);
  }
  const check = (what: string, schema: Parameters<typeof Value.Check>[0], value: Record<string, string>): void => {
    for (const e of Value.Errors(schema, value)) problems.push(`${what}: ${e.instancePath || "/"} ${e.message}`);
  };
  check("overall", { ...HealthSchema, additionalProperties: false }, overall);
  for (const [name, fields] of services) {
    const { status, "rss-kb": rss, mode, frames, error, ...service } = fields;
    check(name, { ...ServiceHealthSchema, additionalProperties: false }, service);
    if (name === "qemu") check("qemu", { ...QemuHealthSchema, additionalProperties: false }, { status, "rss-kb": rss });
    else if (status !== undefined || rss !== undefined) problems.push(`${name}: has QEMU's keys`);
    if (name === "display") check("display", { ...DisplayHealthSchema, additionalProperties: false }, { mode, frames, error });
    else if (mode !== undefined || frames !== undefined || error !== undefined) problems.push(`${name}: has the display bridge's keys`);
  }
  return problems;
}
