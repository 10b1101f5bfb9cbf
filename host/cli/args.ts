// What every stubdomctl command shares: its exit codes, the error that carries one, and the
// parsing of flags and domain ids into sentences that name the value at fault.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { XenStoreError } from "../../runtime/xenstore/client.ts";

/** Exit codes, the same for every command (documented in `stubdomctl --help`). */
export const EXIT = {
  ok: 0,
  /** The stubdom reports `failed`, or the operation did not succeed. */
  failed: 1,
  /** An unknown command or option, a missing or malformed value. */
  usage: 2,
  /** Nothing answers at the xenstored socket path. */
  noDaemon: 3,
  /** The domain, or its stubdom health, is not in XenStore. */
  noStubdom: 4,
  /** xenstored refused a request (permission, quota, size). */
  refused: 5,
  /** A console of a Xen host's stubdom that xenconsoled serves: the message names the `xl console` command. */
  notDevMode: 6,
} as const;

export const EXIT_CODES_HELP = `exit status:
  0  success
  1  the stubdom reports failed, or the operation did not succeed
  2  usage: unknown command or option, a missing or malformed value
  3  xenstored does not answer at the socket path
  4  no such stubdom: the domain or its health is not in XenStore
  5  xenstored refused a request (permission, quota, size)
  6  console N on a Xen host: xenconsoled serves it; the message names the xl console command
`;

/** How every command that takes S reads it (host/cli/stubdomRef.ts). */
export const S_HELP = "S is a stubdom's domain id or name, or the name of the guest it serves.";

/** A failure with its sentence and exit code; the dispatcher prints `stubdomctl <cmd>: <sentence>`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export const usageError = (sentence: string): CliError => new CliError(sentence, EXIT.usage);

/** Xen's first reserved domain id (DOMID_FIRST_RESERVED, 0x7FF0): real domains are below it. */
export const DOMID_LIMIT = 0x7ff0;

/** A guest or stubdom id as the user typed it: a whole number from 1 to 32751. */
export function parseDomid(text: string, what: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) >= DOMID_LIMIT) {
    throw usageError(`${what} ${JSON.stringify(text)} is not a domain id (a whole number from 1 to ${DOMID_LIMIT - 1})`);
  }
  return Number(text);
}

/** A console number, as `xl console -n`: 0 is the stubdom's log, 3 and up the guest's serial ports. */
export function parseConsoleNumber(text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) > 9) throw usageError(`console number ${JSON.stringify(text)} is not a whole number from 0 to 9`);
  return Number(text);
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * node:util parseArgs, strict, with its errors turned into one sentence that names the option;
 * `--help` / `-h` is added to every command.
 */
export function parseFlags<O extends Options>(command: string, args: string[], options: O, maxPositionals = 0) {
  const all = { ...options, help: { type: "boolean", short: "h" } } as O & { help: { type: "boolean"; short: "h" } };
  const parse = () => parseArgs({ args, options: all, allowPositionals: true, strict: true });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const name = /'(-[^']*)'/.exec(err.message)?.[1] ?? "";
    switch (err.code) {
      case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
        throw usageError(`unknown option ${name} (see stubdomctl ${command} --help)`);
      case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
        throw usageError(/argument missing/.test(err.message) ? `option ${name.split(",").pop()?.trim().split(" ")[0]} needs a value` : `option ${name} takes no value`);
      default:
        throw usageError(err.message);
    }
  }
  if (!(parsed.values as { help?: boolean }).help && parsed.positionals.length > maxPositionals) {
    throw usageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])} (see stubdomctl ${command} --help)`);
  }
  return parsed;
}

/** The exit code for an error out of a XenStore request, and its sentence. */
export function fromXenStoreError(e: XenStoreError): CliError {
  if (e.code === "EPIPE") return new CliError(`lost the connection to xenstored during ${e.op} ${e.path}`, EXIT.noDaemon);
  if (e.code === "ENOENT") return new CliError(`${e.path} does not exist`, EXIT.noStubdom);
  return new CliError(`xenstored refused ${e.op} ${e.path}: ${e.code}`, EXIT.refused);
}
