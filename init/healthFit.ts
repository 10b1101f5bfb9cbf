// Health values made to fit what xenstored stores. C xenstored (4.17 and 4.20 alike) refuses,
// with ENOSPC, a domain's node whose record (a 24-byte header, 8 bytes per permission, the value
// and the child names) reaches its node-size quota, 2048 bytes by default; a node carries at most
// 5 permissions (the node-permissions quota). A value that would not fit is cut, and the cut says
// what is missing, so `error` and `config-problems` are never empty when something is wrong.

/** The longest value a health leaf can hold under Xen's default quotas. */
export const HEALTH_VALUE_MAX = 2048 - 24 - 8 * 5 - 1;

/** UTF-8 length of one UTF-16 code unit sequence position (a surrogate pair counts 4 at its first half). */
function utf8Width(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) return 4;
  return 3;
}

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const w = utf8Width(s, i);
    n += w;
    if (w === 4) i++;
  }
  return n;
}

/** The longest prefix of `s` of at most `max` UTF-8 bytes that does not split a character. */
function prefixOfBytes(s: string, max: number): string {
  let n = 0;
  let i = 0;
  while (i < s.length) {
    const w = utf8Width(s, i);
    if (n + w > max) break;
    n += w;
    i += w === 4 ? 2 : 1;
  }
  return s.slice(0, i);
}

/**
 * `value` if it fits in `max` bytes. Otherwise a list (lines) keeps its first whole lines and ends
 * with `…(+N more)`, N the lines left out; a sentence keeps its start and ends with
 * `…(+N more bytes)`.
 */
export function fitValue(value: string, max: number): string {
  if (utf8Length(value) <= max) return value;
  const lines = value.split("\n");
  if (lines.length > 1) {
    for (let keep = lines.length - 1; keep >= 1; keep--) {
      const candidate = `${lines.slice(0, keep).join("\n")}\n…(+${lines.length - keep} more)`;
      if (utf8Length(candidate) <= max) return candidate;
    }
  }
  const total = utf8Length(value);
  // The marker's own length depends on the count it prints; size it for the worst case first.
  const marker = (n: number): string => `…(+${n} more bytes)`;
  const head = prefixOfBytes(value, Math.max(0, max - utf8Length(marker(total))));
  return head + marker(total - utf8Length(head));
}
