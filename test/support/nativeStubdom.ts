// The native tier's stubdom: the real dev rootfs unpacked into a directory, the real stubjs as
// PID 1 of `unshare --pid --mount --fork --root=<dir>` (optionally inside a named network
// namespace), talking to our xenstored over a unix socket placed inside that root. Nothing is
// faked: the init, its QEMU and busybox are the ones the image ships. Kernel modules are not
// loaded (stubdom.modules=0): this kernel is the host's.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join, dirname } from "node:path";
import { gunzipSync } from "node:zlib";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { LineStream } from "../../host/dev/lineStream.ts";
import { seedStubdom, type SeedSpec } from "../../host/dev/seed.ts";
import { waitForValue } from "../../host/dev/waitForValue.ts";
import { XenStoreServer } from "../../host/xenstored/server.ts";
import { readCpio } from "../../rootfs/cpio.ts";
import { DEMO_GUEST_PATH } from "../../host/image/flavours.ts";
import { healthDir } from "../../init/healthPaths.ts";

/** A machine-wide sysctl the init sets (boot.ts); the harness puts it back. */
const OVERCOMMIT = "/proc/sys/vm/overcommit_memory";

export const SHARED = "/xs";
/** The image's device model, as the host sees it in /proc. */
export const NATIVE_QEMU = "/usr/bin/qemu-system-x86_64";

/** dm-argv for the image's dev QEMU running the demo guest, its serial line on serial.sock. */
export const nativeDemoArgv = (): string[] => [
  "-accel", "tcg", "-nodefaults", "-no-user-config", "-display", "none", "-m", "16",
  "-serial", `unix:${SHARED}/serial.sock`,
  "-drive", `file=${DEMO_GUEST_PATH},format=raw,if=ide,index=0,media=disk`, "-boot", "order=c", "-net", "none", "-no-shutdown",
];

/** Unpacks the rootfs (files, dirs, symlinks; device nodes come from devtmpfs at boot). */
export function unpackRootfs(gzPath: string, dir: string): void {
  for (const e of readCpio(gunzipSync(readFileSync(gzPath)))) {
    const p = join(dir, e.path);
    if (e.kind === "dir") mkdirSync(p, { recursive: true, mode: e.mode });
    else if (e.kind === "file") {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, e.data);
      chmodSync(p, e.mode);
    } else if (e.kind === "symlink") symlinkSync(e.target, p);
  }
}

let unpacked: string | undefined;
/** One unpacked copy per test process; each stubdom gets its own shared dir inside it. */
function rootDir(gzPath: string): string {
  if (!unpacked) {
    unpacked = mkdtempSync("/var/tmp/stubdom-root-");
    unpackRootfs(gzPath, unpacked);
    process.on("exit", () => rmSync(unpacked!, { recursive: true, force: true }));
  }
  return unpacked;
}

export interface NativeOptions {
  rootfs: string;
  seed: SeedSpec;
  cmdline?: string;
  /** Run inside this `ip netns` namespace instead of a fresh one. */
  netns?: string;
  /** Changes dom0 makes after seeding and before the init starts (a broken libxl, say). */
  afterSeed?: (dom0: XenStoreClient) => Promise<void>;
}

export class NativeStubdom {
  readonly console = new LineStream("init stdout");
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private constructor(
    readonly root: string,
    readonly child: ChildProcess,
    readonly xenstored: XenStoreServer,
    readonly xs: XenStoreClient,
    readonly stubdom: number,
    readonly serial: LineStream,
    private readonly serialServer: Server,
    private readonly overcommit: string,
  ) {
    this.exited = new Promise((r) => child.on("exit", (code, signal) => r({ code, signal })));
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (s: string) => this.console.push(s));
    child.stderr?.on("data", (s: string) => this.console.push(s));
  }

  static async start(o: NativeOptions): Promise<NativeStubdom> {
    const root = rootDir(o.rootfs);
    const shared = join(root, SHARED.slice(1));
    rmSync(shared, { recursive: true, force: true });
    mkdirSync(shared);
    const serial = new LineStream("guest serial");
    const serialServer = createServer((sock) => {
      sock.setEncoding("latin1");
      sock.on("data", (s: string) => serial.push(s));
    });
    await new Promise<void>((r) => serialServer.listen(join(shared, "serial.sock"), r));
    const xenstored = new XenStoreServer();
    await xenstored.listen(join(shared, "dom0.sock"), 0);
    await xenstored.listen(join(shared, "domain.sock"), o.seed.stubdom);
    const xs = new XenStoreClient(await connectUnix(join(shared, "dom0.sock")));
    await seedStubdom(xs, o.seed);
    await o.afterSeed?.(xs);
    const cmdline = `stubdom.modules=0 stubdom.xenstore=${SHARED}/domain.sock ${o.cmdline ?? ""}`;
    // --uts: the init names its host stubdom-<domid>, which must not rename this machine.
    const unshare = ["unshare", "--pid", "--mount", "--uts", "--fork", `--root=${root}`, ...(o.netns ? [] : ["--net"]), "/init"];
    const argv = o.netns ? ["ip", "netns", "exec", o.netns, ...unshare] : unshare;
    const overcommit = readFileSync(OVERCOMMIT, "utf8");
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { PATH: "/bin:/usr/bin:/sbin:/usr/sbin", STUBDOM_CMDLINE: cmdline } });
    return new NativeStubdom(root, child, xenstored, xs, o.seed.stubdom, serial, serialServer, overcommit);
  }

  /** Where the init connects to xenstored as its domain. */
  get domainSocket(): string {
    return join(this.root, SHARED.slice(1), "domain.sock");
  }

  healthPath(key: string): string {
    return `${healthDir(this.stubdom)}/${key}`;
  }

  health(key: string): Promise<string> {
    return this.xs.readString(this.healthPath(key));
  }

  waitHealth(key: string, wanted: (v: string) => boolean, ms: number): Promise<string> {
    return waitForValue(this.xs, this.healthPath(key), wanted, ms);
  }

  /** Host pids of the processes running inside this stubdom's root, by executable. */
  hostPids(exe: string): number[] {
    const out: number[] = [];
    for (const d of readdirSync("/proc").filter((x) => /^[0-9]+$/.test(x))) {
      try {
        if (readlinkSync(`/proc/${d}/root`) === this.root && readlinkSync(`/proc/${d}/exe`).endsWith(exe)) out.push(Number(d));
      } catch {
        // Gone already, or not ours to read.
      }
    }
    return out;
  }

  /** The host pid of the namespace's PID 1 (the unshare's child). */
  initHostPid(): number {
    const pid = this.hostPids("/init")[0];
    if (pid === undefined) throw new Error("the init is not running");
    return pid;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGKILL");
      for (const pid of this.hostPids("/init")) process.kill(pid, "SIGKILL");
      await this.exited;
    }
    this.xs.close();
    this.serialServer.close();
    await this.xenstored.close();
    // vm.overcommit_memory is one for the whole machine, not per namespace: the init set it to 1.
    writeFileSync(OVERCOMMIT, this.overcommit);
  }
}
