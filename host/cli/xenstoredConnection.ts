// Which xenstored a command talks to, and the connection to it. The order follows libxenstore
// (XENSTORED_PATH, then XENSTORED_RUNDIR/socket, then /var/run/xenstored/socket), with two
// additions: an explicit --socket first, and a live dev-mode `stubdomctl run` before the default.
import { connect } from "node:net";
import { join } from "node:path";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { socketTransport } from "../../runtime/xenstore/socketTransport.ts";
import { CliError, EXIT } from "./args.ts";
import { readLiveRunState, runStateDir, type RunState } from "../dev/runState.ts";

export const DEFAULT_XENSTORED_SOCKET = "/var/run/xenstored/socket";

/** One line for each command's --help; the whole order is in `stubdomctl --help`. */
export const SOCKET_HELP = "the xenstored socket (default: $XENSTORED_PATH, else " + DEFAULT_XENSTORED_SOCKET + "; stubdomctl --help has the whole order)";

export interface SocketChoice {
  path: string;
  /** Where the path came from, for sentences. */
  source: string;
  /** The live dev-mode run, when the path is its daemon. */
  devRun?: RunState;
}

export function chooseSocket(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): SocketChoice {
  const run = readLiveRunState(runStateDir(env));
  const choice = ((): SocketChoice => {
    if (flag !== undefined) return { path: flag, source: "--socket" };
    if (env.XENSTORED_PATH) return { path: env.XENSTORED_PATH, source: "XENSTORED_PATH" };
    if (env.XENSTORED_RUNDIR) return { path: join(env.XENSTORED_RUNDIR, "socket"), source: "XENSTORED_RUNDIR" };
    if (run) return { path: run.socket, source: `the dev-mode run (pid ${run.pid})` };
    return { path: DEFAULT_XENSTORED_SOCKET, source: "the default" };
  })();
  return run && run.socket === choice.path ? { ...choice, devRun: run } : choice;
}

export interface Connection {
  xs: XenStoreClient;
  /** Resolves with the reason when the daemon closes the connection (or we do). */
  closed: Promise<string>;
}

/** Connects as dom0; a path nobody listens on is exit 3, with the path and where it came from. */
export function openXenStore(choice: SocketChoice): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const sock = connect(choice.path);
    sock.once("connect", () => {
      sock.removeAllListeners("error");
      const closed = new Promise<string>((r) => {
        sock.once("close", () => r("connection closed"));
        sock.on("error", (e) => r(e.message));
      });
      resolve({ xs: new XenStoreClient(socketTransport(sock)), closed });
    });
    sock.once("error", (e: NodeJS.ErrnoException) => {
      reject(new CliError(`xenstored is not running at ${choice.path} (${e.code ?? e.message}; the path is ${choice.source})`, EXIT.noDaemon));
    });
  });
}

export async function connectXenStore(choice: SocketChoice): Promise<XenStoreClient> {
  return (await openXenStore(choice)).xs;
}

/** Runs `body` with a connection, closing it after, whatever happens. */
export async function withXenStore<T>(choice: SocketChoice, body: (xs: XenStoreClient) => Promise<T>): Promise<T> {
  const xs = await connectXenStore(choice);
  try {
    return await body(xs);
  } finally {
    xs.close();
  }
}
