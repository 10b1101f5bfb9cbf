// The toolstack's requests (docs/misc/xenstore.txt, "Domain management"): dom0 tells xenstored
// about domains and tunes it. Any other domain gets EACCES for all of them.
import { XenStoreError, type XenStoreClient } from "../../runtime/xenstore/client.ts";
import { joinNul, splitNul } from "../../runtime/xenstore/payload.ts";
import { MsgType } from "../../runtime/xenstore/wire.ts";

const ask = async (xs: XenStoreClient, type: number, fields: string[]): Promise<string> =>
  splitNul(await xs.call(type, joinNul(fields), 0, fields.join(" ")))[0] ?? "";

const unsigned = (text: string, op: string): number => {
  if (!/^\d+$/.test(text)) throw new XenStoreError("EIO", op, `(reply ${JSON.stringify(text)} is not a number)`);
  return Number(text);
};

/** INTRODUCE: xenstored starts serving `domid`, whose ring is at `gfn`, bound to `evtchn`. */
export async function introduce(xs: XenStoreClient, domid: number, gfn: number, evtchn: number): Promise<void> {
  await ask(xs, MsgType.INTRODUCE, [String(domid), String(gfn), String(evtchn)]);
}

/** RELEASE: xenstored forgets `domid`: its connection closes and the nodes it owns go. */
export async function release(xs: XenStoreClient, domid: number): Promise<void> {
  await ask(xs, MsgType.RELEASE, [String(domid)]);
}

/** RESUME: @releaseDomain fires again on the domain's next shutdown. */
export async function resume(xs: XenStoreClient, domid: number): Promise<void> {
  await ask(xs, MsgType.RESUME, [String(domid)]);
}

export async function isDomainIntroduced(xs: XenStoreClient, domid: number): Promise<boolean> {
  return (await ask(xs, MsgType.IS_DOMAIN_INTRODUCED, [String(domid)])) === "T";
}

/** GET_FEATURE: the server's feature bits, or those of one domain (dom0 only). */
export async function getFeature(xs: XenStoreClient, domid?: number): Promise<number> {
  return unsigned(await ask(xs, MsgType.GET_FEATURE, domid === undefined ? [] : [String(domid)]), "GET_FEATURE");
}

/** SET_FEATURE: the feature bits a domain will see; refused (EBUSY) once it is introduced. */
export async function setFeature(xs: XenStoreClient, domid: number, features: number): Promise<void> {
  await ask(xs, MsgType.SET_FEATURE, [String(domid), String(features)]);
}

/** GET_QUOTA without a name: the quota names the server knows. */
export async function quotaNames(xs: XenStoreClient): Promise<string[]> {
  return (await ask(xs, MsgType.GET_QUOTA, [])).split(" ").filter((n) => n !== "");
}

/** GET_QUOTA: the global value of `name`, or `domid`'s own; 0 means no limit. */
export async function getQuota(xs: XenStoreClient, name: string, domid?: number): Promise<number> {
  return unsigned(await ask(xs, MsgType.GET_QUOTA, domid === undefined ? [name] : [String(domid), name]), "GET_QUOTA");
}

/** SET_QUOTA: the global value (the default for domains not yet known) or one domain's. */
export async function setQuota(xs: XenStoreClient, name: string, value: number, domid?: number): Promise<void> {
  await ask(xs, MsgType.SET_QUOTA, domid === undefined ? [name, String(value)] : [String(domid), name, String(value)]);
}

/** CONTROL: an implementation-specific command (`check`, `help`, `print`); the reply text. */
export async function control(xs: XenStoreClient, command: string, ...args: string[]): Promise<string> {
  return ask(xs, MsgType.CONTROL, [command, ...args]);
}
