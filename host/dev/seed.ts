// Writes what libxl writes for a Linux stubdom (libxl_dm.c libxl__write_stub_dmargs and
// spawn_stub_launch_dm; facts in shared/research/anchors-stubdom.md 2.3-2.4), in one transaction,
// plus our own settings under /local/domain/<S>/stubdom/config (dom0-owned, readable by S).
import { XenStoreError, type XenStoreClient } from "../../runtime/xenstore/client.ts";
import type { Perm } from "../../runtime/xenstore/perms.ts";
import { configDir } from "../../init/stubdomPaths.ts";

export interface SeedSpec {
  stubdom: number;
  guest: number;
  uuid: string;
  name: string;
  argv: readonly string[];
  /** Console devids that exist besides hvc0 (libxl: 1 save, 2 restore, 3+ serial). */
  consoles?: readonly number[];
  /** The stubdom's PV NICs: libxl gives each the guest NIC's devid and MAC. */
  vifs?: readonly { devid: number; mac: string }[];
  /** Supervisor settings (init/configSchema.ts), key → value as the stubdom will parse it. */
  config?: Readonly<Record<string, string>>;
}

const none = (d: number): Perm => ({ domid: d, access: "n" });
const read = (d: number): Perm => ({ domid: d, access: "r" });

/** `%03d`, as libxl numbers dm-argv keys (1000 and up simply grow). */
export const argKey = (i: number): string => String(i).padStart(3, "0");

/** Where dom0 writes the stubdom's settings (init/stubdomPaths.ts). */
export { configDir };

const ignoreMissing = (e: unknown): void => {
  if (!(e instanceof XenStoreError && e.code === "ENOENT")) throw e;
};

export async function seedStubdom(xs: XenStoreClient, s: SeedSpec): Promise<void> {
  const G = `/local/domain/${s.guest}`;
  const S = `/local/domain/${s.stubdom}`;
  const vm = `/vm/${s.uuid}`;
  await xs.transaction(async (tx) => {
    const write = (path: string, value: string): Promise<void> => xs.write(path, value, tx);
    const mkdir = async (path: string, perms: Perm[]): Promise<void> => {
      await xs.mkdir(path, tx);
      await xs.setPerms(path, perms, tx);
    };
    await mkdir(G, [none(0), read(s.guest)]);
    await write(`${G}/vm`, vm);
    await write(`${G}/name`, s.name);
    await write(`${G}/domid`, String(s.guest));
    await write(`${G}/image/device-model-domid`, String(s.stubdom));
    await mkdir(vm, [none(0), read(s.guest)]);
    await write(`${vm}/name`, s.name);
    await write(`${vm}/uuid`, s.uuid);
    // A re-seed with fewer arguments must not leave the old tail behind.
    await xs.rm(`${vm}/image/dm-argv`, tx).catch(ignoreMissing);
    await mkdir(`${vm}/image/dm-argv`, [none(0), read(s.stubdom)]);
    // Pipelined: one round trip's latency for the whole argv, however long.
    await Promise.all(s.argv.map((arg, i) => write(`${vm}/image/dm-argv/${argKey(i + 1)}`, arg)));
    await mkdir(S, [none(0), read(s.stubdom)]);
    await write(`${S}/name`, `${s.name}-dm`);
    await write(`${S}/domid`, String(s.stubdom));
    await write(`${S}/target`, String(s.guest));
    await mkdir(`${S}/data`, [none(s.stubdom)]);
    await mkdir(`${S}/device-model/${s.guest}`, [none(s.stubdom), read(s.guest)]);
    for (const c of s.consoles ?? []) await write(`${S}/device/console/${c}/type`, "ioemu");
    for (const v of s.vifs ?? []) await write(`${S}/device/vif/${v.devid}/mac`, v.mac);
    await xs.rm(configDir(s.stubdom), tx).catch(ignoreMissing);
    await mkdir(configDir(s.stubdom), [none(0), read(s.stubdom)]);
    await Promise.all(Object.entries(s.config ?? {}).map(([k, v]) => write(`${configDir(s.stubdom)}/${k}`, v)));
  });
  await xs.setTarget(s.stubdom, s.guest);
}
