// Typings of the modules stubjs provides: quickjs-libc 2025-04-26's `os` and `std` (the parts the init
// uses) and our native `sys` (runtime/native/sys*.c). TS imports them as `qjs:os`, `qjs:std`,
// `qjs:sys` (distinct from Node's own "os" and "sys" typings); init/bundle.ts maps them back to the
// runtime's names. The init takes the time and its pid from sys.now and sys.getpid (the Sys seam the
// tests fake), not os.now and os.getpid; there is no setInterval: use os.setTimeout.

/** Globals set by the host (js_std_add_helpers). */
declare var scriptArgs: string[];
declare function print(...args: unknown[]): void;

declare module "qjs:os" {
  /** Timer handle of os.setTimeout. */
  export interface Timer {
    readonly __brand: "OSTimer";
  }
  export interface Stat {
    dev: number;
    ino: number;
    mode: number;
    nlink: number;
    uid: number;
    gid: number;
    rdev: number;
    size: number;
    blocks: number;
    /** milliseconds since the epoch */
    atime: number;
    mtime: number;
    ctime: number;
  }
  export interface ExecOptions {
    /** default true: wait and return the exit code, or -signal */
    block?: boolean;
    /** default true (execvp) */
    usePath?: boolean;
    file?: string;
    cwd?: string;
    stdin?: number;
    stdout?: number;
    stderr?: number;
    /** replaces the environment */
    env?: Record<string, string>;
    uid?: number;
    gid?: number;
  }

  /** Calls returning a number give -errno on failure. */
  export function open(filename: string, flags: number, mode?: number): number;
  export function close(fd: number): number;
  export function seek(fd: number, offset: number, whence: number): number;
  export function read(fd: number, buffer: ArrayBuffer, offset: number, length: number): number;
  export function write(fd: number, buffer: ArrayBuffer, offset: number, length: number): number;
  export function isatty(fd: number): boolean;
  /** Raw mode on fd, but the restore at exit always targets fd 0. */
  export function ttySetRaw(fd: number): void;
  export function remove(filename: string): number;
  export function rename(oldname: string, newname: string): number;
  export function mkdir(path: string, mode?: number): number;
  export function symlink(target: string, linkpath: string): number;
  /** [value, errno] */
  export function readdir(path: string): [string[], number];
  export function stat(path: string): [Stat, number];
  export function lstat(path: string): [Stat, number];
  export function readlink(path: string): [string, number];
  export function realpath(path: string): [string, number];

  /** One handler per fd; null removes it. */
  export function setReadHandler(fd: number, fn: (() => void) | null): void;
  export function setWriteHandler(fd: number, fn: (() => void) | null): void;
  export function setTimeout(fn: () => void, delayMs: number): Timer;
  export function clearTimeout(timer: Timer): void;
  /** Blocks the whole event loop. */
  export function sleep(delayMs: number): number;
  /** fn runs from the event loop; null = SIG_DFL, undefined = SIG_IGN; signo < 64. */
  export function signal(signo: number, fn: (() => void) | null | undefined): void;
  export function kill(pid: number, sig: number): number;

  /** Closes every fd >= 3 in the child and reports exec failure as exit 127: prefer sys.spawn. */
  export function exec(args: string[], options?: ExecOptions): number;
  /** [pid or -errno, raw wait status] */
  export function waitpid(pid: number, options: number): [number, number];
  export function pipe(): [number, number] | null;
  export function dup(fd: number): number;
  export function dup2(oldfd: number, newfd: number): number;

  export const O_RDONLY: number;
  export const O_WRONLY: number;
  export const O_RDWR: number;
  export const O_APPEND: number;
  export const O_CREAT: number;
  export const O_EXCL: number;
  export const O_TRUNC: number;
  export const S_IFMT: number;
  export const S_IFIFO: number;
  export const S_IFCHR: number;
  export const S_IFDIR: number;
  export const S_IFBLK: number;
  export const S_IFREG: number;
  export const S_IFSOCK: number;
  export const S_IFLNK: number;
  export const S_ISGID: number;
  export const S_ISUID: number;
  export const WNOHANG: number;
  export const SIGINT: number;
  export const SIGTERM: number;
  export const SIGQUIT: number;
  export const SIGPIPE: number;
  export const SIGALRM: number;
  export const SIGUSR1: number;
  export const SIGUSR2: number;
  export const SIGCHLD: number;
  export const SIGCONT: number;
  export const SIGSTOP: number;
}

declare module "qjs:std" {
  export interface FILE {
    close(): number;
    puts(s: string): void;
    printf(fmt: string, ...args: unknown[]): number;
    flush(): void;
    fileno(): number;
    eof(): boolean;
    /** null at end of file */
    getline(): string | null;
    readAsString(maxSize?: number): string;
    read(buffer: ArrayBuffer, position: number, length: number): number;
    write(buffer: ArrayBuffer, position: number, length: number): number;
  }

  /** null on failure; errno is then stored in errorObj.errno if given. */
  export function open(filename: string, flags: string, errorObj?: { errno?: number }): FILE | null;
  export function fdopen(fd: number, flags: string, errorObj?: { errno?: number }): FILE | null;
  /** The whole file as a string, or null. */
  export function loadFile(filename: string): string | null;
  export function getenv(name: string): string | undefined;
  export function setenv(name: string, value: string): void;
  export function strerror(errno: number): string;
  /** Writes to stdout. */
  export function puts(s: string): void;
  export function exit(code: number): never;
  export function gc(): void;
  export const out: FILE;
  export const err: FILE;
  export const SEEK_SET: number;
  export const SEEK_CUR: number;
  export const SEEK_END: number;
}

declare module "qjs:sys" {
  /** What every failing sys call throws, e.g. message
   *  `mount("proc", "/proc", "proc"): No such file or directory`, code "ENOENT". */
  export interface SysError extends Error {
    /** errno name, "EUNKNOWN" if the number has none */
    code: string;
    errno: number;
  }

  /** source, fstype and data may be null; flags are MS_* bits. */
  export function mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags?: number,
    data?: string | null,
  ): void;
  /** flags: MNT_DETACH, MNT_FORCE */
  export function umount2(target: string, flags?: number): void;
  export function sync(): void;
  /** Does not sync first: call sync(). In a child PID namespace it kills that namespace's init. */
  export function reboot(cmd: "poweroff" | "restart" | "halt"): void;
  /** Loads a kernel module file (finit_module). */
  export function finitModule(path: string, params?: string): void;
  export function sethostname(name: string): void;
  /** klogctl(SYSLOG_ACTION_CLEAR). */
  export function klogClear(): void;
  export function linkUp(dev: string, up: boolean): void;
  export function linkSetMac(dev: string, mac: string): void;
  export function linkClearIpv4(dev: string): void;
  export function bridgeCreate(name: string): void;
  export function bridgeAddPort(bridge: string, dev: string): void;
  /** Monotonic milliseconds. */
  export function now(): number;

  export function chmod(path: string, mode: number): void;
  /** -1 leaves an id unchanged. */
  export function chown(path: string, uid: number, gid: number): void;
  export function symlink(target: string, path: string): void;
  /** mode includes the file type, e.g. os.S_IFCHR | 0o600. */
  export function mknod(path: string, mode: number, major: number, minor: number): void;

  export interface SpawnOptions {
    /** What to exec; default argv[0]. Without a '/', searched in PATH of env (default
     *  "/bin:/usr/bin:/sbin:/usr/sbin"). */
    file?: string;
    /** "K=V" strings; default: this process's environment. */
    env?: string[];
    cwd?: string;
    /** Child fd i <- this process's fd fds[i]; -1 leaves i closed; every other fd is closed.
     *  Default [0, 1, 2]. Each non-negative entry must be open (else EBADF). */
    fds?: number[];
    setsid?: boolean;
    /** Child fd to make the controlling tty (TIOCSCTTY); implies setsid. */
    ctty?: number;
    /** setgroups([]), then setgid, then setuid. */
    uid?: number;
    gid?: number;
  }
  /** Returns the pid once the child has exec'd. Any failure in the child before exec (fd map,
   *  chdir, ids, exec) is thrown with the child's errno, e.g.
   *  `spawn(["/nope"]): execve("/nope"): No such file or directory`. Signal handlers and the mask
   *  are reset to default in the child. */
  export function spawn(argv: string[], opts?: SpawnOptions): number;
  /** [pid, raw status], or null when nothing is waitable (WNOHANG and no change, or ECHILD).
   *  Exited iff (status & 0x7f) == 0 with code (status >> 8) & 0xff; else signal status & 0x7f. */
  export function waitpid(pid: number, flags: number): [number, number] | null;
  export function kill(pid: number, sig: number): void;
  /** Returns the new session id. */
  export function setsid(): number;
  export function getpid(): number;

  /** [master, slave], both O_CLOEXEC and O_NOCTTY; needs devpts on /dev/pts. */
  export function openpty(): [number, number];
  /** Opens a tty and puts it in full raw mode in one call, as SCHED_FIFO between the two. */
  export function openRawTty(path: string, accmode: number): number;
  /** TIOCOUTQ: bytes written to the tty that its driver has not passed on yet. */
  export function ttyPending(fd: number): number;
  /** ftruncate(fd, 0) and lseek(fd, 0). */
  export function truncateFd(fd: number): void;
  /** pwrite(2) until all of `bytes` is written at `offset`. */
  export function pwriteAll(fd: number, bytes: Uint8Array, offset: number): void;
  /** FBIOPUT_VSCREENINFO with the visible and virtual resolution set to width x height. */
  export function fbSetMode(fd: number, width: number, height: number): void;
  /** Only the given flags change. */
  export function fcntlSetFlags(fd: number, flags: { nonblock?: boolean; cloexec?: boolean }): void;
  /** Connects an AF_UNIX stream socket; returns the fd (O_CLOEXEC, and O_NONBLOCK with `nonblock`,
   *  when the connect itself never waits: EAGAIN if the listener's backlog is full). */
  export function unixConnect(path: string, nonblock?: boolean): number;
  /** Binds and listens (backlog default 16); an existing path is EADDRINUSE. */
  export function unixListen(path: string, backlog?: number): number;
  export function accept(fd: number): number;
  /** Sends all of bytes (at least one) with fd attached as SCM_RIGHTS; returns bytes sent. */
  export function sendFd(sock: number, bytes: ArrayBuffer, fd: number): number;

  /** "ENOENT" for 2 or -2 (os.* return -errno), null if unknown. */
  export function errnoName(errno: number): string | null;

  export const MS_RDONLY: number;
  export const MS_NOSUID: number;
  export const MS_NODEV: number;
  export const MS_NOEXEC: number;
  export const MS_REMOUNT: number;
  export const MS_BIND: number;
  export const MS_REC: number;
  export const MS_MOVE: number;
  export const MNT_DETACH: number;
  export const MNT_FORCE: number;
  export const O_NONBLOCK: number;
  export const O_NOCTTY: number;
  export const O_CLOEXEC: number;
  export const WNOHANG: number;
  export const SIGHUP: number;
  export const SIGINT: number;
  export const SIGQUIT: number;
  export const SIGKILL: number;
  export const SIGUSR1: number;
  export const SIGUSR2: number;
  export const SIGPIPE: number;
  export const SIGALRM: number;
  export const SIGTERM: number;
  export const SIGCHLD: number;
  export const SIGCONT: number;
  export const SIGSTOP: number;
  export const SIGPWR: number;
  export const SIGWINCH: number;
}
