// `stubdomctl xenstored --socket PATH`: the development daemon in the foreground.
import { connect } from "node:net";
import { CliError, EXIT, EXIT_CODES_HELP, parseFlags, usageError } from "./args.ts";
import { XenStoreServer } from "../xenstored/server.ts";

export const XENSTORED_HELP = `usage: stubdomctl xenstored --socket PATH [-q]

Runs the development XenStore daemon (tree, permissions, watches, transactions, quotas, SET_TARGET)
in the foreground on the unix socket PATH, where every connection is dom0, until interrupted.
Xen's own clients work against it: XENSTORED_PATH=PATH xenstore-ls.
Prints one line once it serves, then one per connection opened or closed; refuses a PATH where a
daemon already answers.

options:
  --socket PATH   the socket to listen on
  -q, --quiet     do not log connections
  -h, --help      this text

${EXIT_CODES_HELP}`;

/** Whether something accepts connections at `path` already. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

export async function xenstoredCommand(args: string[]): Promise<number> {
  const { values } = parseFlags("xenstored", args, { socket: { type: "string" }, quiet: { type: "boolean", short: "q" } });
  if (values.help) {
    process.stdout.write(XENSTORED_HELP);
    return EXIT.ok;
  }
  const path = values.socket;
  if (!path) throw usageError("--socket PATH is required");
  if (await answers(path)) throw new CliError(`a daemon already answers at ${path}`, EXIT.failed);
  const server = new XenStoreServer(values.quiet ? undefined : (line) => console.log(line));
  // Listen before the first await that could let a signal in, and stop on the first signal.
  const stopped = new Promise<void>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(sig, () => resolve());
  });
  try {
    await server.listen(path, 0);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? /\b(E[A-Z]+)\b/.exec((e as Error).message)?.[1] ?? (e as Error).message;
    throw new CliError(`cannot listen on ${path} (${reason})`, EXIT.failed);
  }
  console.log(`xenstored: serving ${path} (dom0); XENSTORED_PATH=${path} xenstore-ls works against it`);
  await stopped;
  await server.close();
  return EXIT.ok;
}
