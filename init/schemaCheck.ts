// Reads one setting from text (a kernel command-line word, a XenStore value) against its JSON
// Schema: the small subset ConfigSchema uses (string literals, integers with bounds, booleans,
// strings with a length limit). TypeBox's own checker needs BigInt, which this QuickJS lacks.
import { quoteShort } from "./quoteShort.ts";

export interface PropertySchema {
  type?: string;
  anyOf?: { const: string }[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  default?: unknown;
  description?: string;
  /** false: read only at boot. */
  live?: boolean;
}

export interface ObjectSchema {
  properties: Record<string, PropertySchema>;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const BOOLEAN_WORDS: Record<string, boolean> = { "1": true, true: true, yes: true, on: true, "0": false, false: false, no: false, off: false };

export function parseSetting(schema: PropertySchema, raw: string): Parsed {
  if (schema.anyOf) {
    const allowed = schema.anyOf.map((c) => c.const);
    return allowed.includes(raw) ? { ok: true, value: raw } : { ok: false, error: `${quoteShort(raw)} is not one of ${allowed.join(", ")}` };
  }
  switch (schema.type) {
    case "boolean": {
      const b = BOOLEAN_WORDS[raw.toLowerCase()];
      return b === undefined ? { ok: false, error: `${quoteShort(raw)} is not a boolean (1/0, true/false, yes/no, on/off)` } : { ok: true, value: b };
    }
    case "integer": {
      if (!/^-?[0-9]+$/.test(raw)) return { ok: false, error: `${quoteShort(raw)} is not a whole number` };
      const n = Number(raw);
      const shown = raw.length <= 16 ? String(n) : quoteShort(raw);
      if (schema.minimum !== undefined && n < schema.minimum) return { ok: false, error: `${shown} is below the minimum ${schema.minimum}` };
      if (schema.maximum !== undefined && n > schema.maximum) return { ok: false, error: `${shown} is above the maximum ${schema.maximum}` };
      return { ok: true, value: n };
    }
    case "string":
      if (schema.maxLength !== undefined && raw.length > schema.maxLength) return { ok: false, error: `is ${raw.length} characters, over ${schema.maxLength}` };
      return { ok: true, value: raw };
    default:
      return { ok: false, error: `has a schema type this reader does not know (${schema.type})` };
  }
}

export function defaultsOf(schema: ObjectSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(schema.properties)) out[k] = p.default;
  return out;
}
