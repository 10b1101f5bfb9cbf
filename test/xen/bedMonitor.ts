// The bed QEMU's human monitor on a socket: what the host asks when dom0 stops answering (the
// vCPU's registers, its local APIC), the NMI it may send then, and a heartbeat. Commands run one at
// a time, each answered by the text up to QEMU's next prompt.
import type { Socket } from "node:net";
import { bounded } from "../../host/dev/lineStream.ts";

const PROMPT = "(qemu) ";
/**
 * How often the host writes an empty command. Each write wakes QEMU's main loop, which is where the
 * bed's timers (the vCPU's local APIC among them) fire: stalled beds woke when the host wrote to a
 * socket QEMU was polling (README, "A bed can stop").
 */
const HEARTBEAT_MS = 1_000;

export class BedMonitor {
  private text = "";
  private wake: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      // Between commands the text is only the heartbeat's prompts.
      if (this.wake) {
        this.text += chunk;
        this.wake();
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => this.stop());
    this.heartbeat = setInterval(() => socket.write("\n"), HEARTBEAT_MS);
  }

  stop(): void {
    clearInterval(this.heartbeat);
  }

  /** The monitor's answer to `command` (its echo, the prompt and terminal escapes left out); rejects after `ms`. */
  command(command: string, ms: number): Promise<string> {
    const next = this.queue.then(() => bounded(this.send(command), ms, `QEMU's monitor did not answer "${command}"`));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private send(command: string): Promise<string> {
    // The heartbeat's prompts come and go; an answer is what follows this command's echo.
    this.text = "";
    this.socket.write(`${command}\n`);
    return new Promise((resolve) => {
      const check = (): void => {
        const echo = this.text.indexOf(command);
        const end = echo < 0 ? -1 : this.text.indexOf(PROMPT, echo + command.length);
        if (end < 0) return;
        this.wake = undefined;
        // The monitor's line editor writes terminal escapes and carriage returns around its echo.
        resolve(this.text.slice(echo + command.length, end).replace(/\x1b\[[0-9;]*[A-Za-z]|\r/g, "").trim());
      };
      this.wake = check;
      check();
    });
  }
}
