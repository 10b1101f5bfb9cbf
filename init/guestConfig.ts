// What libxl tells the stubdom, read from XenStore: who we are, whom we serve, and QEMU's argv.
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import { orderDmArgvKeys } from "./dmArgv.ts";

export interface GuestConfig {
  domid: number;
  target: number;
  vmPath: string;
  dmArgv: string[];
}

/** A config problem, with the XenStore path it concerns. */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** A rejection handler that restates a XenStore failure as a ConfigError about `path`. */
const failing =
  (path: string, verb: string) =>
  (e: Error): never => {
    throw new ConfigError(path, `cannot ${verb} (${(e as { code?: string }).code ?? e.message})`);
  };

async function readDomid(xs: XenStoreClient, path: string): Promise<number> {
  const text = await xs.readString(path).catch(failing(path, "read"));
  if (!/^[0-9]+$/.test(text) || Number(text) > 0x7fef) throw new ConfigError(path, `${JSON.stringify(text)} is not a domain id`);
  return Number(text);
}

export async function readGuestConfig(xs: XenStoreClient): Promise<GuestConfig> {
  const domid = await readDomid(xs, "domid");
  const target = await readDomid(xs, `/local/domain/${domid}/target`);
  const vmKey = `/local/domain/${target}/vm`;
  const vmPath = await xs.readString(vmKey).catch(failing(vmKey, "read"));
  const argvDir = `${vmPath}/image/dm-argv`;
  const keys = await xs.directory(argvDir).catch(failing(argvDir, "list"));
  let ordered: string[];
  try {
    ordered = orderDmArgvKeys(keys);
  } catch (e) {
    throw new ConfigError(argvDir, (e as Error).message);
  }
  // Pipelined: every READ is in flight at once, replies matched by req_id.
  const dmArgv = await Promise.all(
    ordered.map((k) => xs.readString(`${argvDir}/${k}`).catch(failing(`${argvDir}/${k}`, "read"))),
  );
  return { domid, target, vmPath, dmArgv };
}
