// What the bench asks a shell on the booted stubdom's hvc0, and how it reads the answer: the boot
// trace (execs and console writes), every user process's VmRSS/VmHWM, and /proc/meminfo. The end
// markers are computed by the shell, so the echo of the typed command never matches them.

export const PROBE_BEGIN = /BENCH-BEGIN-42/;
export const PROBE_END = /BENCH-END-42/;

export const PROBE_COMMANDS = [
  // Stop the trace first: grep's own writes would otherwise grow it while it is being read.
  "mount -t tracefs none /sys/kernel/tracing 2>/dev/null",
  "echo 0 > /sys/kernel/tracing/tracing_on",
  "echo BENCH-BEGIN-$((6*7))",
  "echo self $$",
  "grep -E 'sched_process_(fork|exec)|sys_write\\(fd: 1,' /sys/kernel/tracing/trace",
  "for d in /proc/[0-9]*; do n=; r=; h=; while read -r k v u; do case $k in Name:) n=$v;; VmRSS:) r=$v;; VmHWM:) h=$v;; esac; done < $d/status; [ -n \"$r\" ] && echo \"proc ${d#/proc/} $n $r $h\"; done 2>/dev/null",
  "grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo",
  "for b in /sys/class/net/*/brif; do echo bridge ${b%/brif} $(ls $b); done",
  "echo BENCH-END-$((6*7))",
].join("; ");

export interface ProcessMemory {
  pid: number;
  name: string;
  rssKb: number;
  hwmKb: number;
}

export interface Probe {
  trace: string;
  /** The shell that answered (left out of the init's processes). */
  shellPid: number;
  processes: ProcessMemory[];
  meminfoKb: Record<string, number>;
  /** Each bridge with its ports, e.g. `br0: eth0 vif1.0-emu`. */
  bridges: string[];
}

export function parseProbe(text: string): Probe {
  const lines = text.split(/\r?\n/);
  const begin = lines.findIndex((l) => PROBE_BEGIN.test(l));
  const end = lines.findIndex((l) => PROBE_END.test(l));
  if (begin < 0 || end < begin) throw new Error(`the shell's answer has no BENCH markers:\n${JSON.stringify(text.slice(0, 3000))}`);
  const body = lines.slice(begin + 1, end);
  const self = body.map((l) => /^self (\d+)$/.exec(l)).find((m) => m);
  const processes: ProcessMemory[] = [];
  const meminfoKb: Record<string, number> = {};
  const trace: string[] = [];
  const bridges: string[] = [];
  for (const l of body) {
    const b = /^bridge \/sys\/class\/net\/(\S+) ?(.*)$/.exec(l);
    if (b) {
      bridges.push(`${b[1]}: ${b[2].trim()}`);
      continue;
    }
    const p = /^proc (\d+) (\S+) (\d+) (\d+)$/.exec(l);
    const m = /^(\w+):\s+(\d+) kB$/.exec(l);
    if (p) processes.push({ pid: Number(p[1]), name: p[2], rssKb: Number(p[3]), hwmKb: Number(p[4]) });
    else if (m) meminfoKb[m[1]] = Number(m[2]);
    else if (/: (sched_process_fork|sched_process_exec|sys_write)/.test(l)) trace.push(l);
  }
  return { trace: trace.join("\n"), shellPid: self ? Number(self[1]) : -1, processes, meminfoKb, bridges };
}

/**
 * The init's memory: PID 1 itself, and all its processes together (PID 1 plus whatever it left
 * running besides QEMU and the shell that answered, e.g. the baseline's background subshells).
 */
export function initMemory(p: Probe): { pid1HwmKb: number; pid1RssKb: number; allRssKb: number; others: string[] } {
  const pid1 = p.processes.find((x) => x.pid === 1);
  if (!pid1) throw new Error("no PID 1 in the process list");
  const mine = p.processes.filter((x) => x.pid !== p.shellPid && !/^qemu-system/.test(x.name));
  return {
    pid1HwmKb: pid1.hwmKb,
    pid1RssKb: pid1.rssKb,
    allRssKb: mine.reduce((s, x) => s + x.rssKb, 0),
    others: mine.filter((x) => x.pid !== 1).map((x) => x.name),
  };
}
