// The one boundary between the init's decisions and the kernel: every effect goes through Sys,
// so boot logic runs the same against QuickJS (the stubdom), Node, or a scripted fake in tests.

/** A failed system call; `code` is the errno name (ENOENT, EACCES, ...). */
export class SysError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SpawnOptions {
  /** Child fd i gets parent fd fds[i]; -1 leaves it closed. Every other fd is closed. */
  fds?: number[];
  env?: string[];
  cwd?: string;
  setsid?: boolean;
  /** Child fd to make the controlling terminal (implies setsid). */
  ctty?: number;
  uid?: number;
  gid?: number;
}

/** A raw wait status decoded: exactly one of code or signal is set. */
export interface ExitStatus {
  pid: number;
  code?: number;
  signal?: number;
}

export interface TimerHandle {
  cancel(): void;
}

export interface Sys {
  /** Monotonic milliseconds. */
  now(): number;
  readText(path: string): string;
  readBytes(path: string): Uint8Array;
  writeText(path: string, text: string): void;
  exists(path: string): boolean;
  isSocket(path: string): boolean;
  unlink(path: string): void;
  /** Makes `path` a symbolic link to `target`. */
  symlink(target: string, path: string): void;
  readdir(path: string): string[];
  mkdir(path: string, mode?: number): void;
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  loadModule(path: string, params: string): void;
  sethostname(name: string): void;
  /** Empties the kernel's log buffer (klogctl SYSLOG_ACTION_CLEAR), as `dmesg -c` without the reading. */
  klogClear(): void;
  /** An interface's IFF_UP (`ip link set dev DEV up|down`). */
  linkUp(dev: string, up: boolean): void;
  /** `ip link set dev DEV address aa:bb:cc:dd:ee:ff`. */
  linkSetMac(dev: string, mac: string): void;
  /** Removes every IPv4 address of the interface (`ip -4 addr flush dev DEV`). */
  linkClearIpv4(dev: string): void;
  /** `brctl addbr NAME`. */
  bridgeCreate(name: string): void;
  /** `brctl addif BRIDGE DEV`. */
  bridgeAddPort(bridge: string, dev: string): void;

  open(path: string, flags: "r" | "w" | "rw"): number;
  close(fd: number): void;
  /** Writes all of `bytes`; throws on error. Only for fds that cannot stall (files, sysfs). */
  write(fd: number, bytes: Uint8Array): void;
  /** Writes what a nonblocking fd takes now: the count, 0 when it would block; throws on error. */
  writeSome(fd: number, bytes: Uint8Array): number;
  /** writeSome on a unix socket, its first byte carrying `attach` as SCM_RIGHTS (QMP add-fd). */
  writeSomeWithFd(fd: number, bytes: Uint8Array, attach: number): number;
  /** Makes `fd`'s open file description nonblocking (other fds sharing it see that too). */
  setNonblocking(fd: number): void;
  /** Reads what is there, up to `max` bytes; an empty result is end of file. */
  read(fd: number, max: number): Uint8Array;
  onReadable(fd: number, cb: (() => void) | null): void;
  onWritable(fd: number, cb: (() => void) | null): void;
  /**
   * Opens a tty already in full raw mode (no ISIG, no ICANON, no OPOST, 8 bits, every byte as it
   * is), with nothing processed in between: the save and restore consoles carry binary streams.
   */
  openRawTty(path: string, flags: "r" | "w" | "rw"): number;
  /** Bytes written to a tty that its driver has not passed on yet. */
  ttyPending(fd: number): number;
  /** Empties a file and puts the description's offset back at 0. */
  truncate(fd: number): void;
  /** Writes all of `bytes` at `offset` (pwrite), leaving the fd's offset alone: the framebuffer. */
  writeAt(fd: number, bytes: Uint8Array, offset: number): void;
  /** A framebuffer's visible resolution (FBIOPUT_VSCREENINFO); the depth and row stride stay. */
  fbSetMode(fd: number, width: number, height: number): void;
  /** [read end, write end]. */
  pipe(): [number, number];
  /** [master, slave] of a new pseudo-terminal, in its default (cooked, echoing) mode. */
  openpty(): [number, number];
  /** A connection waiting on a nonblocking listener, or undefined when none is. */
  accept(fd: number): number | undefined;
  /** A connected, nonblocking unix stream socket; the connect itself never waits. */
  unixConnect(path: string): number;
  /** A listening unix socket at `path` (replacing a stale one). */
  unixListen(path: string): number;

  setTimer(ms: number, cb: () => void): TimerHandle;
  onSignal(signal: number, cb: () => void): void;

  spawn(argv: string[], opts?: SpawnOptions): number;
  /** One exited child, without blocking; undefined when none is waiting. */
  reapOne(): ExitStatus | undefined;
  kill(pid: number, signal: number): void;
  getenv(name: string): string | undefined;
  sync(): void;
  /** Powers the domain off; in a child PID namespace this ends the namespace. */
  poweroff(): void;
}

/** x86-64 Linux signal numbers; names for health's `last-exit` (QEMU's seccomp kills with SIGSYS). */
export const SIGNALS = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGPWR: 30, SIGSYS: 31,
} as const;

const signalNames = new Map<number, string>(Object.entries(SIGNALS).map(([k, v]) => [v, k]));
export const signalName = (n: number): string => signalNames.get(n) ?? `SIG${n}`;

/** Decodes a raw wait(2) status. */
export function decodeWaitStatus(pid: number, status: number): ExitStatus {
  const sig = status & 0x7f;
  return sig === 0 ? { pid, code: (status >> 8) & 0xff } : { pid, signal: sig };
}

/** `code:N` or `signal:NAME`, the form health reports. */
export const describeExit = (e: ExitStatus): string => (e.signal !== undefined ? `signal:${signalName(e.signal)}` : `code:${e.code}`);
