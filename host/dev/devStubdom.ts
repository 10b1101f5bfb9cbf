// A whole stubdom without Xen: our xenstored, the libxl-style keys, and the stubdom VM.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { connectUnix } from "../../runtime/xenstore/socketTransport.ts";
import { DevVm } from "./devVm.ts";
import { seedStubdom, type SeedSpec } from "./seed.ts";
import { waitForValue } from "./waitForValue.ts";
import { XenStoreServer, type LogLine } from "../xenstored/server.ts";
import { healthDir } from "../../init/healthPaths.ts";

export interface DevStubdomOptions {
  kernel: string;
  rootfs: string;
  seed: SeedSpec;
  memoryMiB?: number;
  cmdline?: string;
  log?: LogLine;
  /** Where sockets go; a fresh temporary directory by default (unix socket paths must stay short). */
  runDir?: string;
}

export class DevStubdom {
  private constructor(
    readonly runDir: string,
    readonly xenstored: XenStoreServer,
    readonly xs: XenStoreClient,
    readonly vm: DevVm,
    readonly stubdomId: number,
    private readonly ownsRunDir: boolean,
  ) {}

  get socket(): string {
    return join(this.runDir, "xenstored.sock");
  }

  static async start(o: DevStubdomOptions): Promise<DevStubdom> {
    const runDir = o.runDir ?? mkdtempSync(join(tmpdir(), "stubdom-"));
    const xenstored = new XenStoreServer(o.log);
    await xenstored.listen(join(runDir, "xenstored.sock"), 0);
    const xs = new XenStoreClient(await connectUnix(join(runDir, "xenstored.sock")));
    await seedStubdom(xs, o.seed);
    const vm = await DevVm.start({
      kernel: o.kernel,
      rootfs: o.rootfs,
      runDir,
      xenstore: xenstored,
      domid: o.seed.stubdom,
      memoryMiB: o.memoryMiB,
      cmdline: o.cmdline,
    });
    return new DevStubdom(runDir, xenstored, xs, vm, o.seed.stubdom, o.runDir === undefined);
  }

  healthPath(key: string): string {
    return `${healthDir(this.stubdomId)}/${key}`;
  }

  /** Resolves when health `state` is `running`; rejects on `failed`, on VM exit, or after `ms`. */
  async waitRunning(ms: number): Promise<void> {
    const state = this.healthPath("state");
    const exited = this.vm.exited.then((e) => {
      throw new Error(`the stubdom VM exited (code ${e.code}, signal ${e.signal}) before ${state} became running`);
    });
    const v = await Promise.race([waitForValue(this.xs, state, (s) => s === "running" || s === "failed", ms), exited]);
    if (v === "failed") {
      const err = await this.xs.readString(this.healthPath("error")).catch(() => "(no error key)");
      throw new Error(`the stubdom reports failed: ${err}`);
    }
  }

  async stop(): Promise<void> {
    await this.vm.stop();
    this.xs.close();
    await this.xenstored.close();
    if (this.ownsRunDir) rmSync(this.runDir, { recursive: true, force: true });
  }
}
