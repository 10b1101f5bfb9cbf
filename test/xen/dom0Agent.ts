// The host's side of dom0's request loop (test/xen/dom0/agent.sh) on a virtio-serial port: one bash
// script at a time, each bounded twice (by `timeout` in dom0, and here a little later), each
// answered by its output and the line `@@end <id> <exit code> <ms>`.
import type { Socket } from "node:net";
import { TimeoutError } from "../../host/dev/lineStream.ts";

export interface RunResult {
  /** Exit code; 124 when dom0's `timeout` stopped the script. */
  rc: number;
  out: string;
  /** Wall time in dom0. */
  ms: number;
}

/** Slack for the host-side bound over dom0's own: `timeout -k 5` plus the port's latency. */
const HOST_SLACK_MS = 15_000;
/**
 * How long an answer may still come after that bound before dom0 counts as dead. A process that
 * ignores `timeout`'s SIGKILL for a while (uninterruptible sleep) or a stalled bed makes an answer
 * late; the run goes on with it, and the note says how late, in dom0's clock and the host's.
 */
const LATE_GRACE_MS = 120_000;
/**
 * How often the host writes an empty line while it waits for an answer. Three runs saw a request
 * hang for minutes. In the one with timestamps (CI at aab9aec, Xen 4.17) neither dom0's `timeout`
 * nor the agent's watchdog fired; both, and the answer, came the moment the host gave up and wrote
 * `quit` to this port, as if the bed slept with no timer due until a device interrupted it. These
 * writes are that interrupt, sooner. They are not a cure: in a seeds' bench run on 4.20 the bed still
 * stopped for good with them going (its QEMU idle, the vCPU halted, this port's bytes unread). The
 * agent skips empty lines; dom0 says "stalled" on its console (dom0-init.sh) when it wakes late.
 */
const KICK_MS = 5_000;

export class Dom0Agent {
  private text = "";
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | undefined;
  private closed = false;
  /** Told of each answer that came after the host's first bound. */
  onLate: ((note: string) => void) | undefined;
  /** Asked, once the host's first bound has passed, what state the bed is in (and to wake it). */
  onOverdue: ((id: string) => Promise<string>) | undefined;

  constructor(private readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.text += chunk;
      this.wake?.();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** Resolves when `re` matches the received text (from `from` on); rejects after `ms`. */
  private waitFor(re: RegExp, from: number, ms: number, what: string): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        re.lastIndex = from;
        const m = re.exec(this.text);
        if (!m && !this.closed) return false;
        clearTimeout(timer);
        this.wake = undefined;
        if (m) resolve(m);
        else reject(new Error(`dom0's channel closed before it answered ${what} (did the bed crash? see serial.log)`));
        return true;
      };
      const timer = setTimeout(() => {
        this.wake = undefined;
        reject(new TimeoutError(`dom0 did not answer ${what} within ${(ms / 1000).toFixed(0)} s`));
      }, ms);
      if (!check()) this.wake = () => void check();
    });
  }

  ready(ms: number): Promise<void> {
    return this.waitFor(/@@ready\n/g, 0, ms, "with its ready line").then(() => undefined);
  }

  /** Runs `script` with bash in dom0, stopped after `seconds`. Requests run one after another. */
  run(script: string, seconds: number): Promise<RunResult> {
    const next = this.queue.then(() => this.runNow(script, seconds));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(script: string, seconds: number): Promise<RunResult> {
    const id = `r${this.nextId++}`;
    const from = this.text.length;
    this.socket.write(`${id} ${Math.ceil(seconds)} ${Buffer.from(script).toString("base64")}\n`);
    const end = new RegExp(`\\n@@end ${id} (\\d+) (\\d+)\\n`, "g");
    const bound = seconds * 1000 + HOST_SLACK_MS;
    const sent = Date.now();
    const kick = setInterval(() => this.socket.write("\n"), KICK_MS);
    const firstLine = script.trimStart().split("\n")[0]!.slice(0, 120);
    const m = await this.waitFor(end, from, bound, `request ${id}`).catch(async (e: unknown) => {
      if (!(e instanceof TimeoutError)) throw e;
      const state = this.onOverdue ? `; the bed then: ${await this.onOverdue(id)}` : "";
      const late = await this.waitFor(end, from, LATE_GRACE_MS, `request ${id}`).catch((e2: unknown) => {
        if (!(e2 instanceof TimeoutError)) throw e2;
        throw new TimeoutError(`dom0 did not answer request ${id} (${firstLine}) within ${(bound / 1000).toFixed(0)} s, nor in the ${LATE_GRACE_MS / 1000} s after${state}`);
      });
      this.onLate?.(`dom0 answered request ${id} late, after ${((Date.now() - sent) / 1000).toFixed(1)} s against a bound of ${(bound / 1000).toFixed(0)} s (dom0's clock: ${(Number(late[2]) / 1000).toFixed(1)} s, exit ${late[1]}): ${firstLine}${state}`);
      return late;
    }).finally(() => clearInterval(kick));
    const out = this.text.slice(from, m.index);
    return { rc: Number(m[1]), out, ms: Number(m[2]) };
  }

  /** Ends the loop; dom0 then powers off. */
  quit(): void {
    this.socket.write("quit\n");
  }
}
