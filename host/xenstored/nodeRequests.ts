// READ, WRITE, MKDIR, RM, DIRECTORY, DIRECTORY_PART, GET_PERMS, SET_PERMS: argument parsing as
// C xenstored does it, then the tree operation on the request's view.
import { formatPerm, parsePerm, type Perm } from "../../runtime/xenstore/perms.ts";
import { MsgType, PAYLOAD_MAX } from "../../runtime/xenstore/wire.ts";
import { has, OWNER, permFor, WRITE } from "./access.ts";
import { atoi, cStrings, latin1, latin1Bytes, nulTerminated, oneArg } from "./args.ts";
import { XsError } from "./errors.ts";
import { canonical, checkNodePath } from "./nodePath.ts";
import { OK, type DaemonState, type Handler, type Request } from "./requests.ts";

/** The node path a request names, canonical and checked. */
export function nodePath(s: DaemonState, r: Request, raw: string): string {
  const path = canonical(r.conn.domid, raw);
  checkNodePath(path, s.limit(r.conn, "path-max"));
  return path;
}

const onePath = (s: DaemonState, r: Request): string => nodePath(s, r, oneArg(r.msg.payload));

const nulCount = (b: Uint8Array): number => b.reduce((n, x) => (x === 0 ? n + 1 : n), 0);

/** send_directory_part: `<gencnt>|` then the names from byte `offset`; a final empty name ends the list. */
function directoryPart(generation: number, children: readonly string[], offset: number): Uint8Array {
  const all = nulTerminated(children);
  const gen = `${generation}\0`;
  if (offset >= all.length) return latin1Bytes(`${gen}\0`);
  const room = PAYLOAD_MAX - gen.length - 1;
  let len = 0;
  for (;;) {
    const end = all.indexOf(0, offset + len);
    const nameLength = end - (offset + len);
    if (len + nameLength >= room) break;
    len += nameLength + 1;
    if (offset + len === all.length) break;
  }
  const done = offset + len === all.length;
  return latin1Bytes(gen + latin1(all.subarray(offset, offset + len)) + (done ? "\0" : ""));
}

/** SET_PERMS on `@introduceDomain` / `@releaseDomain` (domain.c set_perms_special). */
function setSpecialPerms(s: DaemonState, r: Request, name: string, perms: Perm[]): void {
  const current = s.specialPerms.get(name);
  if (!current) throw new XsError("EINVAL", `${name} is not a special path`);
  if (!has(permFor(current, r.caller), WRITE | OWNER)) throw new XsError("EACCES", `domain ${r.caller.domid} may not set the perms of ${name}`);
  s.specialPerms.set(name, perms);
}

export const nodeRequests: Record<number, Handler> = {
  [MsgType.READ]: (s, r) => r.reply(s.tree(r).read(onePath(s, r))),

  [MsgType.DIRECTORY]: (s, r) => r.reply(nulTerminated(s.tree(r).directory(onePath(s, r)).children)),

  [MsgType.DIRECTORY_PART]: (s, r) => {
    if (nulCount(r.msg.payload) !== 2) throw new XsError("EINVAL", "DIRECTORY_PART takes a path and an offset");
    const [raw, offset] = cStrings(r.msg.payload);
    const node = s.tree(r).directory(nodePath(s, r, raw));
    // C keeps the offset in an unsigned int: a negative one is past the end.
    r.reply(directoryPart(node.generation, node.children, atoi(offset) >>> 0));
  },

  [MsgType.GET_PERMS]: (s, r) => r.reply(nulTerminated(s.tree(r).getPerms(onePath(s, r)).map(formatPerm))),

  [MsgType.WRITE]: (s, r) => {
    const payload = r.msg.payload;
    const nul = payload.indexOf(0);
    if (nul < 0) throw new XsError("EINVAL", "WRITE without a NUL after the path");
    s.tree(r).write(nodePath(s, r, latin1(payload.subarray(0, nul))), payload.slice(nul + 1));
    r.reply(OK);
  },

  [MsgType.MKDIR]: (s, r) => {
    s.tree(r).mkdir(onePath(s, r));
    r.reply(OK);
  },

  [MsgType.RM]: (s, r) => {
    s.tree(r).rm(onePath(s, r));
    r.reply(OK);
  },

  [MsgType.SET_PERMS]: (s, r) => {
    const count = nulCount(r.msg.payload) - 1;
    if (count < 1) throw new XsError("EINVAL", "SET_PERMS takes a path and at least one permission");
    const max = s.limit(r.conn, "node-permissions");
    if (max > 0 && count > max) throw new XsError("ENOSPC", `${count} permissions, over the limit ${max}`);
    const [raw, ...texts] = cStrings(r.msg.payload);
    const perms = texts.map(parsePerm);
    if (perms.some((p) => p === undefined)) throw new XsError("EINVAL", "bad permission");
    if (raw.startsWith("@")) setSpecialPerms(s, r, raw, perms as Perm[]);
    else s.tree(r).setPerms(nodePath(s, r, raw), perms as Perm[]);
    r.reply(OK);
  },
};
