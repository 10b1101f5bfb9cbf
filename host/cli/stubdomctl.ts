// stubdomctl: the dom0-side tool. Each command lives in host/cli/cmd<Name>.ts; this file dispatches,
// and turns a failure into `stubdomctl <command>: <one sentence>` and its exit code.
import { pathToFileURL } from "node:url";
import { XenStoreError } from "../../runtime/xenstore/client.ts";
import { CliError, EXIT, EXIT_CODES_HELP, fromXenStoreError } from "./args.ts";

type Command = (args: string[]) => Promise<number>;

/** Loaded on demand: a command pays only for its own modules (TypeBox alone takes ~0.7 s). */
const COMMANDS: Record<string, () => Promise<Command>> = {
  seed: async () => (await import("./cmdSeed.ts")).seedCommand,
  status: async () => (await import("./cmdStatus.ts")).statusCommand,
  watch: async () => (await import("./cmdWatch.ts")).watchCommand,
  console: async () => (await import("./cmdConsole.ts")).consoleCommand,
  run: async () => (await import("./cmdRun.ts")).runCommand,
  xenstored: async () => (await import("./cmdXenstored.ts")).xenstoredCommand,
};

export const USAGE = `usage: stubdomctl <command> [options]     (stubdomctl <command> --help for each)

commands:
  seed --stubdom S --guest G [--uuid U] [--name N] [settings] -- QEMU-ARG...
                                write libxl's keys for stubdom S of guest G, and our settings
  status [S] [--json]           a stubdom's health (every stubdom's, without S)
  watch [S]                     one line per health change, until interrupted
  console [S] [N]               attach to hvcN of the dev-mode stubdom (Ctrl-] detaches)
  run [--guest IMAGE] [--memory MiB]
                                dev mode: xenstored + the stubdom VM under QEMU, no Xen
  xenstored --socket PATH       the development XenStore daemon, in the foreground

The XenStore socket: --socket PATH, else $XENSTORED_PATH, else $XENSTORED_RUNDIR/socket, else the
live \`stubdomctl run\`, else /var/run/xenstored/socket.

${EXIT_CODES_HELP}`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "-h" || cmd === "--help" || cmd === "help") {
    (cmd === undefined ? process.stderr : process.stdout).write(USAGE);
    return cmd === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    process.stderr.write(`stubdomctl: unknown command ${JSON.stringify(cmd)} (commands: ${Object.keys(COMMANDS).join(", ")}; see stubdomctl --help)\n`);
    return EXIT.usage;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    const err = e instanceof CliError ? e : e instanceof XenStoreError ? fromXenStoreError(e) : new CliError((e as Error).message, EXIT.failed);
    process.stderr.write(`stubdomctl ${cmd}: ${err.message}\n`);
    return err.code;
  }
}

/** The process entry: exits with main's code, so no stray timer outlives a command. */
export async function runCli(argv: string[]): Promise<never> {
  const code = await main(argv);
  process.exit(code);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) void runCli(process.argv.slice(2));
