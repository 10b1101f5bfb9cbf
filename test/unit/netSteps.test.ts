// Network steps through Sys: a bridge pair's steps in order as the calls ip and brctl would make,
// and the first failure ends the lot with the command it stands for and the kernel's error.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bridgeSteps, commandOf, tapSteps, type BridgePair } from "../../init/network.ts";
import { applyNetSteps, NetStepError } from "../../init/netSteps.ts";
import { FakeSys } from "../support/fakeSys.ts";

const pair: BridgePair = { devid: 1, bridge: "br1", pv: "eth1", tap: "vif4.1-emu" };

test("the bridge's steps, then the tap's, as calls in order (STP off before the PV NIC joins)", () => {
  const sys = new FakeSys();
  applyNetSteps(sys, bridgeSteps(pair));
  applyNetSteps(sys, tapSteps(pair));
  assert.equal(sys.effects, [
    "linkUp eth1 false",
    "linkSetMac eth1 fe:ff:00:01:00:fe",
    "linkClearIpv4 eth1",
    "bridgeCreate br1",
    "bridgeAddPort br1 eth1",
    "linkUp eth1 true",
    "linkUp br1 true",
    "linkSetMac vif4.1-emu fe:ff:00:01:00:fd",
    "bridgeAddPort br1 vif4.1-emu",
    "linkUp vif4.1-emu true",
  ]);
  assert.is(sys.files.get("/sys/class/net/br1/bridge/stp_state"), "0");
  assert.is(sys.files.get("/sys/class/net/br1/bridge/forward_delay"), "0");
});

const failures: [string, string, RegExp][] = [
  ["bridgeCreate br1", "EEXIST", /^`brctl addbr br1`: bridgeCreate br1: EEXIST$/],
  ["linkSetMac eth1 fe:ff:00:01:00:fe", "EBUSY", /^`ip link set dev eth1 address fe:ff:00:01:00:fe`: /],
  ["bridgeAddPort br1 eth1", "ENODEV", /^`brctl addif br1 eth1`: /],
];
for (const [call, code, message] of failures) {
  test(`${call} failing with ${code} ends the steps there, naming the command`, () => {
    const sys = new FakeSys();
    sys.netFailures.set(call, code);
    let err: unknown;
    try {
      applyNetSteps(sys, bridgeSteps(pair));
    } catch (e) {
      err = e;
    }
    assert.instance(err, NetStepError);
    assert.match((err as Error).message, message);
    assert.is(sys.effects.at(-1), call, "nothing after the failed call");
  });
}

test("commandOf: each step as the command an admin would type", () => {
  assert.equal([...bridgeSteps(pair), ...tapSteps(pair)].map(commandOf), [
    "ip link set dev eth1 down",
    "ip link set dev eth1 address fe:ff:00:01:00:fe",
    "ip -4 addr flush dev eth1",
    "brctl addbr br1",
    "echo 0 > /sys/class/net/br1/bridge/stp_state",
    "echo 0 > /sys/class/net/br1/bridge/forward_delay",
    "brctl addif br1 eth1",
    "ip link set dev eth1 up",
    "ip link set dev br1 up",
    "ip link set dev vif4.1-emu address fe:ff:00:01:00:fd",
    "brctl addif br1 vif4.1-emu",
    "ip link set dev vif4.1-emu up",
  ]);
});

test.run();
