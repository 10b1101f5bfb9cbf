// The stubdom console dom0 can attach to. Stock libxl serves console 0 from a dom0 QEMU that only
// writes a file, so a person reaches the stubdom through a channel of ours instead: a vchan only
// dom0 can map (vchan-socket-proxy in server mode, the console-proxy service) connects to this
// init's unix socket for each dom0 client, one at a time. A connection gets, by the debug-shell
// setting at that moment:
//   off: the supervisor's recent log lines, then the live log; what dom0 types runs nothing, and
//        the first keystroke is answered with a sentence that says so;
//   on:  a root shell on a pty of its own (a session with job control), ended when dom0 detaches.
// A setting change ends the open connection; the proxy, still connected to dom0, connects again
// at once, so the attached person moves from the log to the shell (or back) without reattaching.
import { fdStream, type ByteStream } from "../runtime/fdStream.ts";
import { describeExit, SIGNALS, type Sys } from "../runtime/sys.ts";
import { encodeUtf8 } from "../runtime/utf8.ts";
import { acceptConnections } from "./acceptConnections.ts";
import type { Log } from "./log.ts";
import type { Reaper } from "./reaper.ts";

export const CONSOLE_SOCKET = "/run/console/console.sock";
/** What either direction may hold unread; a shell that floods a dom0 that does not read ends the session. */
const SESSION_QUEUE_BYTES = 256 * 1024;
export const SHELL_ENV = ["TERM=linux", "HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "PS1=stubdom# "];

interface Session {
  kind: "log" | "shell";
  end(why: string): void;
}

export interface ConsoleDeps {
  sys: Sys;
  log: Log;
  reaper: Reaper;
}

/** Pure: the first line a connection gets. */
export function greeting(kind: "log" | "shell"): string {
  return kind === "shell"
    ? "stubdom console: a root shell in the stubdom (debug-shell is on); exit ends it, detaching hangs it up\r\n"
    : "stubdom console: the supervisor's log, recent lines first; debug-shell is off, so typing here runs nothing\r\n";
}

export const TYPING_REFUSED = "stubdom console: typing runs nothing here: the debug shell is off (dom0: stubdomctl set <stubdom> debug-shell=true)\r\n";

export class ConsoleChannel {
  private session: Session | undefined;
  private listenFd: number | undefined;

  constructor(
    private readonly d: ConsoleDeps,
    private shell: boolean,
  ) {}

  /** Listens on `path` (its directory 0700: only root in the stubdom may connect). */
  listen(path = CONSOLE_SOCKET): void {
    const { sys, log } = this.d;
    sys.mkdir(path.slice(0, path.lastIndexOf("/")), 0o700);
    const fd = sys.unixListen(path);
    this.listenFd = fd;
    acceptConnections(sys, log, fd, "console: accepting dom0's connection", (conn) => {
      this.session?.end("a new dom0 connection replaced it");
      this.open(conn);
    });
  }

  /** The debug-shell setting changed: the open connection ends, and its next one is of the new kind. */
  setShell(enabled: boolean): void {
    if (enabled === this.shell) return;
    this.shell = enabled;
    this.session?.end(enabled ? "the debug shell was turned on" : "the debug shell was turned off");
  }

  get sessionKind(): "log" | "shell" | undefined {
    return this.session?.kind;
  }

  stop(): void {
    this.session?.end("the stubdom is stopping");
    if (this.listenFd !== undefined) {
      this.d.sys.onReadable(this.listenFd, null);
      this.d.sys.close(this.listenFd);
      this.listenFd = undefined;
    }
  }

  private open(fd: number): void {
    const peer = fdStream(this.d.sys, fd, "dom0's console connection", SESSION_QUEUE_BYTES);
    const kind = this.shell ? "shell" : "log";
    const done = (s: Session): void => {
      if (this.session === s) this.session = undefined;
    };
    try {
      peer.write(encodeUtf8(greeting(kind)));
      this.session = kind === "shell" ? this.shellSession(peer, done) : this.logSession(peer, done);
      this.d.log.info(`console: dom0 attached (${kind === "shell" ? "a root shell" : "the log"})`);
    } catch (e) {
      this.d.log.warn(`console: ${kind === "shell" ? "starting the shell" : "serving the log"} for dom0 failed: ${(e as Error).message}`);
      peer.close();
    }
  }

  private logSession(peer: ByteStream, done: (s: Session) => void): Session {
    const { log } = this.d;
    /** A dom0 that does not read loses what it is sent, never the supervisor's time. */
    const send = (bytes: Uint8Array): void => {
      try {
        peer.write(bytes);
      } catch {
        return;
      }
    };
    for (const line of log.recent()) peer.write(crlf(line));
    let told = false;
    let ended = false;
    const stopListening = log.listen((line) => send(crlf(line)));
    const session: Session = {
      kind: "log",
      end: (why) => {
        if (ended) return;
        ended = true;
        stopListening();
        done(session);
        peer.close();
        log.info(`console: dom0's log connection ended: ${why}`);
      },
    };
    peer.onData(() => {
      if (told) return;
      told = true;
      send(encodeUtf8(TYPING_REFUSED));
    });
    peer.onClose((why) => session.end(why));
    return session;
  }

  private shellSession(peer: ByteStream, done: (s: Session) => void): Session {
    const { sys, log, reaper } = this.d;
    const [master, slave] = sys.openpty();
    let pid: number;
    try {
      pid = sys.spawn(["/bin/sh", "-i"], { fds: [slave, slave, slave], ctty: 0, env: SHELL_ENV });
    } finally {
      sys.close(slave);
    }
    const tty = fdStream(sys, master, "the shell's pty", SESSION_QUEUE_BYTES);
    let alive = true;
    let ended = false;
    const session: Session = {
      kind: "shell",
      end: (why) => {
        if (ended) return;
        ended = true;
        done(session);
        // Closing the master hangs the terminal up; the signal makes sure the shell goes too.
        tty.close();
        peer.close();
        if (alive) {
          try {
            sys.kill(pid, SIGNALS.SIGHUP);
          } catch {
            // It ended meanwhile; the reaper has its status.
          }
        }
        log.info(`console: dom0's shell (pid ${pid}) ended: ${why}`);
      },
    };
    reaper.own(pid, (e) => {
      alive = false;
      session.end(`the shell exited with ${describeExit(e)}`);
    });
    const relay = (to: ByteStream, what: string) => (bytes: Uint8Array): void => {
      try {
        to.write(bytes);
      } catch (e) {
        session.end(`${what}: ${(e as Error).message}`);
      }
    };
    peer.onData(relay(tty, "typing into the shell"));
    tty.onData(relay(peer, "the shell's output to dom0"));
    peer.onClose((why) => session.end(`dom0 detached (${why})`));
    tty.onClose((why) => session.end(why));
    return session;
  }
}

/** Log lines end in \n; the far end is a raw terminal, which needs \r\n. */
function crlf(line: Uint8Array): Uint8Array {
  const out = new Uint8Array(line.length + 1);
  out.set(line.subarray(0, line.length - 1));
  out[line.length - 1] = 0x0d;
  out[line.length] = 0x0a;
  return out;
}
