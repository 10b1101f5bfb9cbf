// Dev mode's stand-in for Xen: QEMU (TCG) boots the stubdom kernel + rootfs. Virtio consoles are
// the guest's /dev/hvc0..3, a virtio-serial port named org.xen.xenstore is its XenStore channel.
// Every QEMU character device connects, as a client, to a socket we listen on first, so no byte
// of output is lost and nothing polls for sockets to appear.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { existsSync, rmSync } from "node:fs";
import { LineStream } from "./lineStream.ts";
import type { XenStoreServer } from "../xenstored/server.ts";

export const HVC_COUNT = 4;

/** util-linux's setpriv (Debian: always there), for --pdeathsig. */
const SETPRIV = "/usr/bin/setpriv";

export interface DevVmOptions {
  kernel: string;
  rootfs: string;
  runDir: string;
  xenstore: XenStoreServer;
  domid: number;
  memoryMiB?: number;
  /** Appended to the kernel command line (e.g. `stubdom.log=debug`). */
  cmdline?: string;
  qemu?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How much of a console's past output an attaching terminal is shown first. */
export const ATTACH_BACKLOG_BYTES = 64 * 1024;

class ConsoleEndpoint {
  readonly lines: LineStream;
  private socket: Socket | undefined;
  private readonly server: Server;
  private attachServer: Server | undefined;
  private attached: Socket | undefined;

  constructor(
    readonly path: string,
    readonly name: string,
  ) {
    this.lines = new LineStream(name);
    rmSync(path, { force: true });
    this.server = createServer((sock) => {
      this.socket = sock;
      sock.setEncoding("latin1");
      sock.on("data", (s: string) => {
        this.lines.push(s);
        this.attached?.write(Buffer.from(s, "latin1"));
      });
      sock.on("error", () => undefined);
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.path, resolve);
    });
  }

  send(text: string | Uint8Array): void {
    this.socket?.write(text);
  }

  /** The live connection, for attaching a terminal. */
  get connection(): Socket | undefined {
    return this.socket;
  }

  /**
   * Serves `path` for `stubdomctl console`: one terminal at a time sees the backlog, then the
   * console's output live, and what it types goes to the console. A second one is told and closed.
   */
  serveAttach(path: string): Promise<void> {
    rmSync(path, { force: true });
    const server = createServer((term) => {
      term.on("error", () => undefined);
      if (this.attached) {
        term.end(`stubdomctl: ${this.name} already has a console attached\n`);
        return;
      }
      this.attached = term;
      term.write(Buffer.from(this.lines.all.slice(-ATTACH_BACKLOG_BYTES), "latin1"));
      term.on("data", (b: Buffer) => this.socket?.write(b));
      term.on("close", () => {
        if (this.attached === term) this.attached = undefined;
      });
    });
    this.attachServer = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, resolve);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.attached?.destroy();
    this.server.close();
    this.attachServer?.close();
  }
}

export class DevVm {
  readonly console: ConsoleEndpoint;
  readonly hvc: ConsoleEndpoint[];
  private child: ChildProcess | undefined;
  readonly exited: Promise<Exit>;
  private resolveExit!: (e: Exit) => void;
  readonly stderr = new LineStream("qemu stderr");

  private constructor(private readonly opts: DevVmOptions) {
    this.console = new ConsoleEndpoint(join(opts.runDir, "console.sock"), "serial console");
    this.hvc = Array.from({ length: HVC_COUNT }, (_, i) => new ConsoleEndpoint(join(opts.runDir, `hvc${i}.sock`), `hvc${i}`));
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  static async start(opts: DevVmOptions): Promise<DevVm> {
    const vm = new DevVm(opts);
    await vm.launch();
    return vm;
  }

  get xenstoreSocket(): string {
    return join(this.opts.runDir, `xenstore-domain-${this.opts.domid}.sock`);
  }

  args(): string[] {
    const o = this.opts;
    const chardev = (id: string, path: string): string[] => ["-chardev", `socket,id=${id},path=${path}`];
    return [
      "-accel", "tcg", "-m", String(o.memoryMiB ?? 512), "-smp", "1",
      "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
      "-kernel", o.kernel, "-initrd", o.rootfs,
      "-append", `console=ttyS0 panic=-1 loglevel=4 ${o.cmdline ?? ""}`.trim(),
      ...chardev("con", this.console.path), "-serial", "chardev:con",
      "-device", "virtio-serial-pci,id=vser",
      ...this.hvc.flatMap((h, i) => [...chardev(`hvc${i}`, h.path), "-device", `virtconsole,bus=vser.0,chardev=hvc${i}`]),
      ...chardev("xs", this.xenstoreSocket), "-device", "virtserialport,bus=vser.0,chardev=xs,name=org.xen.xenstore",
    ];
  }

  private async launch(): Promise<void> {
    await Promise.all([this.console.listen(), ...this.hvc.map((h) => h.listen())]);
    await this.opts.xenstore.listen(this.xenstoreSocket, this.opts.domid);
    const qemu = this.opts.qemu ?? "qemu-system-x86_64";
    // setpriv execs QEMU with the parent-death signal set: it dies with us even if we are killed
    // outright (SIGKILL, a crash), when no handler of ours gets to stop it. Its own session keeps
    // a terminal's Ctrl-C for us, so stop() ends it in order.
    const [file, args] = existsSync(SETPRIV) ? [SETPRIV, ["--pdeathsig", "KILL", "--", qemu, ...this.args()]] : [qemu, this.args()];
    const child = spawn(file, args, { stdio: ["ignore", "ignore", "pipe"], detached: existsSync(SETPRIV) });
    this.child = child;
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (s: string) => this.stderr.push(s));
    child.on("exit", (code, signal) => this.resolveExit({ code, signal }));
    child.on("error", (e) => {
      this.stderr.push(`could not start QEMU: ${e.message}\n`);
      this.resolveExit({ code: null, signal: null });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops QEMU (SIGTERM, then SIGKILL after `graceMs`) and closes every socket. */
  async stop(graceMs = 5000): Promise<Exit> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child?.kill("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    for (const e of [this.console, ...this.hvc]) e.close();
    return this.exited;
  }
}
