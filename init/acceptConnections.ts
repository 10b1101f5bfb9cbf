// A unix-socket listener on PID 1's event loop: nonblocking, every waiting connection accepted
// each time it turns readable, and a failed accept a log line, never an exception.
import type { Sys } from "../runtime/sys.ts";
import type { Log } from "./log.ts";

/** Hands each connection on `listenFd` to `onConnection`; `what` names the peer in log lines. */
export function acceptConnections(sys: Sys, log: Log, listenFd: number, what: string, onConnection: (fd: number) => void): void {
  sys.setNonblocking(listenFd);
  sys.onReadable(listenFd, () => {
    for (;;) {
      let fd: number | undefined;
      try {
        fd = sys.accept(listenFd);
      } catch (e) {
        log.warn(`${what}: ${(e as Error).message}`);
        return;
      }
      if (fd === undefined) return;
      onConnection(fd);
    }
  });
}
