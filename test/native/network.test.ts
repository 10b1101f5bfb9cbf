// native tier: two PV NICs (veth pairs into a network namespace of our own) are each bridged to
// their QEMU tap by the init's ioctls, their IPv4 addresses gone, and a real frame sent into each PV
// NIC reaches its tap.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { outputs } from "../../host/image/build.ts";
import { LineStream } from "../../host/dev/lineStream.ts";
import { DEMO_GUEST_PATH } from "../../host/image/flavours.ts";
import { NativeStubdom } from "../support/nativeStubdom.ts";

const BOUND = 60_000;
const NETNS = `sdtest${process.pid}`;
const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
const nics = [0, 1].map((n) => ({ devid: n, mac: `00:16:3e:5d:00:0${n + 1}`, outside: `sdv${process.pid % 10000}x${n}`, inside: `pv${n}`, ip: `169.254.77.${10 + n}` }));

let s: NativeStubdom | undefined;

test.before(() => {
  sh("ip", "netns", "add", NETNS);
  for (const n of nics) {
    sh("ip", "link", "add", n.outside, "type", "veth", "peer", "name", n.inside);
    sh("ip", "link", "set", n.inside, "netns", NETNS);
    sh("ip", "netns", "exec", NETNS, "ip", "link", "set", n.inside, "address", n.mac);
    // An address the init must take off the PV NIC (as an ip= on the stubdom's command line would leave).
    sh("ip", "netns", "exec", NETNS, "ip", "addr", "add", `10.77.${n.devid}.2/24`, "dev", n.inside);
    sh("ip", "netns", "exec", NETNS, "ip", "addr", "add", `10.78.${n.devid}.2/24`, "dev", n.inside);
    sh("ip", "addr", "add", `${n.ip}/32`, "dev", n.outside);
    sh("ip", "link", "set", n.outside, "up");
  }
});

test.after(async () => {
  await s?.stop();
  for (const n of nics) {
    try {
      sh("ip", "link", "del", n.outside);
    } catch {
      // Deleting the namespace below takes the pair with it.
    }
  }
  sh("ip", "netns", "del", NETNS);
});

test("each tap is bridged with the PV NIC of its devid, and a frame crosses each bridge", async () => {
  const argv = ["-accel", "tcg", "-nodefaults", "-no-user-config", "-display", "none", "-m", "16", "-drive", `file=${DEMO_GUEST_PATH},format=raw,if=ide`, "-no-shutdown"];
  for (const n of nics) {
    argv.push("-netdev", `tap,id=net${n.devid},ifname=vif4.${n.devid}-emu,script=no,downscript=no`);
    argv.push("-device", `e1000,netdev=net${n.devid},mac=00:16:3e:00:00:0${n.devid + 1},romfile=`);
  }
  s = await NativeStubdom.start({ rootfs: outputs.devRootfs, netns: NETNS, seed: { stubdom: 5, guest: 4, uuid: "net-1", name: "net", argv, vifs: nics } });
  try {
    await s.waitHealth("state", (v) => v === "running", BOUND);
    await s.console.waitForCount(/network: vif4\.[01]-emu attached to br[01]/, 2, BOUND);
  } catch (e) {
    console.log(s.console.all);
    throw e;
  }
  for (const n of nics) {
    assert.is(sh("ip", "netns", "exec", NETNS, "ip", "-4", "-o", "addr", "show", "dev", n.inside).toString(), "", `${n.inside} kept an IPv4 address`);
    const master = sh("ip", "netns", "exec", NETNS, "cat", `/sys/class/net/vif4.${n.devid}-emu/master/uevent`).toString();
    assert.match(master, new RegExp(`INTERFACE=br${n.devid}`));
    const outsideMac = sh("cat", `/sys/class/net/${n.outside}/address`).toString().trim();
    const dump = spawn("ip", ["netns", "exec", NETNS, "tcpdump", "-i", `vif4.${n.devid}-emu`, "-c", "1", "-n", "-l", "ether", "src", outsideMac], { stdio: ["ignore", "pipe", "pipe"] });
    const out = new LineStream(`tcpdump on vif4.${n.devid}-emu`);
    dump.stdout.setEncoding("utf8").on("data", (x: string) => out.push(x));
    dump.stderr.setEncoding("utf8").on("data", (x: string) => out.push(x));
    const exited = new Promise<number | null>((r) => dump.on("exit", (code) => r(code)));
    await out.waitFor(/listening on/, BOUND);
    // Nobody answers the ARP request (arping then exits 1); what matters is that the frame went out.
    spawnSync("busybox", ["arping", "-I", n.outside, "-c", "1", "-w", "1", "169.254.77.1"]);
    await out.waitFor(/ARP, Request who-has 169\.254\.77\.1/, BOUND);
    assert.is(await exited, 0);
  }
});

test.run();
