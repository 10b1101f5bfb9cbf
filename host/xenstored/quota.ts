// Per-domain limits, named and valued as the C xenstored names them (GET_QUOTA/SET_QUOTA; domain.c
// quotas[]). Dom0 is never limited; 0 means "no limit". Each is "at most N" here: Xen 4.17 and
// later C versions disagree by one on several (4.17 allows 129 watches and 11 transactions, newer
// ones 127 and 9), and the documented defaults read as maxima. C's "memory" quota (2.5 MB of
// nodes, watches and queued messages per domain) is not kept: the others bound a domain already.
export const QUOTA_NAMES = [
  "nodes", // nodes a domain owns; a create beyond it: ENOSPC
  "watches", // watches a domain has set; one more: E2BIG (4.17's answer)
  "outstanding", // replies a domain has not taken yet; beyond it its requests wait
  "transactions", // open transactions; one more: ENOSPC
  "transaction-nodes", // nodes one transaction may touch; beyond it: ENOSPC, and the commit fails
  "node-permissions", // entries in one SET_PERMS; more: ENOSPC
  "path-max", // characters of a path after /local/domain/<id>/; more: EINVAL
  "node-size", // a node's stored size (header, perms, value, child names) must stay below it: ENOSPC
] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];

export const DEFAULT_QUOTAS: Readonly<Record<QuotaName, number>> = {
  nodes: 1000,
  watches: 128,
  outstanding: 20,
  transactions: 10,
  "transaction-nodes": 1024,
  "node-permissions": 5,
  "path-max": 2048,
  "node-size": 2048,
};

export const isQuotaName = (s: string): s is QuotaName => (QUOTA_NAMES as readonly string[]).includes(s);

/** What the node-size quota measures: C's record header (24 bytes), 8 per perm, value, child names. */
export function nodeSize(permCount: number, valueLength: number, children: readonly string[]): number {
  let childBytes = 0;
  for (const c of children) childBytes += c.length + 1;
  return 24 + 8 * permCount + valueLength + childBytes;
}
