// Values from dom0 go into sentences (hvc0, health `error`, `config-problems`) quoted, and cut:
// a 4000-byte setting must not turn one problem into 4000 bytes of health.

/** A value quoted for a sentence, shortened past `max` characters: `"aaaa…" (4000 characters)`. */
export function quoteShort(value: string, max = 64): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
}
