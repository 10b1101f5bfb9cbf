// The network redirect: every QEMU tap gets a bridge of its own with the PV NIC that carries the
// same vif devid (found by the MAC libxl wrote in device/vif/<devid>/mac). Bridges have no IP
// and no STP; the stubdom-side interfaces get fixed MACs so the guest's MAC lives only on QEMU's
// emulated NIC.
import type { TapNetdev } from "../qemu/dmArgs.ts";

export interface Vif {
  devid: number;
  mac: string;
}

export interface NetInterface {
  name: string;
  mac: string;
}

export interface BridgePair {
  devid: number;
  bridge: string;
  pv: string;
  tap: string;
}

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, "0");

/** fe:ff:<devid hi>:<devid lo>:00:<fe|fd>: locally administered, never a guest's MAC. */
export const stubMac = (devid: number, side: "pv" | "tap"): string => `fe:ff:${hex2(devid >> 8)}:${hex2(devid)}:00:${side === "pv" ? "fe" : "fd"}`;

export function planBridges(taps: readonly TapNetdev[], vifs: readonly Vif[], ifaces: readonly NetInterface[]): { pairs: BridgePair[]; problems: string[] } {
  const pairs: BridgePair[] = [];
  const problems: string[] = [];
  for (const tap of taps) {
    const vif = vifs.find((v) => v.devid === tap.devid);
    if (!vif) {
      problems.push(`tap ${tap.ifname} has no PV NIC: device/vif/${tap.devid} does not exist`);
      continue;
    }
    const iface = ifaces.find((i) => i.mac.toLowerCase() === vif.mac.toLowerCase());
    if (!iface) {
      problems.push(`tap ${tap.ifname}: no network interface has the MAC ${vif.mac} of device/vif/${tap.devid}`);
      continue;
    }
    pairs.push({ devid: tap.devid, bridge: `br${tap.devid}`, pv: iface.name, tap: tap.ifname });
  }
  return { pairs, problems };
}

/** A step of network setup: a busybox command, or a sysfs knob (busybox brctl has no stp/setfd). */
export type NetStep = { run: string[] } | { write: string; value: string };

/** Before QEMU starts: the bridge and the PV side. */
export const bridgeSteps = (p: BridgePair): NetStep[] => [
  { run: ["ip", "link", "set", "dev", p.pv, "down"] },
  { run: ["ip", "link", "set", "dev", p.pv, "address", stubMac(p.devid, "pv")] },
  { run: ["ip", "addr", "flush", "dev", p.pv] },
  { run: ["brctl", "addbr", p.bridge] },
  { write: `/sys/class/net/${p.bridge}/bridge/stp_state`, value: "0" },
  { write: `/sys/class/net/${p.bridge}/bridge/forward_delay`, value: "0" },
  { run: ["brctl", "addif", p.bridge, p.pv] },
  { run: ["ip", "link", "set", "dev", p.pv, "up"] },
  { run: ["ip", "link", "set", "dev", p.bridge, "up"] },
];

/** After each QEMU start (QEMU creates its taps before it answers QMP): the tap side. */
export const tapSteps = (p: BridgePair): NetStep[] => [
  { run: ["ip", "link", "set", "dev", p.tap, "address", stubMac(p.devid, "tap")] },
  { run: ["brctl", "addif", p.bridge, p.tap] },
  { run: ["ip", "link", "set", "dev", p.tap, "up"] },
];
