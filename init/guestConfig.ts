// What libxl tells the stubdom, read from XenStore: who we are, whom we serve, and QEMU's argv.
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import { nodePathProblem } from "../runtime/xenstore/path.ts";
import { orderDmArgvKeys } from "../qemu/dmArgv.ts";
import { quoteShort } from "./quoteShort.ts";

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
  if (!/^[0-9]+$/.test(text) || Number(text) > 0x7fef) throw new ConfigError(path, `${quoteShort(text)} is not a domain id`);
  return Number(text);
}

/** Arguments read at once: enough to pipeline, few enough that no queue grows with the argv. */
const READ_BATCH = 64;

/** libxl's /local/domain/<G>/vm: the absolute path of the guest's /vm/<uuid> node. */
async function readVmPath(xs: XenStoreClient, key: string): Promise<string> {
  const vm = await xs.readString(key).catch(failing(key, "read"));
  if (vm === "") throw new ConfigError(key, "is empty; libxl writes the guest's /vm/<uuid> path there");
  const problem = vm.startsWith("/") ? nodePathProblem(vm) : "is not an absolute path";
  if (problem !== undefined) throw new ConfigError(key, `${quoteShort(vm)} ${problem}; libxl writes the guest's /vm/<uuid> path there`);
  return vm;
}

export async function readGuestConfig(xs: XenStoreClient): Promise<GuestConfig> {
  const domid = await readDomid(xs, "domid");
  const targetKey = `/local/domain/${domid}/target`;
  const target = await readDomid(xs, targetKey);
  if (target === domid) throw new ConfigError(targetKey, `is ${target}, this stubdom itself; it must name the guest it serves`);
  const vmPath = await readVmPath(xs, `/local/domain/${target}/vm`);
  const argvDir = `${vmPath}/image/dm-argv`;
  const keys = await xs.directory(argvDir).catch(failing(argvDir, "list"));
  let ordered: string[];
  try {
    ordered = orderDmArgvKeys(keys);
  } catch (e) {
    throw new ConfigError(argvDir, (e as Error).message);
  }
  const dmArgv: string[] = [];
  for (let i = 0; i < ordered.length; i += READ_BATCH) {
    const batch = ordered.slice(i, i + READ_BATCH);
    dmArgv.push(...(await Promise.all(batch.map((k) => xs.readString(`${argvDir}/${k}`).catch(failing(`${argvDir}/${k}`, "read"))))));
  }
  return { domid, target, vmPath, dmArgv };
}
