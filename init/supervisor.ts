// The running stubdom: QEMU (and the optional debug shell) as supervised services, QMP health
// checks, live config, health publishing, and the orderly shutdown PID 1 owes its domain.
import { SIGNALS, type Sys } from "../runtime/sys.ts";
import type { XenStoreClient } from "../runtime/xenstore/client.ts";
import { settlesWithin } from "./boundedWait.ts";
import { coalesced } from "./coalesced.ts";
import { ConfigSchema, type Config } from "./configSchema.ts";
import type { HealthWriter } from "./health.ts";
import { quoteShort } from "./quoteShort.ts";
import { healthKeys, type HealthInput, type Phase } from "./healthModel.ts";
import { releaseMismatch, type RunningXen } from "./xenRelease.ts";
import type { BootStep } from "./healthSchema.ts";
import type { Log } from "./log.ts";
import { parseMeminfo, parseVmRssKb, type MemoryFigures } from "./memoryFigures.ts";
import { QmpHealthCheck } from "./qmpHealthCheck.ts";
import type { QemuLauncher } from "./qemuLauncher.ts";
import type { ChildOutput } from "./childOutput.ts";
import { ConsoleChannel, CONSOLE_SOCKET } from "./consoleChannel.ts";
import { DisplayService } from "./displayService.ts";
import { CONSOLE_VCHAN_DIR } from "./stubdomPaths.ts";
import { afterEvent, afterStatus, restoreFailure, type RestorePhase } from "./restoreState.ts";
import type { Reaper } from "./reaper.ts";
import type { ObjectSchema } from "./schemaCheck.ts";
import { Service } from "./service.ts";
import { defaultPolicy, howItEnded, type RestartPolicy } from "./serviceMachine.ts";

export const SHUTDOWN_KEY = "control/shutdown";
/** How long shutdown waits for its health writes: a stalled xenstored must not keep the domain up. */
export const SHUTDOWN_PUBLISH_MS = 2000;

export function policyFrom(c: Config, graceful: boolean): RestartPolicy {
  return {
    ...defaultPolicy,
    restart: c.restart,
    burst: c["restart-burst"],
    burstWindowMs: c["restart-window-s"] * 1000,
    backoffInitialMs: c["backoff-initial-ms"],
    backoffMaxMs: c["backoff-max-ms"],
    graceful,
  };
}

const bootOnly = new Set(Object.entries((ConfigSchema as unknown as ObjectSchema).properties).flatMap(([k, p]) => (p.live === false ? [k] : [])));

/** `name old -> new` for each setting that differs; a boot-only one says it waits for the next boot. */
export function settingChanges(before: Config, after: Config): string[] {
  const out: string[] = [];
  for (const k of Object.keys(after) as (keyof Config)[]) {
    if (before[k] === after[k]) continue;
    out.push(`${k} ${JSON.stringify(before[k])} -> ${JSON.stringify(after[k])}${bootOnly.has(k) ? " (read at boot only: from the next boot)" : ""}`);
  }
  return out;
}

export interface SupervisorDeps {
  sys: Sys;
  log: Log;
  reaper: Reaper;
  xs: XenStoreClient;
  health: HealthWriter;
  bootMs: Partial<Record<BootStep, number>>;
  wallOffsetMs: number;
}

export class Supervisor {
  private phase: Phase = "booting";
  private bootStep: string | undefined;
  private stopReason: string | undefined;
  private bootError: string | undefined;
  private qmpCheck: QmpHealthCheck | undefined;
  private restore: RestorePhase = "none";
  /** A restore that failed, and QEMU runs without the saved state (restore-failure = fresh-start). */
  private restoreProblem: string | undefined;
  private configProblems: string[] = [];
  private xen: { version: string; imageRelease: string; mismatch?: string } = { version: "", imageRelease: "" };
  private refusedShutdown: string | undefined;
  qemu: Service | undefined;
  shell: Service | undefined;
  qmpProxy: Service | undefined;
  consoleProxy: Service | undefined;
  console: ConsoleChannel | undefined;
  display: DisplayService | undefined;

  constructor(
    private readonly d: SupervisorDeps,
    private config: Config,
  ) {}

  publish(): Promise<void> {
    const other: HealthInput["other"] = {};
    if (this.shell) other["debug-shell"] = this.shell.record;
    if (this.qmpProxy) other["qmp-proxy"] = this.qmpProxy.record;
    if (this.consoleProxy) other["console-proxy"] = this.consoleProxy.record;
    if (this.display) other.display = this.display.service.record;
    return this.d.health.publish(
      healthKeys({
        phase: this.phase,
        bootStep: this.bootStep,
        stopReason: this.stopReason,
        bootError: this.bootError,
        qemu: this.qemu?.record,
        other,
        display: this.display?.view,
        qmpStatus: this.qmpCheck?.findings.status,
        qmpChecked: this.qmpCheck?.findings.checked ?? false,
        qmpProblem: this.qmpCheck?.findings.problem,
        restoreProblem: this.restoreProblem,
        bootMs: this.d.bootMs,
        memory: this.memory(),
        wallOffsetMs: this.d.wallOffsetMs,
        configProblems: this.configProblems,
        xenVersion: this.xen.version,
        imageXenRelease: this.xen.imageRelease,
        xenMismatch: this.xen.mismatch,
      }),
    );
  }

  /** /proc/meminfo and QEMU's VmRSS; a file that cannot be read leaves its figures unknown (""). */
  private memory(): MemoryFigures {
    const read = (path: string): string => {
      try {
        return this.d.sys.readText(path);
      } catch {
        return "";
      }
    };
    const pid = this.qemu?.record.state === "up" ? this.qemu.record.pid : undefined;
    return { ...parseMeminfo(read("/proc/meminfo")), qemuRssKb: pid === undefined ? undefined : parseVmRssKb(read(`/proc/${pid}/status`)) };
  }

  /** What the boot does now; health `error` says it while the state is `booting`. */
  booting(step: string): void {
    this.bootStep = step;
    void this.publish();
  }

  /** A boot step failed for good: the sentence goes to the log and to health `error`. */
  fail(sentence: string): Promise<void> {
    this.d.log.error(sentence);
    this.bootError = sentence;
    return this.publish();
  }

  /** The running Xen and the image's Xen release; a mismatch is said on hvc0 and keeps the state degraded. */
  setXen(running: RunningXen | undefined, imageRelease: string | undefined): void {
    const mismatch = releaseMismatch(imageRelease, running);
    if (mismatch) this.d.log.error(mismatch);
    this.xen = { version: running?.version ?? "", imageRelease: imageRelease ?? "", ...(mismatch ? { mismatch } : {}) };
  }

  setConfigProblems(problems: string[]): void {
    for (const p of problems) if (!this.configProblems.includes(p)) this.d.log.warn(p);
    this.configProblems = problems;
  }

  /** Applies settings that can change while running: log level, restart policy, debug shell. */
  applyConfig(c: Config, shellFd: number | undefined): void {
    const changed = settingChanges(this.config, c);
    // Said before a new log level can hide it.
    if (changed.length > 0) this.d.log.info(`settings: ${changed.join(", ")}`);
    this.config = c;
    this.d.log.setLevel(c["log-level"]);
    if (this.qemu) this.qemu.spec.policy = policyFrom(c, true);
    if (shellFd !== undefined) this.setShell(c["debug-shell"], shellFd);
    this.console?.setShell(c["debug-shell"]);
    void this.publish();
  }

  startQemu(launcher: QemuLauncher, output: ChildOutput, onReady: () => void): void {
    this.qemu = new Service(this.d.sys, this.d.reaper, {
      name: "qemu",
      policy: policyFrom(this.config, true),
      launch: () => {
        output.newRun();
        const pid = launcher.launch();
        this.qmpCheck?.reset();
        if (launcher.restores) {
          this.restore = "restoring";
          this.booting("restoring the device state from hvc2");
        }
        const qmp = launcher.qmp;
        qmp?.ready.then(
          () => {
            this.d.log.info(`qemu: pid ${pid} answers QMP`);
            onReady();
            if (this.restore === "restoring") qmp.execute("query-status").then((r) => this.qmpStatusSeen(String((r as { status?: string }).status)), () => undefined);
          },
          (e: Error) => this.d.log.debug(`qemu: pid ${pid}: ${e.message}`),
        );
        return pid;
      },
      quit: () => launcher.quit(),
      lastWords: () => output.lastWords(),
      onChange: (rec, before) => {
        if (before.state === "up" && rec.state !== "up" && this.restore === "restoring" && this.phase !== "stopping") this.restoreFailed(howItEnded(rec));
        if (rec.state === "up") this.d.log.info(`qemu: started pid ${rec.pid}${rec.restarts ? ` (restart ${rec.restarts})` : ""}`);
        if (before.state === "up" && rec.state !== "up") this.d.log[rec.state === "down" && this.phase === "stopping" ? "info" : "error"](`qemu: pid ${before.pid} ${rec.lastExit ? `exited with ${rec.lastExit}` : "ended"}`);
        if (rec.state === "backoff") this.d.log.warn(`qemu: restarting after a backoff (${rec.error ?? ""})`);
        // Down with an error: it ended and restart says not to start it again (the default).
        const final = rec.state === "failed" || (rec.state === "down" && rec.error !== undefined && this.phase !== "stopping");
        if (final) this.d.log.error(`qemu: ${rec.error ?? "failed"}`);
        if (rec.state === "up" && this.phase === "booting") this.phase = "running";
        void this.publish();
      },
    });
    this.qmpCheck = new QmpHealthCheck(
      this.d.sys,
      () => this.config["qmp-interval-s"],
      () => (this.qemu?.record.state === "up" ? launcher.qmp : undefined),
      (f) => {
        if (f.status !== undefined) this.qmpStatusSeen(f.status);
        void this.publish();
      },
    );
    this.qemu.start();
    this.qmpCheck.start();
  }

  /** A QMP event from the supervisor's monitor. */
  qmpEvent(event: string): void {
    this.d.log.debug(`qmp event: ${event}`);
    this.restoreProgress(afterEvent(this.restore, event));
  }

  private qmpStatusSeen(status: string): void {
    this.restoreProgress(afterStatus(this.restore, status));
  }

  private restoreProgress(next: RestorePhase): void {
    if (next === this.restore) return;
    this.restore = next;
    this.d.log.info("restore: QEMU restored the device state from hvc2; the guest runs on");
    void this.publish();
  }

  /** The restoring run ended: say so, and start QEMU again only if restore-failure says to. */
  private restoreFailed(how: string): void {
    const f = restoreFailure(how, this.config["restore-failure"]);
    this.restore = "done";
    this.d.log.error(f.sentence);
    if (f.stop) {
      this.bootError = f.sentence;
      void this.qemu?.stop();
    } else this.restoreProblem = f.sentence;
  }

  /**
   * On Xen, libxl reaches QEMU's QMP through vchan: vchan-socket-proxy in server mode connects to
   * libxl's monitor socket whenever dom0 connects. It serves one connection at a time, so it runs
   * for the stubdom's lifetime and is restarted whenever it ends.
   */
  startQmpProxy(argv: string[], logFd: number): void {
    this.qmpProxy = new Service(this.d.sys, this.d.reaper, {
      name: "qmp-proxy",
      policy: { ...defaultPolicy, restart: "always" },
      launch: () => this.d.sys.spawn(argv, { fds: [-1, logFd, logFd] }),
      onChange: (rec) => {
        if (rec.state === "failed") this.d.log.error(`qmp-proxy: ${rec.error ?? "failed"}`);
        void this.publish();
      },
    });
    this.qmpProxy.start();
  }

  /**
   * dom0's console channel (consoleChannel.ts): this init listens, and vchan-socket-proxy `proxy`
   * serves the vchan under CONSOLE_VCHAN_DIR that only dom0 may map, connecting to the init for
   * each dom0 client. Started before the guest's config is read, so a stubdom whose boot fails
   * can still be looked into.
   */
  startConsole(proxy: string, logFd: number): void {
    try {
      this.console = new ConsoleChannel({ sys: this.d.sys, log: this.d.log, reaper: this.d.reaper }, this.config["debug-shell"]);
      this.console.listen(CONSOLE_SOCKET);
    } catch (e) {
      this.console = undefined;
      this.d.log.error(`console: listening on ${CONSOLE_SOCKET} failed: ${(e as Error).message}; dom0 cannot attach (stubdomctl console)`);
      return;
    }
    this.consoleProxy = new Service(this.d.sys, this.d.reaper, {
      name: "console-proxy",
      policy: { ...defaultPolicy, restart: "always" },
      launch: () => this.d.sys.spawn([proxy, "--mode=server", "0", CONSOLE_VCHAN_DIR, CONSOLE_SOCKET], { fds: [-1, logFd, logFd] }),
      onChange: (rec) => {
        if (rec.state === "failed") this.d.log.error(`console-proxy: ${rec.error ?? "failed"}`);
        void this.publish();
      },
    });
    this.consoleProxy.start();
  }

  /**
   * The display bridge, run by `runtime` (the init's own binary), each time a QEMU run answers QMP
   * (its VNC socket exists then). The bridge ends with the QEMU it was connected to; if its
   * restarts ran out while a new QEMU came up, this starts it again (a no-op while it runs).
   */
  startDisplay(runtime: string): void {
    if (!this.display) this.display = new DisplayService(this.d.sys, this.d.log, this.d.reaper, runtime, () => void this.publish());
    this.display.service.start();
  }

  private setShell(enabled: boolean, fd: number): void {
    if (enabled && !this.shell) {
      this.shell = new Service(this.d.sys, this.d.reaper, {
        name: "debug-shell",
        policy: { ...defaultPolicy, restart: "always", burst: 1000 },
        launch: () => this.d.sys.spawn(["/bin/sh"], { fds: [fd, fd, fd], ctty: 0, env: ["TERM=linux", "HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "PS1=stubdom# "] }),
        onChange: () => void this.publish(),
      });
      this.d.log.warn("debug shell enabled on hvc0: whoever holds the console has a root shell");
      this.shell.start();
    } else if (!enabled && this.shell) {
      const shell = this.shell;
      this.shell = undefined;
      void shell.stop().then(() => this.d.log.info("debug shell stopped"));
    }
  }

  /**
   * Stops every service in order (QMP quit, SIGTERM, SIGKILL, each bounded), syncs, powers off.
   * Health writes are waited for only up to a bound: whatever xenstored does, the domain goes down.
   */
  async shutdown(why: string): Promise<void> {
    if (this.phase === "stopping") return;
    this.phase = "stopping";
    this.stopReason = why;
    this.d.log.info(`shutdown: ${why}`);
    this.qmpCheck?.stop();
    const published = (): Promise<boolean> => settlesWithin(this.d.sys, this.publish(), SHUTDOWN_PUBLISH_MS);
    await published();
    await this.shell?.stop();
    await this.display?.service.stop();
    await this.qmpProxy?.stop();
    await this.qemu?.stop();
    // Last: whoever is attached sees the shutdown's lines until the end.
    this.console?.stop();
    await this.consoleProxy?.stop();
    if (!(await published())) this.d.log.warn(`shutdown: xenstored did not take the last health writes within ${SHUTDOWN_PUBLISH_MS} ms`);
    this.d.log.info("shutdown: services stopped; syncing and powering off");
    this.d.sys.sync();
    this.d.sys.poweroff();
  }

  /** SIGTERM, SIGPWR, and `control/shutdown` = poweroff|halt|reboot all mean: stop cleanly. */
  watchShutdown(): void {
    this.d.sys.onSignal(SIGNALS.SIGTERM, () => void this.shutdown("SIGTERM"));
    this.d.sys.onSignal(SIGNALS.SIGPWR, () => void this.shutdown("SIGPWR"));
    // One read at a time, however often dom0 writes the key: the last write is the one read.
    const reread = coalesced(
      () => this.d.xs.readString(SHUTDOWN_KEY).then((v) => this.shutdownRequest(v)),
      (e) => {
        if ((e as { code?: string }).code !== "ENOENT" && (e as { code?: string }).code !== "EPIPE") this.d.log.warn(`reading ${SHUTDOWN_KEY}: ${e.message}`);
      },
    );
    void this.d.xs.watch(SHUTDOWN_KEY, "stubdom-shutdown", reread).catch((e: Error) => this.d.log.warn(`cannot watch ${SHUTDOWN_KEY}: ${e.message}`));
  }

  private shutdownRequest(v: string): void {
    if (v === "poweroff" || v === "halt") void this.shutdown(`${SHUTDOWN_KEY} = ${v}`);
    else if (v === "reboot") void this.shutdown(`${SHUTDOWN_KEY} = reboot (a stubdom powers off; the toolstack starts a new one)`);
    else if (v !== "" && v !== this.refusedShutdown) {
      // Said once per value: dom0 rewriting the same unknown request is not news.
      this.refusedShutdown = v;
      this.d.log.warn(`${SHUTDOWN_KEY} = ${quoteShort(v)} is not a request this stubdom knows (poweroff, halt, reboot); ignoring it`);
    }
  }
}
