// Which stubdom a command means. An admin names a stubdom as xl does (its domain id or its name,
// `<guest>-dm`) or by the guest it serves; libxl links the two with the guest's
// image/device-model-domid and the stubdom's target.
import type { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { CliError, DOMID_LIMIT, EXIT, usageError } from "./args.ts";
import { domainIds, isMissing, readOptional } from "./xenstoreOptional.ts";

export type StubdomRef = { domid: number } | { name: string };

/** xl's domain names: what it accepts can be looked up here too. */
const NAME_RE = /^[A-Za-z0-9_.][A-Za-z0-9_.:-]{0,63}$/;

/** Pure: a domain id (1 to 32751) or a domain name, as the user typed it. */
export function parseStubdomRef(text: string): StubdomRef {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n >= DOMID_LIMIT) throw usageError(`stubdom ${JSON.stringify(text)} is not a domain id (a whole number from 1 to ${DOMID_LIMIT - 1})`);
    return { domid: n };
  }
  if (!NAME_RE.test(text)) throw usageError(`stubdom ${JSON.stringify(text)} is neither a domain id nor a domain name`);
  return { name: text };
}

/** Exit 4, naming the path, unless domain `id` is in XenStore. */
export async function requireDomain(xs: XenStoreClient, id: number): Promise<void> {
  const dom = `/local/domain/${id}`;
  await xs.read(dom).catch((e) => Promise.reject(isMissing(e) ? new CliError(`no domain ${id}: ${dom} does not exist`, EXIT.noStubdom) : e));
}

/** Pure: the stubdom a name means, given every domain's name and device-model-domid. */
export function stubdomByName(name: string, domains: readonly { domid: number; name?: string; deviceModel?: string }[]): number | string {
  const hit = domains.find((d) => d.name === name);
  if (!hit) return `no domain is named ${JSON.stringify(name)} (/local/domain/*/name)`;
  if (hit.deviceModel !== undefined && /^[0-9]+$/.test(hit.deviceModel) && Number(hit.deviceModel) !== 0) return Number(hit.deviceModel);
  return hit.domid;
}

/** The stubdom's domain id; a name nobody has is exit 4. */
export async function resolveStubdom(xs: XenStoreClient, ref: StubdomRef): Promise<number> {
  if ("domid" in ref) return ref.domid;
  const domains = await Promise.all(
    (await domainIds(xs)).map(async (domid) => {
      const [name, deviceModel] = await Promise.all([readOptional(xs, `/local/domain/${domid}/name`), readOptional(xs, `/local/domain/${domid}/image/device-model-domid`)]);
      return { domid, name, deviceModel };
    }),
  );
  const found = stubdomByName(ref.name, domains);
  if (typeof found === "string") throw new CliError(found, EXIT.noStubdom);
  return found;
}
