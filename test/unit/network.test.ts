// The network plan: each QEMU tap paired with the Ethernet interface whose MAC libxl wrote for its
// devid, and a sentence naming the key whenever that cannot be done. A dom0-written MAC never
// selects lo, a bridge or a tap.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { macProblem, planBridges, stubMac, type NetInterface, type Vif } from "../../init/network.ts";
import type { TapNetdev } from "../../qemu/dmArgv.ts";

const tap = (devid: number): TapNetdev => ({ id: `net${devid}`, ifname: `vif4.${devid}-emu`, devid });
const ifaces: NetInterface[] = [
  { name: "lo", mac: "00:00:00:00:00:00", kind: "loopback" },
  { name: "eth0", mac: "00:16:3e:00:00:01", kind: "ether" },
  { name: "eth1", mac: "00:16:3e:00:00:03", kind: "ether" },
  { name: "br9", mac: "00:16:3e:00:00:09", kind: "bridge" },
  { name: "tap9", mac: "00:16:3e:00:00:0a", kind: "tap" },
];

test("each tap gets the Ethernet interface with its vif's MAC, in any case, devids as they come (0 and 2)", () => {
  const vifs: Vif[] = [{ id: "0", mac: "00:16:3E:00:00:01" }, { id: "2", mac: "00:16:3e:00:00:03" }];
  assert.equal(planBridges([tap(0), tap(2)], vifs, ifaces), {
    pairs: [
      { devid: 0, bridge: "br0", pv: "eth0", tap: "vif4.0-emu" },
      { devid: 2, bridge: "br2", pv: "eth1", tap: "vif4.2-emu" },
    ],
    problems: [],
  });
});

const refused: [string, Vif[], NetInterface[], RegExp][] = [
  ["no vif for the devid", [], ifaces, /^tap vif4\.0-emu has no PV NIC: device\/vif\/0 does not exist$/],
  ["an unreadable MAC", [{ id: "0", readError: "ENOENT" }], ifaces, /^tap vif4\.0-emu: device\/vif\/0\/mac: cannot read \(ENOENT\)$/],
  ["the all-zero MAC, which lo has", [{ id: "0", mac: "00:00:00:00:00:00" }], ifaces, /device\/vif\/0\/mac = "00:00:00:00:00:00" is all zeros/],
  ["a broadcast MAC", [{ id: "0", mac: "ff:ff:ff:ff:ff:ff" }], ifaces, /"ff:ff:ff:ff:ff:ff" is the broadcast address/],
  ["a multicast MAC", [{ id: "0", mac: "01:00:5e:00:00:01" }], ifaces, /"01:00:5e:00:00:01" is a multicast address/],
  ["a malformed MAC", [{ id: "0", mac: "00:16:3e:00:01" }], ifaces, /"00:16:3e:00:01" is not a MAC address/],
  ["a MAC with junk after it", [{ id: "0", mac: "00:16:3e:00:00:01 " }], ifaces, /is not a MAC address/],
  ["a bridge's MAC", [{ id: "0", mac: "00:16:3e:00:00:09" }], ifaces, /no Ethernet interface has the MAC 00:16:3e:00:00:09 of device\/vif\/0\/mac/],
  ["a tap's MAC", [{ id: "0", mac: "00:16:3e:00:00:0a" }], ifaces, /no Ethernet interface has the MAC/],
  ["two interfaces with the MAC", [{ id: "0", mac: "00:16:3e:00:00:01" }], [...ifaces, { name: "eth5", mac: "00:16:3e:00:00:01", kind: "ether" }], /eth0 and eth5 both have the MAC 00:16:3e:00:00:01 of device\/vif\/0\/mac/],
];
for (const [name, vifs, ifs, re] of refused) {
  test(`refused with a sentence: ${name}`, () => {
    const plan = planBridges([tap(0)], vifs, ifs);
    assert.equal(plan.pairs, []);
    assert.is(plan.problems.length, 1);
    assert.match(plan.problems[0], re);
  });
}

test("two vifs with one MAC: the second tap is refused, not bridged twice", () => {
  const plan = planBridges([tap(0), tap(1)], [{ id: "0", mac: "00:16:3e:00:00:01" }, { id: "1", mac: "00:16:3e:00:00:01" }], ifaces);
  assert.is(plan.pairs.length, 1);
  assert.match(plan.problems[0], /tap vif4\.1-emu: eth0 is already bridged with another tap/);
});

test("macProblem accepts a unicast MAC; stubMac is never a guest MAC (locally administered, unicast)", () => {
  assert.is(macProblem("00:16:3e:00:00:11"), undefined);
  for (const side of ["pv", "tap"] as const) {
    const m = stubMac(258, side);
    assert.is(macProblem(m), undefined);
    assert.ok(parseInt(m.slice(0, 2), 16) & 2, m);
  }
  assert.is(stubMac(258, "pv"), "fe:ff:01:02:00:fe");
});

test.run();
