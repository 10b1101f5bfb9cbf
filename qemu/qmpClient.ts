// A QMP client (QEMU Machine Protocol: one JSON object per line) for the supervisor's own monitor:
// wait for the greeting, negotiate capabilities, then commands matched to replies by id.
import type { ByteStream } from "../runtime/fdStream.ts";
import { decodeUtf8, encodeUtf8 } from "../runtime/utf8.ts";
import { QmpLines, qmpObject } from "./qmpLines.ts";

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly qmpClass: string,
    desc: string,
  ) {
    super(`QMP ${command}: ${qmpClass}: ${desc}`);
  }
}

type Reply = { return?: unknown; error?: { class: string; desc: string }; id?: number };
type Message = Reply & { QMP?: unknown; event?: string; data?: unknown };

export class QmpClient {
  private nextId = 1;
  private readonly pending = new Map<number, { command: string; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly lines = new QmpLines();
  private closed: string | undefined;
  /** Resolves once QEMU greeted us and accepted qmp_capabilities. */
  readonly ready: Promise<void>;
  private greeted!: () => void;

  constructor(
    private readonly stream: ByteStream,
    private readonly onEvent: (event: string, data: unknown) => void = () => undefined,
  ) {
    const greeting = new Promise<void>((r) => (this.greeted = r));
    this.ready = greeting.then(() => this.execute("qmp_capabilities")).then(() => undefined);
    stream.onData((b) => this.receive(b));
    stream.onClose((reason) => this.fail(reason));
  }

  private receive(bytes: Uint8Array): void {
    let lines: Uint8Array[];
    try {
      lines = this.lines.push(bytes);
    } catch (e) {
      this.fail(`unreadable QMP output: ${(e as Error).message}`);
      this.stream.close();
      return;
    }
    for (const line of lines) {
      const msg = qmpObject(line, decodeUtf8) as Message | undefined;
      if (!msg) {
        this.fail("unreadable QMP line: not a JSON object");
        this.stream.close();
        return;
      }
      this.dispatch(msg);
    }
  }

  private dispatch(msg: Message): void {
    if (msg.QMP !== undefined) return this.greeted();
    if (msg.event !== undefined) return this.onEvent(msg.event, msg.data);
    const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
    if (!p || msg.id === undefined) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(new QmpError(p.command, msg.error.class, msg.error.desc));
    else p.resolve(msg.return);
  }

  private fail(reason: string): void {
    if (this.closed !== undefined) return;
    this.closed = reason;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new QmpError(p.command, "Disconnected", reason));
    }
  }

  /** `attach`: an fd QEMU receives with the command (add-fd, getfd); keep it open until this settles. */
  execute(command: string, args?: Record<string, unknown>, attach?: number): Promise<unknown> {
    if (this.closed !== undefined) return Promise.reject(new QmpError(command, "Disconnected", this.closed));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { command, resolve, reject });
      try {
        this.stream.write(encodeUtf8(JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id }) + "\n"), attach);
      } catch (e) {
        // A full queue (QEMU stopped reading) fails this command only.
        this.pending.delete(id);
        reject(new QmpError(command, "Unsent", (e as Error).message));
      }
    });
  }

  close(): void {
    this.stream.close();
  }
}
