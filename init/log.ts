// Supervisor log lines, `[seconds] level: message`, written to every sink: the kernel console
// (PID 1's stdout) and hvc0 when that is a different device (dev mode puts the console on ttyS0).
import type { Sys } from "../runtime/sys.ts";
import { encodeUtf8 } from "../runtime/utf8.ts";

export type Level = "debug" | "info" | "warn" | "error";
const rank: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export class Log {
  private readonly sinks: number[] = [1];
  private readonly t0: number;

  constructor(
    private readonly sys: Sys,
    private level: Level = "info",
  ) {
    this.t0 = sys.now();
  }

  addSink(fd: number): void {
    if (!this.sinks.includes(fd)) this.sinks.push(fd);
  }

  setLevel(level: Level): void {
    this.level = level;
  }

  line(level: Level, message: string): void {
    if (rank[level] < rank[this.level]) return;
    const t = ((this.sys.now() - this.t0) / 1000).toFixed(3).padStart(8);
    const bytes = encodeUtf8(`[${t}] ${level}: ${message}\n`);
    for (const fd of this.sinks) {
      try {
        this.sys.write(fd, bytes);
      } catch {
        // A sink that fails must not take the supervisor down; the other sinks still get the line.
      }
    }
  }

  debug = (m: string): void => this.line("debug", m);
  info = (m: string): void => this.line("info", m);
  warn = (m: string): void => this.line("warn", m);
  error = (m: string): void => this.line("error", m);
}
