// libxl writes QEMU's argv one argument per key, /vm/<uuid>/image/dm-argv/001, 002, ... (%03d, so
// past 999 the keys grow to 1000, 1001). Order is numeric, never lexical.

export class DmArgvError extends Error {}

/**
 * The argument keys in numeric order; the numbering must run 1..N with one key per number, no gap
 * and no stray key.
 */
export function orderDmArgvKeys(keys: readonly string[]): string[] {
  const stray = keys.filter((k) => !/^[0-9]{1,9}$/.test(k));
  if (stray.length > 0) throw new DmArgvError(`dm-argv has keys that are not argument numbers: ${stray.slice(0, 3).join(", ")}${stray.length > 3 ? ` (+${stray.length - 3} more)` : ""}`);
  if (keys.length === 0) throw new DmArgvError("dm-argv is empty");
  const sorted = [...keys].sort((a, b) => Number(a) - Number(b) || a.length - b.length);
  for (let i = 1; i < sorted.length; i++) {
    if (Number(sorted[i]) === Number(sorted[i - 1])) throw new DmArgvError(`dm-argv has two keys for argument ${Number(sorted[i])}: ${sorted[i - 1]} and ${sorted[i]}`);
  }
  sorted.forEach((k, i) => {
    if (Number(k) !== i + 1) throw new DmArgvError(`dm-argv numbering has a gap: expected argument ${i + 1}, found key ${k}`);
  });
  return sorted;
}
