// The host side of the shim modules: each guest call (by name, JSON arguments) carried out on the
// World, answered as JSON `{v}` or `{e: {errno, code, message}}`; the guest turns `e` into -errno
// (os, std) or a thrown Error with .code (sys), as quickjs-libc and runtime/native do.
import { errnoName, errnoOf, strerror } from "./engineErrno.ts";
import type { Disposition } from "./engineEvents.ts";
import { FileEndpoint, ListenerEndpoint, PipeEnd, Ref, TtyEndpoint } from "./engineFds.ts";
import { FullError, WorldError } from "./engineFs.ts";
import type { World } from "./engineWorld.ts";

export class Syscalls {
  constructor(private readonly world: World) {}

  private count(name: string): void {
    this.world.callCounts.set(name, (this.world.callCounts.get(name) ?? 0) + 1);
  }

  /** One shim call; returns {v} or {e}, as JSON for the guest. */
  call(name: string, args: unknown[]): string {
    this.count(name);
    try {
      return JSON.stringify({ v: this.dispatch(name, args) ?? null });
    } catch (e) {
      if (!(e instanceof WorldError)) throw e;
      const errno = errnoOf(e.code);
      const message = e instanceof FullError ? e.message : `${name}(${args.map((a) => JSON.stringify(a)).join(", ")}): ${strerror(errno)}`;
      return JSON.stringify({ e: { errno, code: e.code, message } });
    }
  }

  /** os.read: the bytes, or -errno. */
  read(fd: number, max: number): Uint8Array | number {
    this.count("read");
    return this.bytes(fd, (ep) => ep.read(max));
  }

  /** os.write: the count written, or -errno. */
  write(fd: number, bytes: Uint8Array): number {
    this.count("write");
    return this.bytes(fd, (ep) => ep.write(bytes));
  }

  private bytes<T>(fd: number, op: (ep: NonNullable<ReturnType<World["endpoint"]>>) => T): T | number {
    const ep = this.world.endpoint(fd);
    if (!ep) return -errnoOf("EBADF");
    try {
      return op(ep);
    } catch (e) {
      if (e instanceof WorldError) return -errnoOf(e.code);
      throw e;
    }
  }

  private dispatch(name: string, a: any[]): unknown {
    const w = this.world;
    const fs = w.fs;
    switch (name) {
      case "print":
        return void w.console.write(new TextEncoder().encode(a[0]));
      case "getenv":
        return w.env[a[0]] ?? null;
      case "strerror":
        return strerror(a[0]);
      case "errnoName":
        return errnoName(a[0]);
      case "now":
        return w.clock;
      case "exit":
        w.problems.push(`std.exit(${a[0]}) called: PID 1 must never exit`);
        return void w.effect(`exit of PID 1 (${a[0]})`);
      case "open":
        return w.open(a[0], a[1]);
      case "close":
        return void w.close(a[0]);
      case "stat": {
        const mode = fs.mode(a[0]);
        const node = fs.need(a[0]);
        return { dev: 0, ino: 0, mode, nlink: 1, uid: 0, gid: 0, rdev: 0, size: node.kind === "file" ? node.data.length : 0, blocks: 0, atime: 0, mtime: 0, ctime: 0 };
      }
      case "readdir":
        return fs.readdir(a[0]);
      case "mkdir":
        return void fs.create(a[0], { kind: "dir" });
      case "remove":
        return void fs.remove(a[0]);
      case "openRawTty": {
        const fd = w.open(a[0], a[1]);
        const ep = w.endpoint(fd);
        if (ep instanceof TtyEndpoint) ep.raw = true;
        else {
          w.close(fd);
          throw new WorldError("ENOTTY", a[0]);
        }
        return fd;
      }
      case "ttyPending": {
        const ep = w.endpoint(a[0]);
        if (!(ep instanceof TtyEndpoint)) throw new WorldError("ENOTTY", `fd ${a[0]}`);
        return 0;
      }
      case "truncateFd": {
        const ep = w.endpoint(a[0]);
        if (!(ep instanceof FileEndpoint)) throw new WorldError("EINVAL", `fd ${a[0]}`);
        ep.truncate();
        return;
      }
      case "pipe": {
        const [r, wr] = PipeEnd.pair("pipe");
        return [w.addFd(new Ref(r)), w.addFd(new Ref(wr))];
      }
      case "accept":
        throw new WorldError("EAGAIN", `fd ${a[0]}: no connection waits`);
      case "setReadHandler":
        if (a[1] && !w.endpoint(a[0])) w.problems.push(`read handler set on fd ${a[0]}, which is not open`);
        return void w.loop.setReadHandler(a[0], a[1]);
      case "setWriteHandler":
        if (a[1] && !w.endpoint(a[0])) w.problems.push(`write handler set on fd ${a[0]}, which is not open`);
        return void w.loop.setWriteHandler(a[0], a[1]);
      case "fcntlSetFlags":
        if (!w.endpoint(a[0])) throw new WorldError("EBADF", `fd ${a[0]}`);
        return;
      case "setTimeout":
        return void w.loop.setTimer(a[0], w.clock + Math.max(0, a[1]));
      case "clearTimeout":
        return void w.loop.clearTimer(a[0]);
      case "signal":
        return void w.loop.setDisposition(a[0], a[1] as Disposition);
      case "mount": {
        const [source, target, fstype] = a as string[];
        if (fs.get(target)?.kind !== "dir") throw new WorldError("ENOENT", target);
        if (w.mounted.has(target)) throw new WorldError("EBUSY", target);
        w.mounted.set(target, fstype);
        w.effect(`mount ${source} ${target} ${fstype}`);
        w.mountHooks.get(target)?.();
        return;
      }
      case "finitModule": {
        if (fs.need(a[0]).kind !== "file") throw new WorldError("EISDIR", a[0]);
        if (w.loadedModules.has(a[0])) throw new WorldError("EEXIST", a[0]);
        w.loadedModules.add(a[0]);
        return void w.effect(`module ${a[0]}${a[1] ? ` ${a[1]}` : ""}`);
      }
      case "sethostname":
        w.hostname = a[0];
        return void w.effect(`hostname ${a[0]}`);
      case "klogClear":
        return void w.effect("klogClear");
      case "bridgeCreate":
        // The kernel's bridge comes with its sysfs knobs, STP on.
        for (const knob of ["stp_state", "forward_delay"]) fs.file(`/sys/class/net/${a[0]}/bridge/${knob}`, "1\n");
        return void w.effect(`bridgeCreate ${a[0]}`);
      case "linkUp":
      case "linkSetMac":
      case "linkClearIpv4":
      case "bridgeAddPort":
        return void w.effect(`${name} ${a.join(" ")}`);
      case "sync":
        return void w.effect("sync");
      case "reboot":
        w.poweredOff = a[0];
        return void w.effect(`reboot ${a[0]}`);
      case "spawn":
        return w.spawn(a[0], a[1] ?? {});
      case "waitpid":
        return w.waitpid(a[0], a[1]);
      case "kill":
        return void w.kill(a[0], a[1]);
      case "unixListen": {
        const path = a[0] as string;
        if (fs.get(path)) throw new WorldError("EADDRINUSE", path);
        const listener = new ListenerEndpoint(path, () => {
          const n = fs.get(path);
          if (n?.kind === "socket" && n.listener === listener) n.listener = undefined;
        });
        fs.create(path, { kind: "socket", listener });
        return w.addFd(new Ref(listener));
      }
      case "unixConnect": {
        const node = fs.need(a[0]);
        if (node.kind !== "socket" || !(node.listener instanceof ListenerEndpoint)) throw new WorldError("ECONNREFUSED", a[0]);
        return w.addFd(new Ref(node.listener.connect()));
      }
      default:
        throw new Error(`engine world: the shims made a call it does not know: ${name}`);
    }
  }
}
