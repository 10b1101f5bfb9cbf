// The relay for libxl's QMP at the Sys seam: lines pass both ways as they came; a save command
// empties the state file first, QEMU's answer to it waits until the state is in dom0 (or becomes an
// error that says why), and what QEMU says meanwhile keeps its order behind it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Delivery } from "../../init/deviceState.ts";
import { QEMU_WAIT_MS, startLibxlQmpRelay } from "../../init/libxlQmpRelay.ts";
import { Log } from "../../init/log.ts";
import { FakeSys } from "../support/fakeSys.ts";

const LISTEN = 50;
const LIBXL = 60;
const QEMU = 61;
const QEMU_SOCKET = "/run/qmp/qemu-libxl.sock";
const SAVE = '{"execute": "xen-save-devices-state", "arguments": {"filename": "/dev/fdset/1", "live": false}, "id": 2}\r\n';

/** A stubdom where every PCI device is there at once. */
const noPci = { ready: async () => undefined };

function relay(refusal?: string) {
  const sys = new FakeSys();
  const log = new Log(sys);
  let finish: (d: Delivery) => void = () => undefined;
  const calls: string[] = [];
  const save = {
    refusal: () => refusal,
    prepare: () => void calls.push("prepare"),
    deliver: () => {
      calls.push("deliver");
      return new Promise<Delivery>((r) => (finish = r));
    },
  };
  sys.connections.set(LISTEN, [LIBXL]);
  sys.sockets.set(QEMU_SOCKET, [QEMU]);
  startLibxlQmpRelay(sys, log, LISTEN, QEMU_SOCKET, { save, pci: noPci });
  sys.feed(LISTEN, "");
  return { sys, calls, finish: (d: Delivery) => finish(d), toQemu: () => sys.bytesWritten(QEMU), toLibxl: () => sys.bytesWritten(LIBXL) };
}

test("lines pass both ways as they came, a partial line once it is whole", () => {
  const r = relay();
  r.sys.feed(QEMU, '{"QMP": {"version": {}}}\r\n');
  r.sys.feed(LIBXL, '{"execute": "qmp_capabilities", "id": 1}');
  assert.is(r.toQemu(), "");
  r.sys.feed(LIBXL, "\r\n");
  r.sys.feed(QEMU, '{"return": {}, "id": 1}\r\n');
  assert.is(r.toQemu(), '{"execute": "qmp_capabilities", "id": 1}\r\n');
  assert.is(r.toLibxl(), '{"QMP": {"version": {}}}\r\n{"return": {}, "id": 1}\r\n');
  assert.equal(r.calls, []);
});

test("a save: the file is emptied first; QEMU's answer, and what follows it, wait for the state to be in dom0", async () => {
  const r = relay();
  r.sys.feed(LIBXL, SAVE);
  assert.equal(r.calls, ["prepare"]);
  assert.is(r.toQemu(), SAVE);
  r.sys.feed(QEMU, '{"return": {}, "id": 2}\r\n{"timestamp": {}, "event": "STOP"}\r\n');
  assert.is(r.toLibxl(), "", "held");
  r.finish({ ok: true, bytes: 1234 });
  await new Promise((res) => setImmediate(res));
  assert.is(r.toLibxl(), '{"return": {}, "id": 2}\r\n{"timestamp": {}, "event": "STOP"}\r\n');
});

test("a save whose copy fails: libxl gets an error saying why, not QEMU's success", async () => {
  const r = relay();
  r.sys.feed(LIBXL, SAVE);
  r.sys.feed(QEMU, '{"return": {}, "id": 2}\r\n');
  r.finish({ ok: false, why: "hvc1 still holds 64 bytes after 10 s: dom0 is not reading console 1" });
  await new Promise((res) => setImmediate(res));
  const reply = JSON.parse(r.toLibxl()) as { error: { class: string; desc: string }; id: number };
  assert.is(reply.id, 2);
  assert.is(reply.error.class, "GenericError");
  assert.match(reply.error.desc, /^stubdom: hvc1 still holds 64 bytes/);
});

test("QEMU's own failure to save passes through, and nothing is copied", () => {
  const r = relay();
  r.sys.feed(LIBXL, SAVE);
  r.sys.feed(QEMU, '{"error": {"class": "GenericError", "desc": "Could not dup FD"}, "id": 2}\r\n');
  assert.is(r.toLibxl(), '{"error": {"class": "GenericError", "desc": "Could not dup FD"}, "id": 2}\r\n');
  assert.equal(r.calls, ["prepare"]);
});

test("a refused save never reaches QEMU; libxl gets the reason", () => {
  const r = relay("this stubdom's device state was saved once already");
  r.sys.feed(LIBXL, SAVE);
  assert.is(r.toQemu(), "");
  assert.equal(JSON.parse(r.toLibxl()), { error: { class: "GenericError", desc: "stubdom: this stubdom's device state was saved once already" }, id: 2 });
  assert.equal(r.calls, []);
});

test("either side closing closes the other", () => {
  const r = relay();
  r.sys.hangUp(QEMU);
  assert.ok(r.sys.closed.has(LIBXL) && r.sys.closed.has(QEMU));
});

test("while QEMU is down libxl's connection waits, its lines held, for the next QEMU; after QEMU_WAIT_MS it is closed", async () => {
  const sys = new FakeSys();
  const save = { refusal: () => undefined, prepare: () => undefined, deliver: async () => ({ ok: true as const, bytes: 0 }) };
  sys.connections.set(LISTEN, [70, 71]);
  startLibxlQmpRelay(sys, new Log(sys), LISTEN, QEMU_SOCKET, { save, pci: noPci });
  sys.feed(LISTEN, "");
  sys.feed(70, '{"execute": "qmp_capabilities", "id": 1}\r\n');
  await sys.advance(500);
  assert.not.ok(sys.closed.has(70), "not closed at once: vchan-socket-proxy would reconnect in a loop");
  sys.sockets.set(QEMU_SOCKET, [80]);
  await sys.advance(1000);
  assert.is(sys.bytesWritten(80), '{"execute": "qmp_capabilities", "id": 1}\r\n', "the held line goes to the new QEMU");
  assert.is((sys.bytesWritten(1).match(/is not there/g) ?? []).length, 2, "one line per connection, however many retries");
  await sys.advance(QEMU_WAIT_MS + 1000);
  assert.ok(sys.closed.has(71), "the second connection, which never got a QEMU, is closed at the bound");
  assert.match(sys.bytesWritten(1), /no QEMU monitor for libxl within 30 s; closing libxl's connection/);
});

const PCI_ADD = '{"execute": "device_add", "arguments": {"driver": "xen-pci-passthrough", "id": "pci-pt-00_06.0", "hostaddr": "0000:00:06.0"}, "id": 7}\r\n';
const QUERY = '{"execute": "query-pci", "id": 8}\r\n';

function pciRelay() {
  const sys = new FakeSys();
  const asked: string[] = [];
  let answer: (why: string | undefined) => void = () => undefined;
  const pci = {
    ready: (hostaddr: string) => {
      asked.push(hostaddr);
      return new Promise<string | undefined>((r) => (answer = r));
    },
  };
  const save = { refusal: () => undefined, prepare: () => undefined, deliver: async () => ({ ok: true as const, bytes: 0 }) };
  sys.connections.set(LISTEN, [LIBXL]);
  sys.sockets.set(QEMU_SOCKET, [QEMU]);
  startLibxlQmpRelay(sys, new Log(sys), LISTEN, QEMU_SOCKET, { save, pci });
  sys.feed(LISTEN, "");
  return { sys, asked, answer: (why: string | undefined) => answer(why), toQemu: () => sys.bytesWritten(QEMU), toLibxl: () => sys.bytesWritten(LIBXL) };
}

test("a PCI device_add waits until the device is there, and what libxl sends meanwhile waits behind it", async () => {
  const r = pciRelay();
  r.sys.feed(LIBXL, PCI_ADD + QUERY);
  assert.equal(r.asked, ["0000:00:06.0"]);
  assert.is(r.toQemu(), "", "held");
  r.answer(undefined);
  await new Promise((res) => setImmediate(res));
  assert.is(r.toQemu(), PCI_ADD + QUERY, "in libxl's order");
  assert.is(r.toLibxl(), "");
});

test("a PCI device that does not come: libxl gets an error saying why, QEMU never sees the device_add", async () => {
  const r = pciRelay();
  r.sys.feed(LIBXL, PCI_ADD);
  r.answer("PCI device 0000:00:06.0 is not in this stubdom after 8.0 s: pcifront has not shown 0000:00:00.0 in sysfs yet");
  await new Promise((res) => setImmediate(res));
  r.sys.feed(LIBXL, QUERY);
  assert.is(r.toQemu(), QUERY);
  assert.equal(JSON.parse(r.toLibxl()), { error: { class: "GenericError", desc: "stubdom: PCI device 0000:00:06.0 is not in this stubdom after 8.0 s: pcifront has not shown 0000:00:00.0 in sysfs yet" }, id: 7 });
  assert.match(r.sys.bytesWritten(1), /pci: device_add of host 0000:00:06.0 refused/);
});

test("other device_adds pass at once", () => {
  const r = pciRelay();
  const nic = '{"execute": "device_add", "arguments": {"driver": "e1000", "id": "n"}, "id": 3}\r\n';
  r.sys.feed(LIBXL, nic);
  assert.is(r.toQemu(), nic);
  assert.equal(r.asked, []);
});

test.run();
