// Supervisor log lines, `[seconds] level: message`, written to every sink: the kernel console
// (PID 1's stdout), hvc0 when that is a different device (dev mode puts the console on ttyS0), and
// whoever listens (dom0's console channel, consoleChannel.ts), which also gets the recent lines.
// A sink the init owns outright is nonblocking with a bounded queue: a console nobody reads loses
// lines (and says how many), it never stops PID 1.
import type { Sys } from "../runtime/sys.ts";
import { encodeUtf8 } from "../runtime/utf8.ts";
import { WriteQueue } from "../runtime/writeQueue.ts";

export type Level = "debug" | "info" | "warn" | "error";
const rank: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** What a console may hold unread before lines are dropped. */
export const LOG_QUEUE_BYTES = 64 * 1024;
/** Lines kept for a listener that comes later (about 10 KiB at typical line lengths). */
export const RECENT_LINES = 100;

interface Sink {
  fd: number;
  /** Set for a sink of our own, nonblocking; a shared fd (fd 1 before the boot reopens it) is written directly. */
  queue?: WriteQueue;
  dropped: number;
}

export class Log {
  private readonly sinks: Sink[] = [{ fd: 1, dropped: 0 }];
  private readonly listeners = new Set<(line: Uint8Array) => void>();
  private readonly recentLines: Uint8Array[] = [];
  private readonly t0: number;

  constructor(
    private readonly sys: Sys,
    private level: Level = "info",
  ) {
    this.t0 = sys.now();
  }

  /** Adds `fd` as a sink of the log's own: it is made nonblocking, so nobody else may share its description. */
  addSink(fd: number): void {
    if (this.sinks.some((s) => s.fd === fd)) return;
    this.sinks.push(this.ownSink(fd));
  }

  /** Replaces the stdout sink with `fd`, a description of the same console the log owns (see addSink). */
  replaceStdout(fd: number): void {
    const i = this.sinks.findIndex((s) => s.fd === 1);
    if (i >= 0) this.sinks[i] = this.ownSink(fd);
  }

  private ownSink(fd: number): Sink {
    this.sys.setNonblocking(fd);
    const sink: Sink = { fd, dropped: 0 };
    sink.queue = new WriteQueue(this.sys, fd, LOG_QUEUE_BYTES, () => undefined);
    sink.queue.onDrained = () => {
      if (sink.dropped === 0) return;
      const n = sink.dropped;
      sink.dropped = 0;
      this.writeTo(sink, this.format("warn", `log: ${n} line(s) dropped here while this console was not read`));
    };
    return sink;
  }

  /** Hears every line written from now on; returns the call that stops it. */
  listen(cb: (line: Uint8Array) => void): () => void {
    this.listeners.add(cb);
    return () => void this.listeners.delete(cb);
  }

  /** The last RECENT_LINES lines written, oldest first. */
  recent(): readonly Uint8Array[] {
    return this.recentLines;
  }

  setLevel(level: Level): void {
    this.level = level;
  }

  private format(level: Level, message: string): Uint8Array {
    const t = ((this.sys.now() - this.t0) / 1000).toFixed(3).padStart(8);
    return encodeUtf8(`[${t}] ${level}: ${message}\n`);
  }

  private writeTo(sink: Sink, bytes: Uint8Array): void {
    if (sink.queue) {
      if (!sink.queue.offer(bytes)) sink.dropped++;
      return;
    }
    try {
      this.sys.write(sink.fd, bytes);
    } catch {
      // A sink that fails must not take the supervisor down; the other sinks still get the line.
    }
  }

  line(level: Level, message: string): void {
    if (rank[level] < rank[this.level]) return;
    const bytes = this.format(level, message);
    for (const sink of this.sinks) this.writeTo(sink, bytes);
    this.recentLines.push(bytes);
    if (this.recentLines.length > RECENT_LINES) this.recentLines.shift();
    for (const cb of this.listeners) cb(bytes);
  }

  debug = (m: string): void => this.line("debug", m);
  info = (m: string): void => this.line("info", m);
  warn = (m: string): void => this.line("warn", m);
  error = (m: string): void => this.line("error", m);
}
