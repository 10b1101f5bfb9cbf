// The executables of the engine world: a QEMU that speaks QMP on the listening socket it inherits
// as fd 3 (the way QemuLauncher hands it over), and busybox-like helpers that finish at once.
// Each records what it was asked, so tests can check the argv and the QMP conversation.
import { ListenerEndpoint, type SocketEnd } from "./engineFds.ts";
import type { ExitHow, FakeProcess, Program } from "./engineProcesses.ts";
import { SIGNAL_NUMBERS } from "./engineShims.ts";
import type { World } from "./engineWorld.ts";

export interface QemuScript {
  /** "run" (default), or end at once the way a QEMU that rejects its argv does. */
  start?: "run" | ExitHow;
  /** What the QMP `quit` command does (default: exit with code 0). */
  onQuit?: "exit" | "ignore";
  /** What SIGTERM does (default: exit by the signal). */
  onSigterm?: "exit" | "ignore";
  /** The query-status answer; "silent" never answers. */
  status?: string;
}

export interface QemuRun {
  proc: FakeProcess;
  /** QMP commands received, in order. */
  commands: string[];
}

const QMP_GREETING = { QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: "" }, capabilities: [] } };

export class FakeQemu implements Program {
  readonly runs: QemuRun[] = [];
  private readonly conns = new Map<number, SocketEnd[]>();

  constructor(
    private readonly world: World,
    public script: QemuScript = {},
  ) {}

  start(p: FakeProcess): void {
    const run: QemuRun = { proc: p, commands: [] };
    this.runs.push(run);
    const start = this.script.start ?? "run";
    if (start !== "run") return this.world.exitProcess(p, start);
    const monitor = p.endpoint(3);
    if (!(monitor instanceof ListenerEndpoint)) {
      this.world.problems.push(`QEMU pid ${p.pid} got no listening QMP socket as fd 3`);
      return;
    }
    monitor.onConnection((end) => this.serve(run, end));
  }

  signal(p: FakeProcess, sig: number): boolean {
    return sig === SIGNAL_NUMBERS.SIGTERM && this.script.onSigterm === "ignore" && p.alive;
  }

  exited(p: FakeProcess): void {
    for (const end of this.conns.get(p.pid) ?? []) end.release();
    this.conns.delete(p.pid);
  }

  private serve(run: QemuRun, end: SocketEnd): void {
    const pid = run.proc.pid;
    this.conns.set(pid, [...(this.conns.get(pid) ?? []), end]);
    const reply = (msg: unknown): void => end.send(`${JSON.stringify(msg)}\r\n`);
    let buffered = "";
    end.onData((bytes) => {
      buffered += new TextDecoder().decode(bytes);
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== "") this.command(run, JSON.parse(line) as { execute: string; id?: number }, reply);
      }
    });
    reply(QMP_GREETING);
  }

  private command(run: QemuRun, cmd: { execute: string; id?: number }, reply: (msg: unknown) => void): void {
    run.commands.push(cmd.execute);
    const id = cmd.id;
    switch (cmd.execute) {
      case "qmp_capabilities":
        return reply({ return: {}, id });
      case "query-status": {
        const status = this.script.status ?? "running";
        if (status !== "silent") reply({ return: { status, singlestep: false, running: status === "running" }, id });
        return;
      }
      case "quit":
        reply({ return: {}, id });
        if ((this.script.onQuit ?? "exit") === "exit") this.world.soon(() => this.world.exitProcess(run.proc, { code: 0 }));
        return;
      default:
        return reply({ error: { class: "CommandNotFound", desc: `The command ${cmd.execute} has not been found` }, id });
    }
  }
}
