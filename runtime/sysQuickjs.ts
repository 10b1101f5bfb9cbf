// Sys on the stubdom: QuickJS's os/std modules plus our native `sys` module (runtime/native).
import * as os from "qjs:os";
import * as std from "qjs:std";
import * as native from "qjs:sys";
import { decodeWaitStatus, SysError, type Sys } from "./sys.ts";
import { encodeUtf8, decodeUtf8 } from "./utf8.ts";

const O_NOCTTY = 0o400;
const O_CLOEXEC = 0o2000000;
const openFlags = { r: os.O_RDONLY, w: os.O_WRONLY, rw: os.O_RDWR } as const;

/** os.* calls return -errno; turn that into a SysError naming the call. */
function check(ret: number, what: string): number {
  if (ret < 0) throw new SysError(native.errnoName(-ret) ?? "EUNKNOWN", `${what}: ${std.strerror(-ret)}`);
  return ret;
}

function readAll(path: string): Uint8Array {
  const fd = check(os.open(path, os.O_RDONLY | O_CLOEXEC), `open ${path}`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const buf = new ArrayBuffer(65536);
      const n = check(os.read(fd, buf, 0, buf.byteLength), `read ${path}`);
      if (n === 0) break;
      chunks.push(new Uint8Array(buf, 0, n));
      total += n;
    }
  } finally {
    os.close(fd);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function writeAll(fd: number, bytes: Uint8Array, what: string): void {
  let off = 0;
  while (off < bytes.length) off += check(os.write(fd, bytes.buffer as ArrayBuffer, bytes.byteOffset + off, bytes.length - off), `write ${what}`);
}

function unlink(path: string): void {
  const ret = os.remove(path);
  if (ret < 0 && native.errnoName(ret) !== "ENOENT") check(ret, `unlink ${path}`);
}

export function quickjsSys(): Sys {
  return {
    now: () => native.now(),
    readBytes: readAll,
    readText: (path) => decodeUtf8(readAll(path)),
    writeText(path, text) {
      const fd = check(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | O_CLOEXEC, 0o644), `open ${path}`);
      try {
        writeAll(fd, encodeUtf8(text), path);
      } finally {
        os.close(fd);
      }
    },
    exists: (path) => os.stat(path)[1] === 0,
    isSocket(path) {
      const [st, err] = os.stat(path);
      return err === 0 && (st.mode & os.S_IFMT) === os.S_IFSOCK;
    },
    unlink,
    symlink: (target, path) => native.symlink(target, path),
    readdir(path) {
      const [names, err] = os.readdir(path);
      check(-err, `readdir ${path}`);
      return names.filter((n: string) => n !== "." && n !== "..").sort();
    },
    mkdir(path, mode = 0o755) {
      const ret = os.mkdir(path, mode);
      if (ret < 0 && native.errnoName(ret) !== "EEXIST") check(ret, `mkdir ${path}`);
    },
    mount: (source, target, fstype, flags, data) => native.mount(source, target, fstype, flags, data),
    loadModule: (path, params) => native.finitModule(path, params),
    sethostname: (name) => native.sethostname(name),
    klogClear: () => native.klogClear(),
    linkUp: (dev, up) => native.linkUp(dev, up),
    linkSetMac: (dev, mac) => native.linkSetMac(dev, mac),
    linkClearIpv4: (dev) => native.linkClearIpv4(dev),
    bridgeCreate: (name) => native.bridgeCreate(name),
    bridgeAddPort: (bridge, dev) => native.bridgeAddPort(bridge, dev),
    open: (path, flags) => check(os.open(path, openFlags[flags] | O_NOCTTY | O_CLOEXEC), `open ${path}`),
    close: (fd) => void os.close(fd),
    write: (fd, bytes) => writeAll(fd, bytes, `fd ${fd}`),
    writeSome(fd, bytes) {
      const n = os.write(fd, bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length);
      if (n < 0 && native.errnoName(n) === "EAGAIN") return 0;
      return check(n, `write fd ${fd}`);
    },
    writeSomeWithFd(fd, bytes, attach) {
      try {
        return native.sendFd(fd, bytes.slice().buffer, attach);
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") return 0;
        throw e;
      }
    },
    setNonblocking: (fd) => native.fcntlSetFlags(fd, { nonblock: true }),
    read(fd, max) {
      const buf = new ArrayBuffer(max);
      const n = check(os.read(fd, buf, 0, max), `read fd ${fd}`);
      return new Uint8Array(buf, 0, n);
    },
    onReadable: (fd, cb) => os.setReadHandler(fd, cb),
    onWritable: (fd, cb) => os.setWriteHandler(fd, cb),
    openRawTty: (path, flags) => native.openRawTty(path, openFlags[flags]),
    ttyPending: (fd) => native.ttyPending(fd),
    truncate: (fd) => native.truncateFd(fd),
    writeAt: (fd, bytes, offset) => native.pwriteAll(fd, bytes, offset),
    fbSetMode: (fd, width, height) => native.fbSetMode(fd, width, height),
    pipe() {
      const p = os.pipe();
      if (!p) throw new SysError("EMFILE", "pipe: no pipe could be made");
      return p;
    },
    openpty: () => native.openpty(),
    accept(fd) {
      try {
        return native.accept(fd);
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") return undefined;
        throw e;
      }
    },
    unixConnect: (path) => native.unixConnect(path, true),
    unixListen(path) {
      unlink(path);
      return native.unixListen(path);
    },
    setTimer(ms, cb) {
      const h = os.setTimeout(cb, ms);
      return { cancel: () => os.clearTimeout(h) };
    },
    onSignal: (signal, cb) => os.signal(signal, cb),
    spawn: (argv, opts = {}) => native.spawn(argv, opts),
    reapOne() {
      const r = native.waitpid(-1, native.WNOHANG);
      return r === null ? undefined : decodeWaitStatus(r[0], r[1]);
    },
    kill: (pid, signal) => native.kill(pid, signal),
    getenv: (name) => std.getenv(name),
    sync: () => native.sync(),
    poweroff: () => native.reboot("poweroff"),
  };
}
