// Reads the kernel's boot-time trace (ftrace text format) the bench turns on with
// `trace_event=sched:sched_process_fork,sched:sched_process_exec,syscalls:sys_enter_write`: when
// /init was exec'd, when QEMU was, how many processes were forked and exec'd in between, and when
// PID 1 wrote to its stdout (the console). Pure.

export interface TraceEvent {
  comm: string;
  pid: number;
  /** Seconds, the trace clock (local_clock: the same one printk stamps the kernel log with). */
  at: number;
  event: string;
  detail: string;
}

/** The kernel command line that records every exec and every write from boot on. */
export const TRACE_CMDLINE = "trace_event=sched:sched_process_fork,sched:sched_process_exec,syscalls:sys_enter_write trace_buf_size=512K";

/** `<comm>-<pid> [cpu] <flags> <seconds>: <event>: <detail>` (syscall events: `sys_write(fd: 1, ...)`). */
const LINE = /^\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+(\d+\.\d+): (\w+)(?:: )?(.*)$/;

export function parseTrace(text: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = LINE.exec(line);
    if (m) out.push({ comm: m[1], pid: Number(m[2]), at: Number(m[3]), event: m[4], detail: m[5] });
  }
  return out;
}

export interface BootTimeline {
  /** PID 1 exec'd /init. */
  init: number;
  /** The device model was exec'd (the first exec of `qemu`). */
  qemu: number;
  /** Each write(2) PID 1 made to its fd 1 (the console, or where a builtin's output was redirected) before QEMU's exec, in order. */
  consoleWrites: { at: number; bytes: number }[];
  /** The programs exec'd between /init and QEMU, in order (basename; busybox re-execs itself as `exe`). */
  execsBefore: string[];
  /** Processes forked between /init and QEMU's exec (QEMU's own fork included). */
  forksBefore: number;
}

const execFile = (e: TraceEvent): string | undefined => /^filename=(\S+)/.exec(e.detail)?.[1];

export function bootTimeline(events: readonly TraceEvent[], qemu: string): BootTimeline {
  const execs = events.filter((e) => e.event === "sched_process_exec");
  const init = execs.find((e) => e.pid === 1 && execFile(e) === "/init");
  if (!init) throw new Error("the trace has no exec of /init by PID 1 (was the trace buffer overwritten?)");
  const dm = execs.find((e) => execFile(e) === qemu && e.at >= init.at);
  if (!dm) throw new Error(`the trace has no exec of ${qemu}`);
  const consoleWrites = events
    .filter((e) => e.event === "sys_write" && e.pid === 1 && /^\(fd: 1,/.test(e.detail) && e.at >= init.at && e.at <= dm.at)
    .map((e) => ({ at: e.at, bytes: parseInt(/count: ([0-9a-f]+)\)/.exec(e.detail)?.[1] ?? "0", 16) }));
  const execsBefore = execs.filter((e) => e.at > init.at && e.at < dm.at).map((e) => (execFile(e) ?? "?").replace(/.*\//, ""));
  const forksBefore = events.filter((e) => e.event === "sched_process_fork" && e.at > init.at && e.at < dm.at).length;
  return { init: init.at, qemu: dm.at, consoleWrites, execsBefore, forksBefore };
}
