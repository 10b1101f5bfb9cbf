import { test } from "uvu";
import * as assert from "uvu/assert";
import { DmArgsError, parseOptionList, RESTORE_PLACEHOLDER, SANDBOX, tapNetdevs, translateDmArgv } from "../../qemu/dmArgs.ts";

// libxl 4.17's argv for a stubdom guest (shared/research/xen-testbed.md), plus a NIC.
const libxlArgv = [
  "-xen-domid", "5", "-no-shutdown", "-nodefaults", "-no-user-config", "-name", "g", "-display", "none",
  "-serial", "/dev/hvc3", "-boot", "order=c",
  "-device", "rtl8139,id=nic0,netdev=net0,mac=00:16:3e:00:00:01",
  "-netdev", "type=tap,id=net0,ifname=vif5.0-emu,br=xenbr0,script=no,downscript=no",
  "-machine", "xenfv,suppress-vmdesc=on", "-m", "64",
];

test("QMP monitors and the sandbox are appended; libxl's arguments stay as they are", () => {
  const out = translateDmArgv(libxlArgv, { initQmp: 3, libxlQmp: 4 }, true);
  assert.equal(out.slice(0, libxlArgv.length), libxlArgv);
  assert.equal(out.slice(libxlArgv.length), [
    "-chardev", "socket,id=stubdom-init-qmp,fd=3,server=on,wait=off", "-mon", "chardev=stubdom-init-qmp,mode=control",
    "-chardev", "socket,id=libxl-qmp,fd=4,server=on,wait=off", "-mon", "chardev=libxl-qmp,mode=control",
    "-sandbox", SANDBOX,
  ]);
});

test("the restore placeholder becomes the inherited hvc2 fd and the save console fdset 1", () => {
  const out = translateDmArgv([...libxlArgv, "-incoming", RESTORE_PLACEHOLDER], { initQmp: 3, save: 5, restore: 6 }, false);
  assert.ok(out.includes("fd:6"));
  assert.not.ok(out.includes(RESTORE_PLACEHOLDER));
  const i = out.indexOf("-add-fd");
  assert.equal(out.slice(i, i + 2), ["-add-fd", "fd=5,set=1"]);
  assert.not.ok(out.includes("-sandbox"));
});

test("a restore without the restore console is refused with a sentence", () => {
  assert.throws(() => translateDmArgv(["-incoming", RESTORE_PLACEHOLDER], { initQmp: 3 }, true), (e: unknown) => e instanceof DmArgsError && /hvc2/.test((e as Error).message));
});

test("a -sandbox already in dm-argv is left alone", () => {
  const out = translateDmArgv(["-sandbox", "off"], { initQmp: 3 }, true);
  assert.is(out.filter((a) => a === "-sandbox").length, 1);
});

test("tap netdevs are found with their vif devid, in either spelling", () => {
  const argv = [...libxlArgv, "-netdev", "tap,id=net1,ifname=vif5.1-emu,script=no"];
  assert.equal(tapNetdevs(argv), [
    { id: "net0", ifname: "vif5.0-emu", devid: 0 },
    { id: "net1", ifname: "vif5.1-emu", devid: 1 },
  ]);
  assert.equal(tapNetdevs(["-net", "none"]), []);
});

test("a tap that is not libxl-named, or has no ifname, is an error", () => {
  assert.throws(() => tapNetdevs(["-netdev", "tap,id=n,ifname=tap0"]), /vif<guest>/);
  assert.throws(() => tapNetdevs(["-netdev", "tap,id=n"]), /no ifname/);
});

test("option lists keep doubled commas literal", () => {
  assert.equal([...parseOptionList("file=a,,b,format=raw")], [["file", "a,b"], ["format", "raw"]]);
});

test.run();
