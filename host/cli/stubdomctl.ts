// stubdomctl: the dom0-side tool. Each command lives in host/cli/cmd<Name>.ts; this file dispatches,
// and turns a failure into `stubdomctl <command>: <one sentence>` and its exit code. The same table
// serves the development checkout (every command) and the Debian package (the commands a Xen host
// uses: no dev-mode VM and no development xenstored there).
import { pathToFileURL } from "node:url";
import { XenStoreError } from "../../runtime/xenstore/client.ts";
import { CliError, EXIT, EXIT_CODES_HELP, fromXenStoreError, S_HELP } from "./args.ts";

type Command = (args: string[]) => Promise<number>;

interface CommandEntry {
  /** Loaded on demand: a command pays only for its own modules (TypeBox alone takes ~0.7 s). */
  load: () => Promise<Command>;
  /** Its lines in `stubdomctl --help`. */
  usage: string;
  /** Development only: left out of the Debian package. */
  dev?: true;
}

export const COMMANDS: Record<string, CommandEntry> = {
  seed: {
    load: async () => (await import("./cmdSeed.ts")).seedCommand,
    usage: `  seed --stubdom S --guest G [--uuid U] [--name N] [settings] -- QEMU-ARG...
                                write libxl's keys for stubdom S of guest G, and our settings`,
    dev: true,
  },
  status: {
    load: async () => (await import("./cmdStatus.ts")).statusCommand,
    usage: "  status [S] [--json]           a stubdom's health (every stubdom's, without S)",
  },
  watch: {
    load: async () => (await import("./cmdWatch.ts")).watchCommand,
    usage: "  watch [S]                     one line per health change, until interrupted",
  },
  set: {
    load: async () => (await import("./cmdSet.ts")).setCommand,
    usage: "  set S KEY=VALUE... [--unset KEY]\n                                change settings of running stubdom S (applied live)",
  },
  console: {
    load: async () => (await import("./cmdConsole.ts")).consoleCommand,
    usage: "  console [S] [N]               attach to stubdom S's console (Ctrl-] detaches)",
  },
  run: {
    load: async () => (await import("./cmdRun.ts")).runCommand,
    usage: "  run [--guest IMAGE] [--memory MiB]\n                                dev mode: xenstored + the stubdom VM under QEMU, no Xen",
    dev: true,
  },
  xenstored: {
    load: async () => (await import("./cmdXenstored.ts")).xenstoredCommand,
    usage: "  xenstored --socket PATH       the development XenStore daemon, in the foreground",
    dev: true,
  },
};

/** Every command in a checkout; without the development ones in the Debian package. */
export const commandNames = (packaged: boolean): string[] => Object.keys(COMMANDS).filter((c) => !packaged || !COMMANDS[c]?.dev);

export function usage(packaged: boolean): string {
  const socketOrder = packaged
    ? "--socket PATH, else $XENSTORED_PATH, else $XENSTORED_RUNDIR/socket, else /var/run/xenstored/socket."
    : "--socket PATH, else $XENSTORED_PATH, else $XENSTORED_RUNDIR/socket, else the\nlive `stubdomctl run`, else /var/run/xenstored/socket.";
  return `usage: stubdomctl <command> [options]     (stubdomctl <command> --help for each)

commands:
${commandNames(packaged).map((c) => COMMANDS[c]?.usage).join("\n")}

${S_HELP}
The XenStore socket: ${socketOrder}

${EXIT_CODES_HELP}`;
}

export async function main(argv: string[], packaged = false): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "-h" || cmd === "--help" || cmd === "help") {
    (cmd === undefined ? process.stderr : process.stdout).write(usage(packaged));
    return cmd === undefined ? EXIT.usage : EXIT.ok;
  }
  const names = commandNames(packaged);
  const entry = names.includes(cmd) ? COMMANDS[cmd] : undefined;
  if (!entry) {
    const devNote = packaged && COMMANDS[cmd] ? ` (${JSON.stringify(cmd)} is for development, from a checkout of stubdom-init)` : "";
    process.stderr.write(`stubdomctl: unknown command ${JSON.stringify(cmd)}${devNote} (commands: ${names.join(", ")}; see stubdomctl --help)\n`);
    return EXIT.usage;
  }
  try {
    return await (await entry.load())(rest);
  } catch (e) {
    const err = e instanceof CliError ? e : e instanceof XenStoreError ? fromXenStoreError(e) : new CliError((e as Error).message, EXIT.failed);
    process.stderr.write(`stubdomctl ${cmd}: ${err.message}\n`);
    return err.code;
  }
}

/** The process entry: exits with main's code, so no stray timer outlives a command. */
export async function runCli(argv: string[], packaged = false): Promise<never> {
  const code = await main(argv, packaged);
  process.exit(code);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) void runCli(process.argv.slice(2));
