// `xl cd-insert` and `xl cd-eject` with a Linux stubdom (libxl 4.20 and later, docs/misc/stubdom.txt):
// libxl ejects the old disc over QMP, detaches the stubdom's vbd for that CD drive and attaches a new
// one (a zero-length file for an empty drive), then asks QMP `query-fdsets` every 200 ms, for up to
// 40 s, for an fd whose opaque is `stub-devid:<devid>`, and points the drive at `/dev/fdset/<N>`.
// Opening the new /dev/xvdX and handing it to QEMU with QMP `add-fd` is the stubdom's part: this
// watches its own device/vbd and does it for each newly connected CD vbd. The vbds there at boot are
// QEMU's through its argv (file=/dev/xvdX). libxl removes the old fdset itself (`remove-fd`).
// An empty drive served by the dom0 QEMU (qdisk: libxl keeps the drive's backend type) never
// connects, as that QEMU has nothing to serve: its vbd counts as ready once its backend's `params`
// names no file, and QEMU gets /dev/null for it, which it never opens (libxl changes no medium then).
import type { Sys } from "../runtime/sys.ts";
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import { XenStoreError } from "../runtime/xenstore/client.ts";
import type { QmpClient } from "../qemu/qmpClient.ts";
import { coalesced } from "./coalesced.ts";
import type { Log } from "./log.ts";

/** The stubdom's own frontends, relative to /local/domain/<S>. */
export const VBD_DIR = "device/vbd";
export const CONNECTED = "4";
export const fdsetOpaque = (devid: string): string => `stub-devid:${devid}`;
/** blkfront says Connected before the disk is added: how long its block device may take to appear. */
const DISK_WAIT_MS = 5000;
const DISK_POLL_MS = 100;

export interface VbdView {
  devid: string;
  state: string;
  /** "cdrom" or "disk" (libxl's device-type). */
  deviceType: string;
  /** What tells one attachment from the next under the same devid: blkfront's event channel. */
  attachment: string;
  /** The backend's `params` names no file: a drive with no disc, which may never connect. */
  empty: boolean;
}

/** libxl's `params` of a drive with no disc: "" (phy), or "<format>:" with no path (qdisk: "aio:"). */
export const namesNoFile = (params: string): boolean => /^([a-z0-9]+:)?$/.test(params);

/** A CD vbd QEMU can be handed: connected, or an empty drive that is not being taken away. */
const ready = (v: VbdView): boolean => v.deviceType === "cdrom" && (v.state === CONNECTED || (v.empty && Number(v.state) < 5));

/**
 * Pure: the CD vbds that need an fd in QEMU now (Connected, and not the attachment already served),
 * and what is served afterwards. A served vbd that is gone or no longer Connected is forgotten, so
 * its next Connected is a new attachment: blkfront often gets the same event channel number again.
 */
export function reviewVbds(vbds: readonly VbdView[], served: ReadonlyMap<string, string>): { add: VbdView[]; served: Map<string, string> } {
  const readyNow = new Set(vbds.filter((v) => v.state === CONNECTED || ready(v)).map((v) => v.devid));
  const next = new Map([...served].filter(([devid]) => readyNow.has(devid)));
  const add = vbds.filter((v) => ready(v) && next.get(v.devid) !== v.attachment);
  for (const v of add) next.set(v.devid, v.attachment);
  return { add, served: next };
}

export interface CdromDeps {
  sys: Sys;
  log: Log;
  xs: XenStoreClient;
  /** QEMU's monitor for the init, while QEMU runs. */
  qmp: () => QmpClient | undefined;
}

const absent = (e: unknown): boolean => e instanceof XenStoreError && e.code === "ENOENT";

export class CdromMedia {
  private served = new Map<string, string>();

  constructor(private readonly d: CdromDeps) {}

  /** Takes the vbds there now as QEMU's own, then watches for new ones. */
  async start(): Promise<void> {
    for (const v of await this.list()) this.served.set(v.devid, v.attachment);
    const review = coalesced(() => this.review(), (e) => this.d.log.error(`cdrom: reading ${VBD_DIR} failed: ${e.message}`));
    await this.d.xs.watch(VBD_DIR, "stubdom-cdrom", () => review());
  }

  private async list(): Promise<VbdView[]> {
    const { xs } = this.d;
    const devids = await xs.directory(VBD_DIR).catch((e) => (absent(e) ? [] : Promise.reject(e)));
    const read = (devid: string, key: string): Promise<string> => xs.readString(`${VBD_DIR}/${devid}/${key}`).catch((e) => (absent(e) ? "" : Promise.reject(e)));
    return Promise.all(
      devids.map(async (devid) => {
        const [state, deviceType, attachment, backend] = await Promise.all([read(devid, "state"), read(devid, "device-type"), read(devid, "event-channel"), read(devid, "backend")]);
        // Only a CD drive can be empty. The backend's keys are readable by the frontend's domain (libxl's permissions).
        const params = deviceType !== "cdrom" || backend === "" ? undefined : await xs.readString(`${backend}/params`).catch((e) => (absent(e) ? undefined : Promise.reject(e)));
        return { devid, state, deviceType, attachment, empty: params !== undefined && namesNoFile(params) };
      }),
    );
  }

  private async review(): Promise<void> {
    const r = reviewVbds(await this.list(), this.served);
    this.served = r.served;
    for (const v of r.add) {
      await this.hand(v.devid, v.empty && v.state !== CONNECTED).catch((e: Error) => this.d.log.error(`cdrom: vbd ${v.devid}: ${e.message}; libxl's cd-insert or cd-eject waits for it in vain`));
    }
  }

  /** The block device blkfront made for a vbd: /sys/bus/xen/devices/vbd-<devid>/block/<name>. */
  private async disk(devid: string): Promise<string> {
    const { sys } = this.d;
    const dir = `/sys/bus/xen/devices/vbd-${devid}/block`;
    for (let waited = 0; ; waited += DISK_POLL_MS) {
      const name = sys.exists(dir) ? sys.readdir(dir)[0] : undefined;
      if (name !== undefined && sys.exists(`/dev/${name}`)) return `/dev/${name}`;
      if (waited >= DISK_WAIT_MS) throw new Error(`no block device in ${dir} ${DISK_WAIT_MS / 1000} s after the vbd connected`);
      await new Promise<void>((resolve) => sys.setTimer(DISK_POLL_MS, resolve));
    }
  }

  /** Opens the vbd's disk (/dev/null for an empty drive with no disk) and hands it to QEMU as an fdset libxl can find. */
  private async hand(devid: string, noDisk: boolean): Promise<void> {
    const qmp = this.d.qmp();
    if (!qmp) throw new Error("QEMU is not running");
    const path = noDisk ? "/dev/null" : await this.disk(devid);
    const fd = this.d.sys.open(path, "r");
    try {
      await qmp.ready;
      const r = (await qmp.execute("add-fd", { opaque: fdsetOpaque(devid) }, fd)) as { "fdset-id"?: number };
      this.d.log.info(`cdrom: vbd ${devid} (${path}) is QEMU's fdset ${r["fdset-id"] ?? "?"}, ${fdsetOpaque(devid)}, for libxl`);
    } catch (e) {
      throw new Error(`handing ${path} to QEMU (QMP add-fd) failed: ${(e as Error).message}`);
    } finally {
      this.d.sys.close(fd);
    }
  }
}
