// PCI passthrough through the stubdom, the pure part. libxl names a device to QEMU by its host
// address (QMP device_add xen-pci-passthrough, hostaddr=0000:00:06.0); the stubdom's pcifront shows
// it at the address pciback gave it, which differs in pciback's default mode (0000:00:00.0) and is the
// same with xen-pciback.passthrough=1. pciback publishes both in its backend directory, per device N:
// dev-N (host), vdev-N (stubdom, written once the frontend has connected) and state-N.

export interface PciAddress {
  domain: number;
  bus: number;
  dev: number;
  func: number;
}

/** More is not a device count: pciback exports at most a bus's worth to one frontend. */
export const MAX_PCI_DEVICES = 256;

/** A "%x:%x:%x.%x" address (pciback writes vdev-N with a two-digit function, libxl with one); undefined if it is not one. */
export function parsePciAddress(text: string): PciAddress | undefined {
  const m = /^([0-9a-f]{1,4}):([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-9a-f]{1,2})$/i.exec(text.trim());
  if (!m) return undefined;
  const [domain, bus, dev, func] = m.slice(1).map((h) => parseInt(h, 16)) as [number, number, number, number];
  return dev < 32 && func < 8 ? { domain, bus, dev, func } : undefined;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0");

/** The name sysfs gives the device under /sys/bus/pci/devices: "0000:00:06.0". */
export const sysfsName = (a: PciAddress): string => `${hex(a.domain, 4)}:${hex(a.bus, 2)}:${hex(a.dev, 2)}.${a.func.toString(16)}`;

/** pciback's keys for one device, as read (undefined: not there). */
export interface PcibackEntry {
  dev?: string;
  vdev?: string;
  state?: string;
}

/** Where a host device stands for QEMU: found in the stubdom as `local`, or not yet, with why. */
export type PciLookup = { found: true; local: string } | { found: false; why: string };

/**
 * Pure: the stubdom's address of host device `host` (a sysfs name) from pciback's entries, once
 * `hasConfig(local)` says pcifront has made its sysfs device.
 */
export function lookupPciDevice(host: string, entries: readonly PcibackEntry[], hasConfig: (local: string) => boolean): PciLookup {
  const hostOf = (e: PcibackEntry): string | undefined => {
    const a = e.dev === undefined ? undefined : parsePciAddress(e.dev);
    return a && sysfsName(a);
  };
  const index = entries.findIndex((e) => hostOf(e) === host);
  if (index < 0) {
    const listed = entries.map((e, i) => `dev-${i}=${e.dev ?? "(none)"}`).join(", ");
    return { found: false, why: `pciback lists no device ${host} for this stubdom (${listed || "no devices"})` };
  }
  const e = entries[index]!;
  if (e.vdev === undefined) return { found: false, why: `pciback has not published vdev-${index} for ${host} yet (state-${index}=${e.state ?? "(none)"})` };
  const local = parsePciAddress(e.vdev);
  if (!local) return { found: false, why: `pciback's vdev-${index} for ${host} is not a PCI address: ${JSON.stringify(e.vdev.slice(0, 40))}` };
  const name = sysfsName(local);
  if (!hasConfig(name)) return { found: false, why: `pcifront has not shown ${name} (host ${host}) in sysfs yet` };
  return { found: true, local: name };
}

/** pciback's num_devs as a count; a sentence when it is not one. */
export function parseDeviceCount(text: string | undefined): number | string {
  if (text === undefined) return 0;
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n > MAX_PCI_DEVICES) return `num_devs is not a device count: ${JSON.stringify(text.slice(0, 40))}`;
  return n;
}
