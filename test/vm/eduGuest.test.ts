// vm tier: the edu test guest (test/xen/eduGuest.ts), which the Xen tier will give a passed-through
// edu device, proven on plain QEMU (TCG, pc machine, SeaBIOS) with QEMU's own edu: cold-plugged,
// the firmware assigned BAR0 and the interrupt line and the guest reports MMIO, DMA, INTx (through
// the IOAPIC, on the pin of the line's ISA IRQ) and MSI working; hot-plugged with QMP device_add,
// BAR0 is 0 and the line unset, so the guest assigns the BAR and takes the line from the PIIX PIRQ
// router; device_del has the guest eject the slot (PIIX4 ACPI hotplug, 0xae08) and report it gone,
// and a second device_add is reported again.
// QEMU connects to sockets we listen on first (serial, QMP); every wait is on a line or a QMP
// reply, with a bound.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bounded, LineStream } from "../../host/dev/lineStream.ts";
import { QmpClient } from "../../qemu/qmpClient.ts";
import type { ByteStream } from "../../runtime/fdStream.ts";
import {
  EDU_BANNER, EDU_BAR0, EDU_BAR0_OK, EDU_DMA, EDU_DMA_OK, EDU_FOUND, EDU_GONE, EDU_INTX, EDU_INTX_OK, EDU_MSI, EDU_MSI_OK,
  HOTPLUG_BAR0, eduGuestDisk,
} from "../xen/eduGuest.ts";

/** SeaBIOS and the guest's first scan, under TCG on a busy machine. */
const BOOT_BOUND_MS = 60_000;
/** One step of a report: a DMA round trip, 3 interrupts, each bounded by the guest at 1-2 s. */
const STEP_BOUND_MS = 30_000;
const SETPRIV = "/usr/bin/setpriv";

/** A socket QEMU connects to as a client; resolves with the connection. */
function listenOnce(path: string): { server: Server; connected: Promise<Socket>; listening: Promise<void> } {
  let server!: Server;
  const connected = new Promise<Socket>((resolve) => {
    server = createServer((sock) => resolve(sock));
  });
  const listening = new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, resolve);
  });
  return { server, connected, listening };
}

function socketStream(sock: Socket): ByteStream {
  return {
    write: (bytes) => void sock.write(bytes),
    onData: (cb) => void sock.on("data", (b: Buffer) => cb(new Uint8Array(b))),
    onClose: (cb) => void sock.on("close", () => cb("QMP socket closed")),
    close: () => sock.destroy(),
  };
}

class EduVm {
  readonly serial = new LineStream("edu guest COM1");
  readonly stderr = new LineStream("qemu stderr");
  private readonly servers: Server[] = [];
  private readonly sockets: Socket[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  qmp!: QmpClient;

  static async start(dir: string, devices: string[]): Promise<EduVm> {
    const vm = new EduVm();
    await vm.launch(dir, devices);
    return vm;
  }

  private async launch(dir: string, devices: string[]): Promise<void> {
    const disk = join(dir, "edu.img");
    writeFileSync(disk, eduGuestDisk());
    const con = listenOnce(join(dir, "serial.sock"));
    const mon = listenOnce(join(dir, "qmp.sock"));
    this.servers.push(con.server, mon.server);
    await Promise.all([con.listening, mon.listening]);
    const args = [
      "-accel", "tcg", "-nodefaults", "-no-user-config", "-display", "none", "-m", "64", "-no-reboot",
      "-drive", `file=${disk},format=raw,if=ide`,
      "-chardev", `socket,id=con,path=${join(dir, "serial.sock")}`, "-serial", "chardev:con",
      "-chardev", `socket,id=qmp,path=${join(dir, "qmp.sock")}`, "-mon", "chardev=qmp,mode=control",
      ...devices.flatMap((d) => ["-device", d]),
    ];
    // setpriv: QEMU dies with this process even when it is killed outright.
    const [file, argv] = existsSync(SETPRIV) ? [SETPRIV, ["--pdeathsig", "KILL", "--", "qemu-system-x86_64", ...args]] : ["qemu-system-x86_64", args];
    const child = spawn(file, argv, { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    this.exited = new Promise((resolve) => child.on("close", () => resolve()));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => this.stderr.push(s));
    const quit = this.exited.then(() => {
      throw new Error(`QEMU exited: ${this.stderr.all}`);
    });
    const [serial, qmp] = await bounded(Promise.race([Promise.all([con.connected, mon.connected]), quit]), 30_000, "QEMU connected its serial and QMP sockets");
    this.sockets.push(serial, qmp);
    serial.setEncoding("latin1").on("data", (s: string) => this.serial.push(s));
    this.qmp = new QmpClient(socketStream(qmp));
    await bounded(this.qmp.ready, 30_000, "QMP greeted and took qmp_capabilities");
  }

  /** The `n`th line (1-based, seen before or after this call) that matches `re`. */
  async nth(re: RegExp, n: number, ms = STEP_BOUND_MS): Promise<string> {
    await this.serial.waitForCount(re, n, ms);
    return this.serial.all.split(/\r?\n/).filter((l) => re.test(l))[n - 1];
  }

  /** The report of the `n`th arrival: found at `dev`, then each step's line matched. */
  async report(n: number, dev: number): Promise<string> {
    const found = await this.nth(EDU_FOUND, n);
    assert.is(EDU_FOUND.exec(found)![1], dev.toString(16).padStart(2, "0"), found);
    const bar = await this.nth(EDU_BAR0, n);
    assert.match(bar, EDU_BAR0_OK);
    assert.match(await this.nth(EDU_DMA, n), EDU_DMA_OK);
    const intx = await this.nth(EDU_INTX, n);
    assert.match(intx, EDU_INTX_OK);
    assert.match(await this.nth(EDU_MSI, n), EDU_MSI_OK);
    return intx;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    for (const s of this.sockets) s.destroy();
    for (const s of this.servers) s.close();
  }

  dump(): string {
    return `--- guest COM1 ---\n${this.serial.all}\n--- qemu stderr ---\n${this.stderr.all}`;
  }
}

let dir: string;
let vm: EduVm | undefined;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "edu-guest-"));
  vm = undefined;
});
test.after.each(async () => {
  await vm?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function withDump(run: (v: EduVm) => Promise<void>): Promise<void> {
  try {
    await run(vm!);
  } catch (e) {
    if (vm) console.log(vm.dump());
    throw e;
  }
}

test("cold-plugged edu: the guest finds it, and MMIO, DMA both ways, INTx and MSI work", async () => {
  vm = await EduVm.start(dir, ["edu"]);
  await withDump(async (v) => {
    await v.serial.waitFor(new RegExp(`^${EDU_BANNER}$`), BOOT_BOUND_MS);
    const found = await v.serial.waitFor(EDU_FOUND, BOOT_BOUND_MS);
    const dev = Number.parseInt(EDU_FOUND.exec(found)![1], 16);
    await v.report(1, dev);
    // The firmware assigned BAR0 (the guest only does for a BAR at 0).
    assert.is.not(EDU_BAR0.exec(await v.nth(EDU_BAR0, 1))![1], HOTPLUG_BAR0.toString(16));
  });
});

test("hot-plugged edu: the guest assigns BAR0 and routes INTx itself; device_del is ejected and reported gone; a re-attach is reported again", async () => {
  vm = await EduVm.start(dir, []);
  await withDump(async (v) => {
    await v.serial.waitFor(new RegExp(`^${EDU_BANNER}$`), BOOT_BOUND_MS);
    await v.qmp.execute("device_add", { driver: "edu", id: "e1", bus: "pci.0", addr: "0x6" });
    const intx = await v.report(1, 6);
    assert.is(EDU_BAR0.exec(await v.nth(EDU_BAR0, 1))![1], HOTPLUG_BAR0.toString(16), "BAR0 is the guest's");
    // Plain QEMU's PIIX routes slot 6 pin A to PIRQB ((6 - 1 + 0) & 3), which SeaBIOS set to IRQ 10:
    // IOAPIC pin 10.
    assert.match(intx, / gsi 10$/);

    await v.qmp.execute("device_del", { id: "e1" });
    await v.nth(EDU_GONE, 1);
    // The slot was ejected by the guest, so QEMU no longer lists the device.
    const pci = (await v.qmp.execute("query-pci")) as { devices: { qdev_id: string }[] }[];
    assert.not.ok(pci.some((bus) => bus.devices.some((d) => d.qdev_id === "e1")), "e1 is gone from QEMU");

    // Slot 4 routes to PIRQD ((4 - 1) & 3), IRQ 11: IOAPIC pin 11.
    await v.qmp.execute("device_add", { driver: "edu", id: "e2", bus: "pci.0", addr: "0x4" });
    assert.match(await v.report(2, 4), / gsi 11$/);
  });
});

test.run();
