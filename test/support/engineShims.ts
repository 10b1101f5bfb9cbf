// The engine tier's stand-ins for stubjs's built-in modules `os`, `std` and `sys`: small guest
// sources served by the QuickJS module loader. They forward every call to one host function,
// `__engineHost.call(name, argsJson)`, except the byte-moving `read`/`write`, which pass
// ArrayBuffers. Callbacks (timers, read handlers, signal handlers) stay in the guest, keyed by an
// id; the host runs one by calling `__engineDispatch(kind, id)`, as quickjs-libc's loop would.
// Only the subset runtime/sysQuickjs.ts uses exists: a call the init starts to make that is not
// here fails loudly in the engine tier.

/** Linux x86-64 values, as quickjs-libc and runtime/native/sys_const.c export them. */
export const LINUX = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_NOCTTY: 0o400,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000,
  O_CLOEXEC: 0o2000000,
  S_IFMT: 0o170000,
  S_IFSOCK: 0o140000,
  S_IFLNK: 0o120000,
  S_IFREG: 0o100000,
  S_IFBLK: 0o060000,
  S_IFDIR: 0o040000,
  S_IFCHR: 0o020000,
  S_IFIFO: 0o010000,
  WNOHANG: 1,
} as const;

export const SIGNAL_NUMBERS = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14,
  SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGWINCH: 28, SIGPWR: 30,
} as const;

const MS = { MS_RDONLY: 1, MS_NOSUID: 2, MS_NODEV: 4, MS_NOEXEC: 8, MS_REMOUNT: 32, MS_BIND: 4096, MS_MOVE: 8192, MS_REC: 16384, MNT_FORCE: 1, MNT_DETACH: 2 };

const constants = (names: Record<string, number>): string =>
  Object.entries(names)
    .map(([k, v]) => `export const ${k} = ${v};`)
    .join("\n");

const BRIDGE = `
const host = globalThis.__engineHost;
export const handlers = { timer: new Map(), read: new Map(), write: new Map(), signal: new Map() };
globalThis.__engineDispatch = (kind, id) => {
  const table = handlers[kind];
  const fn = table.get(id);
  if (kind === "timer") table.delete(id);
  if (fn) fn();
  return fn !== undefined;
};
function call(name, args) {
  return JSON.parse(host.call(name, JSON.stringify(args)));
}
/** os.* style: the value, or -errno. */
export function osCall(name, ...args) {
  const r = call(name, args);
  return r.e ? -r.e.errno : r.v;
}
/** os.stat/readdir style: [value, errno]. */
export function pairCall(name, ...args) {
  const r = call(name, args);
  return r.e ? [null, r.e.errno] : [r.v, 0];
}
/** sys.* style: the value, or a thrown Error with .code and .errno. */
export function sysCall(name, ...args) {
  const r = call(name, args);
  if (r.e) {
    const e = new Error(r.e.message);
    e.code = r.e.code;
    e.errno = r.e.errno;
    throw e;
  }
  return r.v;
}
export function readInto(fd, buf, off, len) {
  const r = host.read(fd, len);
  if (typeof r === "number") return r;
  new Uint8Array(buf, off, r.byteLength).set(new Uint8Array(r));
  return r.byteLength;
}
export function writeFrom(fd, buf, off, len) {
  return host.write(fd, buf.slice(off, off + len));
}
`;

const OS = `
import { handlers, osCall, pairCall, readInto, writeFrom } from "engine:bridge";
${constants({ ...pick(LINUX, ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_TRUNC", "O_APPEND", "S_IFMT", "S_IFSOCK", "S_IFLNK", "S_IFREG", "S_IFBLK", "S_IFDIR", "S_IFCHR", "S_IFIFO", "WNOHANG"]), ...pick(SIGNAL_NUMBERS, ["SIGINT", "SIGTERM", "SIGQUIT", "SIGPIPE", "SIGALRM", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGCONT", "SIGSTOP"]) })}
export const open = (path, flags, mode = 0o666) => osCall("open", path, flags, mode);
export const close = (fd) => osCall("close", fd);
export const read = readInto;
export const write = writeFrom;
export const remove = (path) => osCall("remove", path);
export const mkdir = (path, mode = 0o777) => osCall("mkdir", path, mode);
export const stat = (path) => pairCall("stat", path);
export const readdir = (path) => pairCall("readdir", path);
export const pipe = () => {
  const r = osCall("pipe");
  return typeof r === "number" ? null : r;
};
export function setReadHandler(fd, fn) {
  if (fn) handlers.read.set(fd, fn);
  else handlers.read.delete(fd);
  osCall("setReadHandler", fd, !!fn);
}
export function setWriteHandler(fd, fn) {
  if (fn) handlers.write.set(fd, fn);
  else handlers.write.delete(fd);
  osCall("setWriteHandler", fd, !!fn);
}
let nextTimer = 1;
export function setTimeout(fn, ms) {
  const id = nextTimer++;
  handlers.timer.set(id, fn);
  osCall("setTimeout", id, ms);
  return { id };
}
export function clearTimeout(t) {
  handlers.timer.delete(t.id);
  osCall("clearTimeout", t.id);
}
export function signal(signo, fn) {
  if (signo >>> 0 >= 64) throw new RangeError("invalid signal number");
  if (typeof fn === "function") handlers.signal.set(signo, fn);
  else handlers.signal.delete(signo);
  osCall("signal", signo, fn === null ? "default" : fn === undefined ? "ignore" : "handler");
}
`;

const STD = `
import { osCall } from "engine:bridge";
export const getenv = (name) => osCall("getenv", name) ?? undefined;
export const strerror = (errno) => osCall("strerror", errno);
/** PID 1 must never call this; the world records it as a problem. */
export const exit = (code) => osCall("exit", code);
`;

const SYS = `
import { sysCall } from "engine:bridge";
${constants({ ...MS, ...pick(LINUX, ["O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "WNOHANG"]), ...SIGNAL_NUMBERS })}
export const errnoName = (n) => sysCall("errnoName", n);
export const now = () => sysCall("now");
export const mount = (source, target, fstype, flags = 0, data = null) => sysCall("mount", source, target, fstype, flags, data);
export const finitModule = (path, params = "") => sysCall("finitModule", path, params);
export const sethostname = (name) => sysCall("sethostname", name);
export const klogClear = () => sysCall("klogClear");
export const linkUp = (dev, up) => sysCall("linkUp", dev, up);
export const linkSetMac = (dev, mac) => sysCall("linkSetMac", dev, mac);
export const linkClearIpv4 = (dev) => sysCall("linkClearIpv4", dev);
export const bridgeCreate = (name) => sysCall("bridgeCreate", name);
export const bridgeAddPort = (bridge, dev) => sysCall("bridgeAddPort", bridge, dev);
export const sync = () => sysCall("sync");
export const reboot = (cmd) => sysCall("reboot", cmd);
export const spawn = (argv, opts = {}) => sysCall("spawn", argv, opts);
export const waitpid = (pid, flags) => sysCall("waitpid", pid, flags);
export const kill = (pid, sig) => sysCall("kill", pid, sig);
export const getpid = () => 1;
export const unixConnect = (path, nonblock = false) => sysCall("unixConnect", path, nonblock);
export const fcntlSetFlags = (fd, flags) => sysCall("fcntlSetFlags", fd, flags);
export const openRawTty = (path, accmode) => sysCall("openRawTty", path, accmode);
export const ttyPending = (fd) => sysCall("ttyPending", fd);
export const truncateFd = (fd) => sysCall("truncateFd", fd);
export const accept = (fd) => sysCall("accept", fd);
export const unixListen = (path, backlog = 16) => sysCall("unixListen", path, backlog);
`;

function pick<T extends Record<string, number>>(from: T, keys: (keyof T)[]): Record<string, number> {
  return Object.fromEntries(keys.map((k) => [k, from[k]])) as Record<string, number>;
}

/** Guest module sources by the name the init bundle imports them under. */
export const SHIM_MODULES: Readonly<Record<string, string>> = { "engine:bridge": BRIDGE, os: OS, std: STD, sys: SYS };

/**
 * Built-ins of quickjs-emscripten's QuickJS (2025-09-13) that stubjs's QuickJS (2025-04-26, Debian
 * 13's) does not have yet. The engine removes them, so a bundle that leans on one fails here as it
 * would in the stubdom. test/native/quirks.test.ts checks this list against the real stubjs both ways.
 */
export const STUBJS_LACKS: Readonly<Record<string, readonly string[]>> = {
  globalThis: ["Float16Array", "Iterator"],
  Promise: ["try"],
  Math: ["f16round", "sumPrecise"],
  "Map.prototype": ["getOrInsert", "getOrInsertComputed"],
  "Set.prototype": ["difference", "intersection", "isDisjointFrom", "isSubsetOf", "isSupersetOf", "symmetricDifference", "union"],
  "RegExp.prototype": ["unicodeSets"],
  "ArrayBuffer.prototype": ["detached", "maxByteLength", "resizable", "resize", "transfer", "transferToFixedLength"],
  Error: ["isError"],
};

/** Guest source: the objects STUBJS_LACKS names, by the same keys. */
export const BUILTIN_ROOTS = `({
  globalThis, Object, "Array.prototype": Array.prototype, "String.prototype": String.prototype, Promise, Math, Map,
  "Map.prototype": Map.prototype, "Set.prototype": Set.prototype, "RegExp.prototype": RegExp.prototype,
  "Function.prototype": Function.prototype, "TypedArray.prototype": Object.getPrototypeOf(Uint8Array.prototype),
  "ArrayBuffer.prototype": ArrayBuffer.prototype, Error,
})`;

/** What stubjs's js_std_add_helpers gives every script (print and console.log to stdout), and
 *  the built-ins it lacks taken away. */
export const GLOBAL_HELPERS = `
globalThis.print = (...args) => {
  const s = args.map(String).join(" ") + "\\n";
  globalThis.__engineHost.call("print", JSON.stringify([s]));
};
globalThis.console = { log: globalThis.print };
{
  const roots = ${BUILTIN_ROOTS};
  const lacks = ${JSON.stringify(STUBJS_LACKS)};
  for (const [root, names] of Object.entries(lacks)) for (const n of names) delete roots[root][n];
}
`;
