// A whole stubdom for the engine tier: the real init bundle (built fresh by bundleInit) in
// QuickJS, a world laid out like the rootfs plus what the kernel mounts, and XenStore from an
// in-process daemon, seeded the way libxl seeds it. The init reaches XenStore through
// /dev/xen/xenbus (or the dev-mode virtio port), routed to a daemon connection with the stubdom's
// domid; the test reads health as dom0 over another connection.
import { readFileSync } from "node:fs";
import { bundleInit } from "../../init/bundle.ts";
import { XenStoreClient, XenStoreError } from "../../runtime/xenstore/client.ts";
import { XenStoreDaemon } from "../../host/xenstored/daemon.ts";
import { MemoryHub } from "./memoryHub.ts";
import { seedStubdom, type SeedSpec } from "../../host/dev/seed.ts";
import { TtyEndpoint, XenbusEndpoint } from "./engineFds.ts";
import { FakeQemu, type QemuScript } from "./enginePrograms.ts";
import { EngineVm, type Bound } from "./engineVm.ts";
import { World } from "./engineWorld.ts";
import { healthDir } from "../../init/healthPaths.ts";

export const QEMU_BINARY = "/usr/bin/qemu-system-i386";
export const MODULES = ["/lib/modules/6.1.0/kernel/drivers/xen/xen-evtchn.ko", "/lib/modules/6.1.0/kernel/drivers/xen/xen-privcmd.ko"];

export interface PvNic {
  devid: number;
  mac: string;
  /** The stubdom's interface for it (/sys/class/net/<iface>). */
  iface: string;
}

/** The kernel command line of a test that is about restarts: `restart` is `no` by default. */
export const RESTARTING = "console=hvc0 quiet stubdom.restart=on-failure";

export interface StubdomOptions {
  stubdom?: number;
  guest?: number;
  /** dm-argv as libxl writes it (argv[0] left out). */
  argv?: string[];
  /** Console devids besides hvc0 that exist: 1 save, 2 restore, 3+ serial. */
  consoles?: number[];
  /** Whether /dev/hvc0 exists (default true). */
  hvc0?: boolean;
  nics?: PvNic[];
  /** The kernel command line (/proc/cmdline). */
  cmdline?: string;
  /** How the stubdom reaches XenStore (default xenbus). */
  channel?: "xenbus" | "virtio" | "none";
  /** The QEMU binary named in image.json exists (default true). */
  qemuInstalled?: boolean;
  qemu?: QemuScript;
  /** Changes to the store after the libxl-like seed, as dom0 (the error paths). */
  afterSeed?: (dom0: XenStoreClient, seed: SeedSpec) => Promise<void>;
  /** Last changes to the world before the init starts. */
  prepare?: (world: World) => void;
}

export const DEFAULT_ARGV = ["-xen-domid", "4", "-no-shutdown", "-nodefaults", "-no-user-config", "-name", "guest4", "-display", "none", "-machine", "xenfv", "-m", "496", "-serial", "/dev/hvc3"];

let bundled: Promise<string> | undefined;
/** The init bundle, rebuilt once per test process so the engine never runs a stale one. */
export const initBundle = (): Promise<string> => (bundled ??= bundleInit().then((path) => readFileSync(path, "utf8")));

export class EngineStubdom {
  readonly hvc = new Map<number, TtyEndpoint>();

  private constructor(
    readonly world: World,
    readonly vm: EngineVm,
    readonly dom0: XenStoreClient,
    readonly seed: SeedSpec,
    readonly qemu: FakeQemu,
  ) {}

  static async boot(o: StubdomOptions = {}): Promise<EngineStubdom> {
    const seed: SeedSpec = { stubdom: o.stubdom ?? 5, guest: o.guest ?? 4, uuid: "00000000-0000-4000-8000-000000000004", name: "guest4", argv: o.argv ?? DEFAULT_ARGV, consoles: o.consoles ?? [1, 3], vifs: (o.nics ?? []).map(({ devid, mac }) => ({ devid, mac })) };
    const hub = new MemoryHub(new XenStoreDaemon());
    const dom0 = new XenStoreClient(hub.connect(0));
    await seedStubdom(dom0, seed);
    await o.afterSeed?.(dom0, seed);

    const world = new World();
    const qemu = new FakeQemu(world, o.qemu);
    const vm = await EngineVm.create(world);
    const s = new EngineStubdom(world, vm, dom0, seed, qemu);
    s.layOut(o, hub);
    o.prepare?.(world);
    vm.load(await initBundle(), "init.js");
    return s;
  }

  /** The rootfs, and what mounting proc, sysfs and devtmpfs makes appear. */
  private layOut(o: StubdomOptions, hub: MemoryHub): void {
    const { world } = this;
    const fs = world.fs;
    for (const d of ["/proc", "/sys", "/dev", "/tmp", "/run", "/etc/stubdom"]) fs.dir(d);
    fs.file("/etc/stubdom/image.json", JSON.stringify({ flavour: "xen", qemu: QEMU_BINARY }));
    fs.file("/etc/stubdom/modules", `# load order\n${MODULES[0]}\n${MODULES[1]} unrestricted=1\n`);
    for (const m of MODULES) fs.file(m, "\x7fELF");
    if (o.qemuInstalled ?? true) world.install(QEMU_BINARY, this.qemu);

    world.onMount("/proc", () => {
      fs.file("/proc/cmdline", `${o.cmdline ?? "console=hvc0 quiet"}\n`);
      fs.file("/proc/sys/vm/overcommit_memory", "0\n");
      fs.file("/proc/meminfo", "MemTotal:         131072 kB\nMemFree:           96000 kB\nMemAvailable:      98304 kB\nBuffers:               0 kB\n");
    });
    world.onMount("/sys", () => {
      fs.file("/sys/class/tty/console/active", "hvc0\n");
      fs.file("/sys/class/net/lo/address", "00:00:00:00:00:00\n");
      fs.file("/sys/class/net/lo/type", "772\n");
      for (const n of o.nics ?? []) {
        fs.file(`/sys/class/net/${n.iface}/address`, `${n.mac}\n`);
        fs.file(`/sys/class/net/${n.iface}/type`, "1\n");
      }
      if (o.channel === "virtio") fs.file("/sys/class/virtio-ports/vport1p1/name", "org.xen.xenstore\n");
    });
    world.onMount("/dev", () => {
      fs.device("/dev/null", "null");
      fs.device("/dev/console", "console");
      const consoles = [...(o.hvc0 ?? true ? [0] : []), ...(this.seed.consoles ?? [])];
      for (const n of consoles) {
        const tty = new TtyEndpoint(`/dev/hvc${n}`);
        this.hvc.set(n, tty);
        world.devices.set(`hvc${n}`, () => tty);
        fs.device(`/dev/hvc${n}`, `hvc${n}`);
      }
      if (o.channel === "virtio") fs.device("/dev/vport1p1", "xenbus");
      else if ((o.channel ?? "xenbus") === "xenbus") fs.device("/dev/xen/xenbus", "xenbus");
    });
    world.devices.set("console", () => world.console);
    world.devices.set("xenbus", (path) => new XenbusEndpoint(path, hub.connect(this.seed.stubdom)));
  }

  /** The supervisor's log: the kernel console (fd 1) and hvc0 when that is a separate sink. */
  get log(): string {
    return this.world.console.output + (this.hvc.get(0)?.output ?? "");
  }

  healthPath(key: string): string {
    return `${healthDir(this.seed.stubdom)}/${key}`;
  }

  /** A health key as dom0 reads it; undefined while it does not exist. */
  async health(key: string): Promise<string | undefined> {
    try {
      return await this.dom0.readString(this.healthPath(key));
    } catch (e) {
      if (e instanceof XenStoreError && e.code === "ENOENT") return undefined;
      throw e;
    }
  }

  async waitHealth(key: string, wanted: (v: string | undefined) => boolean, bound: Bound): Promise<string | undefined> {
    let last: string | undefined;
    await this.vm.runUntil(`health ${key}`, async () => wanted((last = await this.health(key))), bound);
    return last;
  }

  waitLog(re: RegExp, bound: Bound): Promise<void> {
    return this.vm.runUntil(`a log line matching ${re}`, () => re.test(this.log), bound);
  }

  /**
   * Evidence that PID 1 lives on: it never powered off, its loop still has timers, and over
   * `ms` of virtual time its reaper keeps sweeping (one waitpid sweep a second at least).
   */
  async livesOn(ms = 5000): Promise<{ sweeps: number; timers: number; poweredOff: string | undefined }> {
    const before = this.world.callCounts.get("waitpid") ?? 0;
    await this.vm.runFor(ms);
    return { sweeps: (this.world.callCounts.get("waitpid") ?? 0) - before, timers: this.world.pendingTimers, poweredOff: this.world.poweredOff };
  }

  dispose(): void {
    this.dom0.close();
    this.vm.dispose();
  }
}
