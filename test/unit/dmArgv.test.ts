// QEMU's argv from libxl's keys to the exec: key order, taps, translation, and the argv of a
// restarted QEMU.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DmArgvError, orderDmArgvKeys, parseOptionList, RESTORE_PLACEHOLDER, SANDBOX, tapNetdevs, translateDmArgv, withBridgeVnc, withoutIncoming, withoutMissingDiscs } from "../../qemu/dmArgv.ts";
import { argKey } from "../../host/dev/seed.ts";

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
  assert.throws(() => translateDmArgv(["-incoming", RESTORE_PLACEHOLDER], { initQmp: 3 }, true), (e: unknown) => e instanceof DmArgvError && /hvc2/.test((e as Error).message));
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

test("keys sort numerically, so 1000 comes after 999 (a lexical sort puts it after 100)", () => {
  const keys = Array.from({ length: 1500 }, (_, i) => argKey(i + 1)).reverse();
  const ordered = orderDmArgvKeys(keys);
  assert.is(ordered.length, 1500);
  assert.is(ordered[998], "999");
  assert.is(ordered[999], "1000");
  assert.is(ordered[1499], "1500");
});

const bad: [string, string[], RegExp][] = [
  ["empty", [], /empty/],
  ["a gap", ["001", "002", "004"], /gap: expected argument 3, found key 004/],
  ["not starting at 1", ["002"], /expected argument 1/],
  ["a stray key", ["001", "extra"], /not argument numbers: extra/],
  ["two keys for one argument (01 beside 001)", ["001", "002", "01"], /two keys for argument 1: 01 and 001/],
  ["two keys for one argument (1 beside 001)", ["1", "001"], /two keys for argument 1: 1 and 001/],
  ["a key too long to be a number", ["001", "1".repeat(40)], /not argument numbers: 1111/],
];
for (const [name, keys, re] of bad) {
  test(`dm-argv with ${name} is refused with a sentence`, () => {
    try {
      orderDmArgvKeys(keys);
      assert.unreachable("should throw");
    } catch (e) {
      assert.instance(e, DmArgvError);
      assert.match((e as Error).message, re);
    }
  });
}

const restarts: [string, string[], string[]][] = [
  ["the restore placeholder and its -incoming go", ["-m", "64", "-incoming", RESTORE_PLACEHOLDER, "-S"], ["-m", "64", "-S"]],
  ["an -incoming of another kind stays", ["-incoming", "tcp:0:4444"], ["-incoming", "tcp:0:4444"]],
  ["a placeholder that is not -incoming's stays", ["-name", RESTORE_PLACEHOLDER], ["-name", RESTORE_PLACEHOLDER]],
  ["a trailing -incoming with nothing after it stays", ["-m", "64", "-incoming"], ["-m", "64", "-incoming"]],
  ["no restore: unchanged", ["-m", "64"], ["-m", "64"]],
];
for (const [name, argv, want] of restarts) {
  test(`withoutIncoming: ${name}`, () => assert.equal(withoutIncoming(argv), want));
}

const CD = "if=none,readonly=on,id=ide-5632,file=/dev/xvdc,format=host_device";
const discs: [string, string[], string[], string[]][] = [
  ["the disc is there: the drive keeps it", ["-drive", CD], ["/dev/xvdc"], ["-drive", CD]],
  ["the disc is gone after cd-eject: the drive starts empty", ["-drive", CD, "-device", "ide-cd,id=ide-5632,drive=ide-5632"], [], ["-drive", "if=none,readonly=on,id=ide-5632", "-device", "ide-cd,id=ide-5632,drive=ide-5632"]],
  ["an empty drive stays empty", ["-drive", "if=none,readonly=on,id=ide-5632"], [], ["-drive", "if=none,readonly=on,id=ide-5632"]],
  ["a hard disk whose file is gone is left for QEMU to refuse", ["-drive", "file=/dev/xvda,if=ide,index=0,media=disk,format=raw,cache=writeback"], [], ["-drive", "file=/dev/xvda,if=ide,index=0,media=disk,format=raw,cache=writeback"]],
  ["a read-only disk that is not a CD drive is left too", ["-drive", "if=none,readonly=on,id=disk-1,file=/dev/xvdb"], [], ["-drive", "if=none,readonly=on,id=disk-1,file=/dev/xvdb"]],
];
for (const [name, argv, present, want] of discs) {
  test(`withoutMissingDiscs: ${name}`, () => assert.equal(withoutMissingDiscs(argv, (p) => present.includes(p)), want));
}

const bridgeVnc: [string, string[], string[]][] = [
  ["libxl's argv for vnc=1", ["-xen-domid", "5", "-display", "none", "-device", "cirrus-vga,vgamem_mb=8"], ["-xen-domid", "5", "-display", "none", "-device", "cirrus-vga,vgamem_mb=8", "-vnc", "unix:/run/display/vnc.sock"]],
  ["keymap= (-k de) goes: the bridge sends scancodes", ["-xen-domid", "5", "-k", "de", "-display", "none"], ["-xen-domid", "5", "-display", "none", "-vnc", "unix:/run/display/vnc.sock"]],
];
for (const [name, argv, want] of bridgeVnc) test(`withBridgeVnc: ${name}`, () => assert.equal(withBridgeVnc(argv, "/run/display/vnc.sock"), want));

test.run();
