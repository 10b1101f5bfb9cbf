// A supervised program's stdout and stderr (QEMU's, the display bridge's), through a pipe PID 1
// reads: each line goes to the log (hvc0) marked with the program's name, unless the program's own
// reader takes it (the bridge's reports), and the last lines of a run are kept, so that when it
// exits, health says what it said ("exited with code:1 (QEMU: load of migration failed: Invalid
// argument)"). The read end is nonblocking; a line longer than MAX_LINE is cut, so a runaway
// program cannot fill PID 1's memory.
import type { Sys } from "../runtime/sys.ts";
import { decodeUtf8 } from "../runtime/utf8.ts";
import type { Log } from "./log.ts";

export const MAX_LINE = 1024;
const KEPT_LINES = 3;

const text = (bytes: Uint8Array): string => {
  try {
    return decodeUtf8(bytes);
  } catch {
    return String.fromCharCode.apply(null, Array.from(bytes, (b) => (b < 0x80 ? b : 0x3f)));
  }
};

export class ChildOutput {
  /** Give this to the program as its fds 1 and 2. */
  readonly writeFd: number;
  private readonly readFd: number;
  private partial: number[] = [];
  private kept: string[] = [];

  constructor(
    private readonly sys: Sys,
    private readonly log: Log,
    private readonly label = "qemu",
    /** Sees each line first; true when it was a report of the program's, not for the log. */
    private readonly take: (line: string) => boolean = () => false,
  ) {
    [this.readFd, this.writeFd] = sys.pipe();
    sys.setNonblocking(this.readFd);
    sys.onReadable(this.readFd, () => this.drain());
  }

  /** A new run begins: what the last one said is forgotten. */
  newRun(): void {
    this.drain();
    this.kept = [];
  }

  /** What the current run said last, once everything it wrote has been read; undefined if nothing. */
  lastWords(): string | undefined {
    this.drain();
    if (this.partial.length > 0) this.line(Uint8Array.from(this.partial));
    this.partial = [];
    return this.kept.length ? this.kept[this.kept.length - 1] : undefined;
  }

  private drain(): void {
    for (;;) {
      let chunk: Uint8Array;
      try {
        chunk = this.sys.read(this.readFd, 4096);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== "EAGAIN" && code !== "EINTR") this.log.warn(`${this.label}: reading its output: ${(e as Error).message}`);
        return;
      }
      if (chunk.length === 0) return;
      for (const b of chunk) {
        if (b === 0x0a) {
          this.line(Uint8Array.from(this.partial));
          this.partial = [];
        } else if (this.partial.length < MAX_LINE) this.partial.push(b);
      }
    }
  }

  private line(bytes: Uint8Array): void {
    const s = text(bytes).replace(/\r$/, "");
    if (s.trim() === "") return;
    if (!this.take(s)) this.log.warn(`${this.label}: ${s}`);
    this.kept.push(s);
    if (this.kept.length > KEPT_LINES) this.kept.shift();
  }
}
