// PCI passthrough through the stubdom: which address QEMU must be given for libxl's host address
// (table-driven over pciback's keys), and, at the Sys seam over an in-memory XenStore, the wait for
// a device pcifront shows late, the host-named links for a QEMU that cannot look it up, and the
// sentences when it never comes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { lookupPciDevice, parseDeviceCount, parsePciAddress, sysfsName, type PcibackEntry } from "../../init/pciAddress.ts";
import { PCI_DEVICES_DIR, PCI_WAIT_MS, PCIFRONT_SYSFS, PciPassthrough } from "../../init/pciPassthrough.ts";
import { Log } from "../../init/log.ts";
import { FakeSys } from "../support/fakeSys.ts";
import { xenstoreWorld } from "../support/xenstoreWorld.ts";

const addresses: [string, string | undefined][] = [
  ["0000:00:06.0", "0000:00:06.0"],
  ["0000:00:00.00", "0000:00:00.0"], // pciback's vdev-N: a two-digit function
  ["0:3:1f.7", "0000:03:1f.7"],
  ["0000:00:20.0", undefined], // device 32
  ["0000:00:06.8", undefined], // function 8
  ["0000:00:06", undefined],
  ["", undefined],
  ["0000:00:06.0; rm -rf /", undefined],
];
for (const [text, want] of addresses) {
  test(`parsePciAddress(${JSON.stringify(text)})`, () => {
    const a = parsePciAddress(text);
    assert.is(a && sysfsName(a), want);
  });
}

const present = (names: string[]) => (local: string): boolean => names.includes(local);
const dev = (d: string, vdev?: string, state?: string): PcibackEntry => ({ dev: d, vdev, state });
const lookups: [string, PcibackEntry[], string[], string | RegExp][] = [
  ["pciback's default mode: another address in the stubdom", [dev("0000:00:06.0", "0000:00:00.00", "4")], ["0000:00:00.0"], "0000:00:00.0"],
  ["passthrough=1: the same address", [dev("0000:00:06.0", "0000:00:06.00", "4")], ["0000:00:06.0"], "0000:00:06.0"],
  ["the second of two devices", [dev("0000:00:01.0", "0000:00:00.00"), dev("0000:00:06.0", "0000:00:01.00")], ["0000:00:00.0", "0000:00:01.0"], "0000:00:01.0"],
  ["not published yet (pcifront still connecting)", [dev("0000:00:06.0", undefined, "1")], [], /has not published vdev-0 for 0000:00:06.0 yet \(state-0=1\)/],
  ["published, but not in sysfs yet", [dev("0000:00:06.0", "0000:00:00.00")], [], /pcifront has not shown 0000:00:00.0 \(host 0000:00:06.0\) in sysfs yet/],
  ["a device libxl did not give this stubdom", [dev("0000:00:07.0", "0000:00:00.00")], ["0000:00:00.0"], /lists no device 0000:00:06.0 for this stubdom \(dev-0=0000:00:07.0\)/],
  ["no devices at all", [], [], /\(no devices\)/],
  ["a vdev that is not an address", [dev("0000:00:06.0", "\u00ff\u00fe")], [], /vdev-0 for 0000:00:06.0 is not a PCI address/],
];
for (const [name, entries, sysfs, want] of lookups) {
  test(`lookupPciDevice: ${name}`, () => {
    const r = lookupPciDevice("0000:00:06.0", entries, present(sysfs));
    if (typeof want === "string") assert.equal(r, { found: true, local: want });
    else assert.ok(!r.found && want.test(r.why), JSON.stringify(r));
  });
}

const counts: [string | undefined, number | RegExp][] = [["2", 2], [undefined, 0], ["-1", /not a device count/], ["99999999", /not a device count/], ["two", /not a device count/]];
for (const [text, want] of counts) {
  test(`parseDeviceCount(${JSON.stringify(text)})`, () => {
    const r = parseDeviceCount(text);
    if (typeof want === "number") assert.is(r, want);
    else assert.match(String(r), want);
  });
}

/** Mounts and unlinks are recorded, as the links are. */
class MountingSys extends FakeSys {
  override mount(source: string, target: string): void {
    this.effects.push(`mount ${source} ${target}`);
  }
  override unlink(path: string): void {
    this.effects.push(`unlink ${path}`);
  }
}

const S = 7;
const BE = `/local/domain/0/backend/pci/${S}/0`;

async function stubdom(hostNames: boolean) {
  const w = xenstoreWorld();
  await w.dom0.mkdir(`/local/domain/${S}`);
  await w.dom0.setPerms(`/local/domain/${S}`, [{ domid: S, access: "n" }]);
  await w.dom0.write(`/local/domain/${S}/device/pci/0/backend`, BE);
  await w.dom0.write(`/local/domain/${S}/device/pci/0/state`, "1");
  await w.dom0.mkdir(BE);
  await w.dom0.setPerms(BE, [{ domid: 0, access: "n" }, { domid: S, access: "r" }]);
  await w.dom0.write(`${BE}/num_devs`, "1");
  await w.dom0.write(`${BE}/dev-0`, "0000:00:06.0");
  const sys = new MountingSys();
  const pci = new PciPassthrough(sys, new Log(sys), w.dom(S), hostNames);
  return { w, sys, pci };
}

/** pcifront connects: pciback publishes the stubdom's address, the kernel makes the sysfs device. */
async function connect(s: Awaited<ReturnType<typeof stubdom>>, root: string): Promise<void> {
  s.sys.files.set(`${root}/bus/pci/devices/0000:00:00.0/config`, "");
  await s.w.dom0.write(`${BE}/vdev-0`, "0000:00:00.00");
  await s.w.dom0.write(`${BE}/state-0`, "4");
}

test("a device pcifront shows late is waited for; QEMU 7.2 gets it under its host address", async () => {
  const s = await stubdom(true);
  let outcome: string | undefined | null = null;
  void s.pci.ready("0000:00:06.0").then((o) => (outcome = o));
  await s.sys.advance(1000);
  assert.is(outcome, null, "still waiting");
  await connect(s, PCIFRONT_SYSFS);
  await s.sys.advance(0);
  assert.is(outcome, undefined);
  assert.ok(s.sys.effects.includes(`symlink ${PCI_DEVICES_DIR}/0000:00:06.0 -> ${PCIFRONT_SYSFS}/bus/pci/devices/0000:00:00.0`), s.sys.effects.join("\n"));
  assert.match(s.sys.bytesWritten(1), /pci: host 0000:00:06.0 is 0000:00:00.0 in this stubdom/);
});

test("a view mount that failed is tried again by the next device_add, without a second sysfs mount or watch", async () => {
  const s = await stubdom(true);
  let failures = 1;
  s.sys.mount = (source: string, target: string): void => {
    s.sys.effects.push(`mount ${source} ${target}`);
    if (target === PCI_DEVICES_DIR && failures-- > 0) throw Object.assign(new Error(`mount ${target}: ENOMEM`), { code: "ENOMEM" });
  };
  assert.match(String(await s.pci.ready("0000:00:06.0")), /^PCI device 0000:00:06.0: mount \/sys\/bus\/pci\/devices: ENOMEM$/);
  await connect(s, PCIFRONT_SYSFS);
  assert.is(await s.pci.ready("0000:00:06.0"), undefined);
  const mounts = s.sys.effects.filter((e) => e.startsWith("mount "));
  assert.equal(mounts, [`mount sysfs ${PCIFRONT_SYSFS}`, `mount pci-by-host-address ${PCI_DEVICES_DIR}`, `mount pci-by-host-address ${PCI_DEVICES_DIR}`]);
});

test("a QEMU that looks the address up itself: no view, no link, only the wait", async () => {
  const s = await stubdom(false);
  await connect(s, "/sys");
  assert.is(await s.pci.ready("0000:00:06.0"), undefined);
  assert.not.ok(s.sys.effects.some((e) => e.startsWith("symlink")), s.sys.effects.join("\n"));
  assert.match(s.sys.bytesWritten(1), /QEMU finds it itself/);
});

test("a device that never comes: a sentence saying what is missing, at the bound", async () => {
  const s = await stubdom(true);
  let outcome: string | undefined | null = null;
  void s.pci.ready("0000:00:06.0").then((o) => (outcome = o));
  await s.sys.advance(PCI_WAIT_MS + 500);
  assert.match(String(outcome), /^PCI device 0000:00:06.0 is not in this stubdom after 8\.\d s: pciback has not published vdev-0/);
});

test("a stubdom libxl gave no PCI device: said at once", async () => {
  const w = xenstoreWorld();
  await w.dom0.mkdir(`/local/domain/${S}`);
  await w.dom0.setPerms(`/local/domain/${S}`, [{ domid: S, access: "n" }]);
  const sys = new FakeSys();
  const why = await new PciPassthrough(sys, new Log(sys), w.dom(S), true).ready("0000:00:06.0");
  assert.match(String(why), /this stubdom has no pcifront \(device\/pci\/0\/backend: ENOENT\)/);
});

test("a hostaddr that is not an address is refused without a look", async () => {
  const s = await stubdom(true);
  assert.match(String(await s.pci.ready("../../etc")), /hostaddr "..\/..\/etc" is not a PCI address/);
});

test.run();
