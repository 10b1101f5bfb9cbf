// The toolstack's requests (domain.c, control.c). INTRODUCE, RELEASE, RESUME,
// IS_DOMAIN_INTRODUCED, SET_TARGET, SET_FEATURE, GET/SET_QUOTA and CONTROL are dom0's only (the
// daemon refuses them to others before they get here). Differences forced by having no
// hypervisor: INTRODUCE maps no ring, and SET_TARGET takes any domids, where C requires both
// domains introduced and connected; the relation then holds whenever the domain connects.
import { joinPath } from "../../runtime/xenstore/path.ts";
import type { Perm } from "../../runtime/xenstore/perms.ts";
import { DOMID_SELF, MsgType } from "../../runtime/xenstore/wire.ts";
import { atoi, cStrings, nulTerminated, oneArg, parseDomid } from "./args.ts";
import { checkStore } from "./check.ts";
import { SUPPORTED_FEATURES } from "./domains.ts";
import { XsError } from "./errors.ts";
import { domainPath } from "./nodePath.ts";
import { isQuotaName, QUOTA_NAMES, type QuotaName } from "./quota.ts";
import { OK, type DaemonState, type Handler, type Request } from "./requests.ts";
import { TreeOps } from "./tree.ts";

const strings = (r: Request): string[] => cStrings(r.msg.payload);

/** onearg_domain: a domid other than 0 that is introduced. */
function introducedDomain(s: DaemonState, r: Request): number {
  const domid = parseDomid(oneArg(r.msg.payload));
  if (domid === 0) throw new XsError("EINVAL", "domain 0 cannot be released or resumed");
  if (!s.domains.find(domid)?.introduced) throw new XsError("ENOENT", `domain ${domid} is not introduced`);
  return domid;
}

function introduce(s: DaemonState, r: Request): void {
  const args = strings(r);
  if (args.length < 3) throw new XsError("EINVAL", "INTRODUCE takes a domid, a gfn and an event channel");
  const domid = parseDomid(args[0]);
  if (atoi(args[2]) <= 0) throw new XsError("EINVAL", "INTRODUCE needs an event channel above 0");
  const domain = s.domains.get(domid);
  if (domid !== 0 && !domain.introduced) {
    domain.introduced = true;
    s.announceSpecial("@introduceDomain", domid);
  } else {
    // Introducing again restarts the domain's connection (domain_conn_reset).
    for (const c of s.conns.values()) if (c.channel && c.domid === domid) s.resetSession(c);
  }
  r.reply(OK);
}

/** A domain goes away: its channel closes and the nodes it owns are removed (destroy_domain). */
function release(s: DaemonState, r: Request): void {
  const domid = introducedDomain(s, r);
  for (const c of [...s.conns.values()]) if (c.channel && c.domid === domid) s.drop(c, `domain ${domid} released`);
  const owned: string[] = [];
  const walk = (path: string): void => {
    const node = s.store.get(path);
    if (!node) return;
    if (node.perms[0].domid === domid) return void owned.push(path);
    for (const child of node.children) walk(joinPath(path, child));
  };
  walk("/");
  const tree = new TreeOps(s.store, { caller: { domid: 0 }, limit: () => 0 }, (e) => s.announce(e));
  for (const path of owned) tree.rm(path);
  for (const [name, perms] of s.specialPerms) s.specialPerms.set(name, withoutDomain(perms, domid));
  s.announceSpecial("@releaseDomain", domid);
  s.domains.forget(domid);
  r.reply(OK);
}

/** remove_domid_from_perm: the domain's entries go; if it owned the list, dom0 does now. */
function withoutDomain(perms: Perm[], domid: number): Perm[] {
  const owner = perms[0].domid === domid ? { ...perms[0], domid: 0 } : perms[0];
  return [owner, ...perms.slice(1).filter((p) => p.domid !== domid)];
}

function quotaName(name: string): QuotaName {
  if (!isQuotaName(name)) throw new XsError("EINVAL", `no quota named ${JSON.stringify(name)}`);
  return name;
}

function getQuota(s: DaemonState, r: Request): void {
  const args = strings(r);
  if (args.length > 2) throw new XsError("EINVAL", "GET_QUOTA takes at most a domid and a name");
  if (args.length === 0) return r.reply(nulTerminated([QUOTA_NAMES.join(" ")]));
  const quotas = args.length === 1 ? s.domains.globalQuotas : s.domains.get(parseDomid(args[0])).quotas;
  r.reply(nulTerminated([String(quotas[quotaName(args[args.length - 1])])]));
}

function setQuota(s: DaemonState, r: Request): void {
  const args = strings(r);
  if (args.length < 2 || args.length > 3) throw new XsError("EINVAL", "SET_QUOTA takes [domid] name value");
  const quotas = args.length === 2 ? s.domains.globalQuotas : s.domains.get(parseDomid(args[0])).quotas;
  const name = quotaName(args[args.length - 2]);
  const value = atoi(args[args.length - 1]) >>> 0;
  if (value === 0xffffffff) throw new XsError("EINVAL", "that value means 'disabled' to xenstored");
  quotas[name] = value;
  r.reply(OK);
}

function getFeature(s: DaemonState, r: Request): void {
  const args = strings(r);
  let features: number;
  if (args.length === 0) {
    features = r.conn.channel ? s.domains.get(r.conn.domid).features : SUPPORTED_FEATURES;
  } else {
    if (r.caller.domid !== 0) throw new XsError("EACCES", "only dom0 may ask about another domain");
    if (args.length > 1) throw new XsError("EINVAL", "GET_FEATURE takes at most a domid");
    features = s.domains.get(parseDomid(args[0])).features;
  }
  r.reply(nulTerminated([String(features)]));
}

function setFeature(s: DaemonState, r: Request): void {
  const args = strings(r);
  if (args.length !== 2) throw new XsError("EINVAL", "SET_FEATURE takes a domid and a value");
  const domain = s.domains.get(parseDomid(args[0]));
  const features = atoi(args[1]) >>> 0;
  if (domain.introduced) throw new XsError("EBUSY", `domain ${domain.domid} is already introduced`);
  if ((features & ~SUPPORTED_FEATURES) !== 0) throw new XsError("EINVAL", `unsupported feature bits in ${features}`);
  domain.features = features;
  r.reply(OK);
}

const CONTROL_HELP = "check\nhelp\nprint <string>\n";

/** CONTROL: `check` verifies the store's consistency (EIO naming the fault), `print` logs a line. */
function control(s: DaemonState, r: Request): void {
  const args = strings(r);
  if (args.length === 0) throw new XsError("EINVAL", "CONTROL takes a command");
  const [command, ...params] = args;
  if (command === "check" && params.length === 0) {
    const fault = checkStore(s.store);
    if (fault) {
      s.log(`xenstored: check: ${fault}`);
      throw new XsError("EIO", fault);
    }
    return r.reply(OK);
  }
  if (command === "help" && params.length === 0) return r.reply(nulTerminated([CONTROL_HELP]));
  if (command === "print" && params.length === 1) {
    s.log(`xenstored: control: ${params[0]}`);
    return r.reply(OK);
  }
  throw new XsError("EINVAL", `unknown CONTROL command or arguments: ${command}`);
}

export const domainRequests: Record<number, Handler> = {
  [MsgType.INTRODUCE]: introduce,
  [MsgType.RELEASE]: release,
  [MsgType.RESUME]: (s, r) => {
    introducedDomain(s, r);
    r.reply(OK);
  },
  [MsgType.IS_DOMAIN_INTRODUCED]: (s, r) => {
    const domid = parseDomid(oneArg(r.msg.payload));
    const yes = domid === 0 || domid === DOMID_SELF || s.domains.find(domid)?.introduced === true;
    r.reply(nulTerminated([yes ? "T" : "F"]));
  },
  [MsgType.GET_DOMAIN_PATH]: (_s, r) => r.reply(nulTerminated([domainPath(parseDomid(oneArg(r.msg.payload)))])),
  [MsgType.SET_TARGET]: (s, r) => {
    const args = strings(r);
    if (args.length < 2) throw new XsError("EINVAL", "SET_TARGET takes a domid and a target domid");
    s.domains.get(parseDomid(args[0])).target = parseDomid(args[1]);
    r.reply(OK);
  },
  [MsgType.GET_FEATURE]: getFeature,
  [MsgType.SET_FEATURE]: setFeature,
  [MsgType.GET_QUOTA]: getQuota,
  [MsgType.SET_QUOTA]: setQuota,
  [MsgType.CONTROL]: control,
};
