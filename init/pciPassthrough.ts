// PCI passthrough through the stubdom: before QEMU gets libxl's device_add of a host device, the
// device must be in the stubdom, and where QEMU looks for it. pcifront shows a device some time after
// libxl hands it to pciback (at boot, racing QEMU's start; on `xl pci-attach`, after a reconfigure),
// so each device_add waits for it, on XenStore watches, within PCI_WAIT_MS.
// QEMU 9.1 and later find pcifront's address themselves (pciback's vdev-N; image.json
// "pcifrontLookup"). Older ones (Debian 12's 7.2) open /sys/bus/pci/devices/<host address>/, which
// in pciback's default mode is another device or none: for them the init mounts a tmpfs over that
// directory holding one link per passed-through device, named by host address, to pcifront's
// device in a second sysfs mount. Nothing else in the stubdom reads that directory.
import type { Sys } from "../runtime/sys.ts";
import { XenStoreError, type XenStoreClient } from "../runtime/xenstore/client.ts";
import type { Log } from "./log.ts";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID } from "./mounts.ts";
import { lookupPciDevice, parseDeviceCount, parsePciAddress, sysfsName, type PcibackEntry, type PciLookup } from "./pciAddress.ts";

/** The stubdom's pcifront, relative to its home. */
export const PCI_FRONT_DIR = "device/pci/0";
/** libxl gives a PCI add LIBXL_QMP_CMD_TIMEOUT (10 s) in all, retries included. */
export const PCI_WAIT_MS = 8000;
/** sysfs has no event the init can wait on: between XenStore events the device is looked for this often. */
const RECHECK_MS = 250;
const WATCH_TOKEN = "stubdom-pci";
export const PCI_DEVICES_DIR = "/sys/bus/pci/devices";
/** The second sysfs mount, where pcifront's devices keep their own names. */
export const PCIFRONT_SYSFS = "/run/pcifront-sysfs";

const absent = (e: unknown): boolean => e instanceof XenStoreError && e.code === "ENOENT";

export class PciPassthrough {
  private backend: string | undefined;
  private sysfsMounted = false;
  private viewMounted = false;
  /** Each waiting ready()'s wake-up. */
  private readonly waiters = new Set<() => void>();
  private readonly wake = (): void => {
    for (const w of [...this.waiters]) w();
  };

  /** `hostNames`: QEMU opens sysfs by host address, so the init keeps the host-named view. */
  constructor(
    private readonly sys: Sys,
    private readonly log: Log,
    private readonly xs: XenStoreClient,
    private readonly hostNames: boolean,
  ) {}

  /** Resolves once host device `hostaddr` is there for QEMU; to a sentence when it is not within PCI_WAIT_MS. */
  async ready(hostaddr: string): Promise<string | undefined> {
    const address = parsePciAddress(hostaddr);
    if (!address) return `libxl's hostaddr ${JSON.stringify(hostaddr.slice(0, 40))} is not a PCI address`;
    const host = sysfsName(address);
    const started = this.sys.now();
    try {
      await this.start();
    } catch (e) {
      return `PCI device ${host}: ${(e as Error).message}`;
    }
    for (;;) {
      let found: PciLookup;
      try {
        found = lookupPciDevice(host, await this.entries(), (local) => this.sys.exists(`${this.sysfsRoot()}/bus/pci/devices/${local}/config`));
      } catch (e) {
        return `PCI device ${host}: ${(e as Error).message}`;
      }
      if (found.found) {
        try {
          return this.show(host, found.local, started);
        } catch (e) {
          return `PCI device ${host} is ${found.local} in this stubdom, but linking it for QEMU failed: ${(e as Error).message}`;
        }
      }
      const waited = this.sys.now() - started;
      if (waited >= PCI_WAIT_MS) return `PCI device ${host} is not in this stubdom after ${(waited / 1000).toFixed(1)} s: ${found.why}`;
      await this.change(Math.min(RECHECK_MS, PCI_WAIT_MS - waited));
    }
  }

  private sysfsRoot(): string {
    return this.hostNames ? PCIFRONT_SYSFS : "/sys";
  }

  /**
   * Once each, in order: the backend's path with the watches, then the host-named view's two mounts.
   * A step that failed is tried again by the next ready(), without repeating the steps before it.
   */
  private async start(): Promise<void> {
    if (this.backend === undefined) {
      let backend: string;
      try {
        backend = await this.xs.readString(`${PCI_FRONT_DIR}/backend`);
      } catch (e) {
        if (absent(e)) throw new Error(`this stubdom has no pcifront (${PCI_FRONT_DIR}/backend: ENOENT): libxl gave it no PCI device`);
        throw new Error(`reading ${PCI_FRONT_DIR}/backend: ${(e as Error).message}`);
      }
      await this.xs.watch(backend, WATCH_TOKEN, this.wake);
      await this.xs.watch(`${PCI_FRONT_DIR}/state`, WATCH_TOKEN, this.wake);
      this.backend = backend;
    }
    if (!this.hostNames) return;
    if (!this.sysfsMounted) {
      this.sys.mkdir(PCIFRONT_SYSFS, 0o755);
      this.sys.mount("sysfs", PCIFRONT_SYSFS, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
      this.sysfsMounted = true;
    }
    if (!this.viewMounted) {
      this.sys.mount("pci-by-host-address", PCI_DEVICES_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0755");
      this.viewMounted = true;
      this.log.info(`pci: ${PCI_DEVICES_DIR} names pcifront's devices by host address for QEMU (pcifront's own names: ${PCIFRONT_SYSFS}/bus/pci/devices)`);
    }
  }

  private async entries(): Promise<PcibackEntry[]> {
    const be = this.backend!;
    const read = (key: string): Promise<string | undefined> =>
      this.xs.readString(`${be}/${key}`).catch((e: unknown) => (absent(e) ? undefined : Promise.reject(new Error(`reading ${be}/${key}: ${(e as Error).message}`))));
    const count = parseDeviceCount(await read("num_devs"));
    if (typeof count === "string") throw new Error(`${be}/${count}`);
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const [dev, vdev, state] = await Promise.all([read(`dev-${i}`), read(`vdev-${i}`), read(`state-${i}`)]);
        return { dev, vdev, state };
      }),
    );
  }

  /** A XenStore event on pciback's or pcifront's keys, or `ms`, whichever comes first. */
  private change(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        timer.cancel();
        this.waiters.delete(done);
        resolve();
      };
      const timer = this.sys.setTimer(ms, done);
      this.waiters.add(done);
    });
  }

  private show(host: string, local: string, started: number): undefined {
    const waited = `${Math.round(this.sys.now() - started)} ms`;
    if (!this.hostNames) {
      this.log.info(`pci: host ${host} is ${local} in this stubdom (after ${waited}); QEMU finds it itself`);
      return undefined;
    }
    const link = `${PCI_DEVICES_DIR}/${host}`;
    this.sys.unlink(link);
    this.sys.symlink(`${PCIFRONT_SYSFS}/bus/pci/devices/${local}`, link);
    this.log.info(`pci: host ${host} is ${local} in this stubdom (after ${waited}): ${link} -> ${local} for QEMU`);
    return undefined;
  }
}
