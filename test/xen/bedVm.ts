// One boot of the test bed: QEMU (TCG, emulated SVM with nested paging: Debian's Xen has no shadow
// paging, so HVM guests need HAP) runs Xen with the dom0 kernel and initramfs as multiboot modules.
// Xen's serial console (Xen, dom0 kernel, dom0 init) is saved to a log; dom0's request loop is on a
// virtio-serial port; the staging folder is shared read-only over 9p. As in dev mode, we listen on
// each socket first and QEMU connects to it, so nothing is lost and nothing polls.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, rmSync, type WriteStream } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { LineStream } from "../../host/dev/lineStream.ts";
import type { Bed } from "./bedBuild.ts";
import { BedMonitor } from "./bedMonitor.ts";
import { stallState } from "./bedStall.ts";
import { Dom0Agent } from "./dom0Agent.ts";

/** `nmi=dom0`: an NMI the host sends a stalled bed (BedVm's onOverdue) wakes dom0 rather than stopping Xen. */
export const XEN_CMDLINE = "console=com1 com1=115200 dom0_mem=1024M,max:1024M noreboot loglvl=all guest_loglvl=all nmi=dom0";
export const DOM0_CMDLINE = "console=hvc0";
export const AGENT_PORT = "org.stubdom.xenbed";
export const SHARE_TAG = "xenbed";

export interface BedVmOptions {
  bed: Bed;
  /** Host folder dom0 mounts read-only at /mnt/bed. */
  share: string;
  /** Sockets and serial.log go here. */
  runDir: string;
  /** QEMU is killed after this long, whatever happens. */
  limitMs: number;
  /** A NIC on a point-to-point link to another bed: one listens on the host's loopback port, the other connects. */
  link?: { role: "listen" | "connect"; port: number; mac: string };
  /** The PCI passthrough variant: a Q35 machine with an emulated IOMMU and the devices to pass (PASSTHROUGH_DEVICES). */
  passthrough?: boolean;
}

/**
 * What the passthrough variant passes to guests, at fixed host addresses as an admin names them in
 * xl.cfg `pci = [...]`: QEMU's `edu` test device (a BAR, DMA, INTx and MSI), and an e1000 NIC whose
 * other end is QEMU's user-mode network (restricted: its DHCP server and nothing beyond).
 */
export const PASSTHROUGH_DEVICES = { edu: "0000:00:06.0", nic: "0000:00:07.0" } as const;
/** The address QEMU's user-mode DHCP server gives the passed-through NIC. */
export const PASSTHROUGH_NIC_LEASE = "10.0.2.15";
/** Xen's IOMMU driver says what it found and does on the serial console. */
export const PASSTHROUGH_XEN_OPTIONS = "iommu=debug,verbose";

function listenOnce(path: string): { server: Server; connected: Promise<Socket>; listening: Promise<void> } {
  rmSync(path, { force: true });
  let resolve: (s: Socket) => void = () => undefined;
  const connected = new Promise<Socket>((r) => (resolve = r));
  const server = createServer((sock) => resolve(sock));
  const listening = new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(path, ok);
  });
  return { server, connected, listening };
}

export class BedVm {
  readonly serial = new LineStream("Xen serial console");
  agent!: Dom0Agent;
  private monitor: BedMonitor | undefined;
  readonly exited: Promise<number | null>;
  private readonly servers: Server[] = [];
  private readonly log: WriteStream;
  private readonly limit: NodeJS.Timeout;

  private constructor(
    private readonly qemu: ChildProcess,
    runDir: string,
    limitMs: number,
  ) {
    this.log = createWriteStream(join(runDir, "serial.log"));
    this.exited = new Promise((resolve) => qemu.once("exit", (code) => resolve(code)));
    this.limit = setTimeout(() => {
      // Said where a reader of a dead bed looks first.
      this.log.write(`\n[test:xen] the bed VM is killed: it ran past its limit of ${limitMs / 60_000} min\n`);
      this.kill();
    }, limitMs);
    void this.exited.then(() => {
      clearTimeout(this.limit);
      this.monitor?.stop();
      for (const s of this.servers) s.close();
    });
  }

  static async boot(o: BedVmOptions): Promise<BedVm> {
    const serial = listenOnce(join(o.runDir, "serial.sock"));
    const agent = listenOnce(join(o.runDir, "agent.sock"));
    const monitor = listenOnce(join(o.runDir, "monitor.sock"));
    await Promise.all([serial.listening, agent.listening, monitor.listening]);
    // The IOMMU first: QEMU wires it to the PCI devices created after it.
    const iommu = o.passthrough ? ["-machine", "q35", "-device", "intel-iommu"] : [];
    const args = [
      ...iommu,
      "-accel", "tcg", "-cpu", "qemu64,+svm,+npt", "-m", "3072", "-smp", "1",
      "-nodefaults", "-display", "none", "-no-reboot",
      "-kernel", o.bed.xen, "-append", o.passthrough ? `${XEN_CMDLINE} ${PASSTHROUGH_XEN_OPTIONS}` : XEN_CMDLINE,
      "-initrd", `${o.bed.dom0Kernel} ${DOM0_CMDLINE},${o.bed.dom0Initrd}`,
      "-drive", `file=${o.bed.dom0Image},format=raw,if=virtio,cache=unsafe,snapshot=on`,
      "-virtfs", `local,path=${o.share},mount_tag=${SHARE_TAG},security_model=none,readonly=on`,
      "-chardev", `socket,id=com1,path=${join(o.runDir, "serial.sock")}`, "-serial", "chardev:com1",
      "-device", "virtio-serial-pci", "-chardev", `socket,id=agent,path=${join(o.runDir, "agent.sock")}`,
      "-device", `virtserialport,chardev=agent,name=${AGENT_PORT}`,
      "-chardev", `socket,id=monitor,path=${join(o.runDir, "monitor.sock")}`, "-mon", "chardev=monitor,mode=readline",
      ...(o.link ? ["-netdev", `socket,id=link,${o.link.role}=127.0.0.1:${o.link.port}`, "-device", `virtio-net-pci,netdev=link,mac=${o.link.mac}`] : []),
      ...(o.passthrough
        ? [
            "-device", `edu,addr=${PASSTHROUGH_DEVICES.edu.slice(8)}`,
            "-netdev", "user,id=passed,restrict=on", "-device", `e1000,netdev=passed,addr=${PASSTHROUGH_DEVICES.nic.slice(8)},mac=52:54:00:12:34:77`,
          ]
        : []),
    ];
    const qemu = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "inherit", "inherit"] });
    const vm = new BedVm(qemu, o.runDir, o.limitMs);
    vm.servers.push(serial.server, agent.server, monitor.server);
    const died = vm.exited.then((code) => {
      throw new Error(`QEMU exited (${code}) before dom0 connected`);
    });
    const serialSock = await Promise.race([serial.connected, died]);
    serialSock.setEncoding("latin1");
    serialSock.on("data", (s: string) => {
      vm.serial.push(s);
      vm.log.write(s, "latin1");
    });
    vm.monitor = new BedMonitor(await Promise.race([monitor.connected, died]));
    vm.agent = new Dom0Agent(await Promise.race([agent.connected, died]));
    vm.agent.onOverdue = (id) => vm.overdue(id);
    return vm;
  }

  /** The bed's state when dom0 let request `id` pass its bound (also in serial.log), then an NMI to wake dom0. */
  private async overdue(id: string): Promise<string> {
    if (!this.monitor) return "QEMU's monitor not connected";
    const state = await stallState(this.monitor, this.qemu.pid ?? 0);
    this.log.write(`\n[test:xen] request ${id} is overdue; the bed: ${state.summary}\n${state.detail}\n[test:xen] an NMI to wake dom0\n`);
    const nmi = await this.monitor.command("nmi", 10_000).then(() => "an NMI sent to wake dom0", (e: unknown) => `no NMI: ${(e as Error).message}`);
    return `${state.summary}; ${nmi}`;
  }

  /** Asks dom0 to power off; kills QEMU if it has not exited within `ms`. */
  async poweroff(ms: number): Promise<void> {
    this.agent.quit();
    const timer = setTimeout(() => this.kill(), ms);
    await this.exited;
    clearTimeout(timer);
    this.log.end();
  }

  kill(): void {
    if (this.qemu.exitCode === null && this.qemu.pid !== undefined) this.qemu.kill("SIGKILL");
  }
}
