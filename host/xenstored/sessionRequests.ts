// WATCH, UNWATCH, RESET_WATCHES, TRANSACTION_START, TRANSACTION_END (watch.c, transaction.c).
import { REL_PATH_MAX } from "../../runtime/xenstore/path.ts";
import { Feature, MsgType } from "../../runtime/xenstore/wire.ts";
import { isPrivileged } from "./access.ts";
import { atoi, cStrings, nulTerminated, oneArg } from "./args.ts";
import { SUPPORTED_FEATURES } from "./domains.ts";
import { XsError } from "./errors.ts";
import { canonical, domainPath } from "./nodePath.ts";
import { nodePath } from "./nodeRequests.ts";
import { OK, type DaemonState, type Handler, type Request } from "./requests.ts";
import { Transaction } from "./transaction.ts";
import { eventPath, type Watch } from "./watches.ts";

function features(s: DaemonState, r: Request): number {
  return r.conn.channel ? s.domains.get(r.conn.domid).features : SUPPORTED_FEATURES;
}

function watch(s: DaemonState, r: Request): void {
  const args = cStrings(r.msg.payload);
  let depth = -1;
  if (args.length === 3 && features(s, r) & Feature.WATCHDEPTH) {
    depth = atoi(args[2]);
    if (depth < 0) throw new XsError("EINVAL", "negative watch depth");
  } else if (args.length !== 2) {
    throw new XsError("EINVAL", "WATCH takes a path and a token");
  }
  const [raw, token] = args;
  let path = raw;
  if (raw.startsWith("@")) {
    // check_watch_path: any characters after the @, at most XENSTORE_REL_PATH_MAX.
    if (raw.length > REL_PATH_MAX) throw new XsError("EINVAL", "special watch path too long");
  } else {
    path = nodePath(s, r, raw);
  }
  const conn = r.conn;
  if (conn.watches.some((w) => w.path === path && w.token === token)) throw new XsError("EEXIST", `already watching ${path} with that token`);
  const domain = s.domains.get(conn.domid);
  const max = s.limit(conn, "watches");
  if (max > 0 && domain.watches + 1 > max) throw new XsError("E2BIG", `domain ${conn.domid} has ${max} watches`);
  const relative = !raw.startsWith("/") && !raw.startsWith("@");
  const w: Watch = { path, token, depth, prefixLength: relative ? domainPath(conn.domid).length + 1 : 0 };
  conn.watches.push(w);
  domain.watches++;
  r.reply(OK);
  // "We fire once up front: simplifies clients and restart."
  s.sendEvent(conn, eventPath(w, path), token);
}

function unwatch(s: DaemonState, r: Request): void {
  const args = cStrings(r.msg.payload);
  if (args.length !== 2) throw new XsError("EINVAL", "UNWATCH takes a path and a token");
  const path = canonical(r.conn.domid, args[0]);
  const i = r.conn.watches.findIndex((w) => w.path === path && w.token === args[1]);
  if (i < 0) throw new XsError("ENOENT", `no watch on ${path} with that token`);
  r.conn.watches.splice(i, 1);
  s.domains.get(r.conn.domid).watches--;
  r.reply(OK);
}

function transactionStart(s: DaemonState, r: Request): void {
  if (r.tx) throw new XsError("EBUSY", "transactions do not nest");
  const conn = r.conn;
  const domain = s.domains.get(conn.domid);
  const max = s.limit(conn, "transactions");
  if (max > 0 && domain.transactions + 1 > max) throw new XsError("ENOSPC", `domain ${conn.domid} has ${max} open transactions`);
  let id = conn.nextTxId;
  while (id === 0 || conn.transactions.has(id)) id = (id + 1) >>> 0;
  conn.nextTxId = (id + 1) >>> 0;
  conn.transactions.set(id, new Transaction(s.store, s.limit(conn, "transaction-nodes")));
  domain.transactions++;
  r.reply(nulTerminated([String(id)]));
}

function transactionEnd(s: DaemonState, r: Request): void {
  const verdict = oneArg(r.msg.payload);
  if (verdict !== "T" && verdict !== "F") throw new XsError("EINVAL", "TRANSACTION_END takes T or F");
  const tx = r.tx;
  if (!tx) throw new XsError("ENOENT", "no transaction to end");
  r.conn.transactions.delete(r.msg.txId);
  s.domains.get(r.conn.domid).transactions--;
  if (verdict === "T") commit(s, r, tx);
  r.reply(OK);
}

function commit(s: DaemonState, r: Request, tx: Transaction): void {
  if (tx.failed) throw new XsError("ENOMEM", "an operation in the transaction failed part way");
  if (!isPrivileged(r.caller)) {
    for (const [domid, count] of tx.grownOwners()) {
      const max = s.domains.limit(domid, "nodes");
      if (max > 0 && count > max) throw new XsError("ENOSPC", `domain ${domid} would own more than ${max} nodes`);
    }
  }
  if (tx.conflicts()) throw new XsError("EAGAIN", "a node the transaction used has changed since");
  tx.apply();
  for (const [path, e] of tx.events) s.announce({ path, exact: e.exact, perms: e.perms });
}

export const sessionRequests: Record<number, Handler> = {
  [MsgType.WATCH]: watch,
  [MsgType.UNWATCH]: unwatch,
  [MsgType.RESET_WATCHES]: (s, r) => {
    s.resetSession(r.conn);
    r.reply(OK);
  },
  [MsgType.TRANSACTION_START]: transactionStart,
  [MsgType.TRANSACTION_END]: transactionEnd,
};
