// The network redirect: every QEMU tap gets a bridge of its own with the PV NIC that carries the
// same vif devid (found by the MAC libxl wrote in device/vif/<devid>/mac, among Ethernet
// interfaces only: a dom0-written MAC must never select lo or a bridge). Bridges have no IP
// and no STP; the stubdom-side interfaces get fixed MACs so the guest's MAC lives only on QEMU's
// emulated NIC.
import type { TapNetdev } from "../qemu/dmArgv.ts";
import { quoteShort } from "./quoteShort.ts";

/** A PV NIC as libxl wrote it: device/vif/<id>/mac, or why that could not be read. */
export interface Vif {
  id: string;
  mac?: string;
  readError?: string;
}

/** What a network interface is, from sysfs: only an `ether` one can be a PV NIC. */
export type InterfaceKind = "ether" | "loopback" | "bridge" | "tap" | "other";

export interface NetInterface {
  name: string;
  mac: string;
  kind: InterfaceKind;
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

/** Why `mac` cannot be a NIC's unicast address, or undefined when it can. */
export function macProblem(mac: string): string | undefined {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) return "is not a MAC address (six hex pairs separated by colons)";
  const bytes = mac.split(":").map((h) => parseInt(h, 16));
  if (bytes.every((b) => b === 0)) return "is all zeros, which no NIC has";
  if (bytes.every((b) => b === 0xff)) return "is the broadcast address, which no NIC has";
  if (bytes[0] & 1) return "is a multicast address (the first byte is odd), which no NIC has";
  return undefined;
}

/** The PV NIC for one tap: the vif of its devid, with a sound MAC that exactly one Ethernet interface has. */
function pairFor(tap: TapNetdev, vifs: readonly Vif[], ifaces: readonly NetInterface[]): BridgePair | string {
  const key = `device/vif/${tap.devid}/mac`;
  const vif = vifs.find((v) => v.id === String(tap.devid));
  if (!vif) return `tap ${tap.ifname} has no PV NIC: device/vif/${tap.devid} does not exist`;
  if (vif.mac === undefined) return `tap ${tap.ifname}: ${key}: cannot read (${vif.readError ?? "no value"})`;
  const problem = macProblem(vif.mac);
  if (problem) return `tap ${tap.ifname}: ${key} = ${quoteShort(vif.mac)} ${problem}`;
  const mac = vif.mac.toLowerCase();
  const same = ifaces.filter((i) => i.kind === "ether" && i.mac.toLowerCase() === mac);
  if (same.length === 0) return `tap ${tap.ifname}: no Ethernet interface has the MAC ${mac} of ${key}`;
  if (same.length > 1) return `tap ${tap.ifname}: ${same.map((i) => i.name).join(" and ")} both have the MAC ${mac} of ${key}`;
  return { devid: tap.devid, bridge: `br${tap.devid}`, pv: same[0].name, tap: tap.ifname };
}

export function planBridges(taps: readonly TapNetdev[], vifs: readonly Vif[], ifaces: readonly NetInterface[]): { pairs: BridgePair[]; problems: string[] } {
  const pairs: BridgePair[] = [];
  const problems: string[] = [];
  for (const tap of taps) {
    const p = pairFor(tap, vifs, ifaces);
    if (typeof p === "string") problems.push(p);
    else if (pairs.some((q) => q.pv === p.pv)) problems.push(`tap ${tap.ifname}: ${p.pv} is already bridged with another tap (two vifs share the MAC of device/vif/${tap.devid}/mac)`);
    else pairs.push(p);
  }
  return { pairs, problems };
}

/**
 * A step of network setup, done by ioctl (netSteps.ts) as busybox's ip and brctl do it, without a
 * process per step; or a sysfs knob (busybox brctl has no stp/setfd).
 */
export type NetStep =
  | { op: "link"; dev: string; up: boolean }
  | { op: "mac"; dev: string; mac: string }
  | { op: "flush"; dev: string }
  | { op: "addbr"; bridge: string }
  | { op: "addif"; bridge: string; dev: string }
  | { op: "write"; path: string; value: string };

/** The step as the command an admin would type for it, for the log and for errors. */
export function commandOf(s: NetStep): string {
  switch (s.op) {
    case "link":
      return `ip link set dev ${s.dev} ${s.up ? "up" : "down"}`;
    case "mac":
      return `ip link set dev ${s.dev} address ${s.mac}`;
    case "flush":
      return `ip -4 addr flush dev ${s.dev}`;
    case "addbr":
      return `brctl addbr ${s.bridge}`;
    case "addif":
      return `brctl addif ${s.bridge} ${s.dev}`;
    case "write":
      return `echo ${s.value} > ${s.path}`;
  }
}

/** Before QEMU starts: the bridge and the PV side. */
export const bridgeSteps = (p: BridgePair): NetStep[] => [
  { op: "link", dev: p.pv, up: false },
  { op: "mac", dev: p.pv, mac: stubMac(p.devid, "pv") },
  { op: "flush", dev: p.pv },
  { op: "addbr", bridge: p.bridge },
  { op: "write", path: `/sys/class/net/${p.bridge}/bridge/stp_state`, value: "0" },
  { op: "write", path: `/sys/class/net/${p.bridge}/bridge/forward_delay`, value: "0" },
  { op: "addif", bridge: p.bridge, dev: p.pv },
  { op: "link", dev: p.pv, up: true },
  { op: "link", dev: p.bridge, up: true },
];

/** After each QEMU start (QEMU creates its taps before it answers QMP): the tap side. */
export const tapSteps = (p: BridgePair): NetStep[] => [
  { op: "mac", dev: p.tap, mac: stubMac(p.devid, "tap") },
  { op: "addif", bridge: p.bridge, dev: p.tap },
  { op: "link", dev: p.tap, up: true },
];
