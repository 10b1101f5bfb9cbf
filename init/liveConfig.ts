// The dom0-written config layer: keys under /local/domain/<S>/stubdom/config/, read at boot and
// re-read whenever the watch fires. Re-reads are coalesced (a flood of dom0 writes costs at most
// one re-read more), and each resolution starts from the settings in effect, so a refused value
// keeps the last good one.
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import { coalesced } from "./coalesced.ts";
import { resolveConfig, XENSTORE_CONFIG_DIR, type Layer, type Resolved } from "./config.ts";
import type { Config } from "./configSchema.ts";

const codeOf = (e: unknown): string => String((e as { code?: unknown }).code ?? (e as Error).message);

export async function readConfigLayer(xs: XenStoreClient, domid: number): Promise<Layer> {
  const source = `/local/domain/${domid}/${XENSTORE_CONFIG_DIR}`;
  const keys = await xs.directory(XENSTORE_CONFIG_DIR).catch((e: unknown) => {
    if (codeOf(e) === "ENOENT") return [] as string[];
    throw new Error(`listing ${source}: ${codeOf(e)}`);
  });
  const entries: [string, string][] = [];
  const unreadable: [string, string][] = [];
  const values = await Promise.all(keys.map((k) => xs.readString(`${XENSTORE_CONFIG_DIR}/${k}`).then((v) => ({ v }), (e: unknown) => ({ e: codeOf(e) }))));
  keys.forEach((k, i) => {
    const r = values[i];
    if ("v" in r) entries.push([k, r.v]);
    // Removed between the listing and the read: as if never written.
    else if (r.e !== "ENOENT") unreadable.push([k, r.e === "EILSEQ" ? "not UTF-8" : r.e]);
  });
  return { source, entries, unreadable };
}

/** The settings in effect, re-resolved from the command line and dom0's layer on every change. */
export class LiveConfig {
  private current: Config;

  constructor(
    private readonly cmdLayer: Layer,
    first: Resolved,
  ) {
    this.current = first.config;
  }

  get config(): Config {
    return this.current;
  }

  /** Resolves dom0's layer over the command line, refused values keeping their value in effect. */
  apply(dom0: Layer): Resolved {
    const r = resolveConfig([this.cmdLayer, dom0], this.current);
    this.current = r.config;
    return r;
  }

  /**
   * Reads dom0's layer now and after every change to it, handing each resolution to `onChange`.
   * Resolves once the watch is registered (xenstored fires it once at once: the first read).
   */
  watch(xs: XenStoreClient, domid: number, onChange: (r: Resolved) => void, onError: (e: Error) => void): Promise<void> {
    const reread = coalesced(async () => onChange(this.apply(await readConfigLayer(xs, domid))), onError);
    return xs.watch(XENSTORE_CONFIG_DIR, "stubdom-config", reread);
  }
}
