// The dom0-written config layer: keys under /local/domain/<S>/stubdom/config/, read at boot and
// re-read whenever the watch fires.
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import { XENSTORE_CONFIG_DIR, type Layer } from "./config.ts";

export async function readConfigLayer(xs: XenStoreClient, domid: number): Promise<Layer> {
  const source = `/local/domain/${domid}/${XENSTORE_CONFIG_DIR}`;
  const keys = await xs.directory(XENSTORE_CONFIG_DIR).catch(() => [] as string[]);
  const entries = await Promise.all(keys.map(async (k): Promise<[string, string]> => [k, await xs.readString(`${XENSTORE_CONFIG_DIR}/${k}`).catch((e: Error) => `(unreadable: ${e.message})`)]));
  return { source, entries };
}

export function watchConfig(xs: XenStoreClient, onChange: () => void): Promise<void> {
  return xs.watch(XENSTORE_CONFIG_DIR, "stubdom-config", () => onChange());
}
