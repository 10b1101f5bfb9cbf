// `stubdomctl console [S] [N]`: a raw terminal on hvcN of the dev-mode stubdom, through the
// attach socket the live `stubdomctl run` serves; Ctrl-] detaches, as with xl console. On a Xen
// host the consoles belong to xenconsoled and the toolstack: we name the xl command instead.
import { connect } from "node:net";
import { XenStoreError } from "../../runtime/xenstore/client.ts";
import { CliError, EXIT, EXIT_CODES_HELP, parseConsoleNumber, parseDomid, parseFlags, usageError } from "./args.ts";
import { chooseSocket, SOCKET_HELP, withXenStore, type SocketChoice } from "./xenstoredConnection.ts";
import type { RunState } from "../dev/runState.ts";

export const CONSOLE_HELP = `usage: stubdomctl console [S] [N] [-e CHAR] [--socket PATH]

Attaches the terminal, raw, to console N (default 0) of dev-mode stubdom S (default: the one the
live \`stubdomctl run\` boots): hvc0 is the supervisor's log, hvc1 save, hvc2 restore, hvc3 the
guest's serial port. The console's recent output is shown first. Ctrl-] detaches.
When the xenstored socket is not a dev-mode run's, S is a stubdom on a Xen host: this prints the
\`xl console -t pv -n N <stubdom name>\` command to use and exits 6.

options:
  -e, --escape CHAR  the detach key: ^X for Ctrl-X, or one character (default ^], as xl console)
  --socket PATH      ${SOCKET_HELP}
  -h, --help         this text

${EXIT_CODES_HELP}`;

/** `^]` → 0x1d, `^a` → 0x01, `q` → 0x71, as xenconsole reads its --escape. */
export function parseEscape(text: string): number {
  if (text.length === 2 && text[0] === "^") return text.charCodeAt(1) & 0x1f;
  if (text.length === 1 && text.charCodeAt(0) < 0x80) return text.charCodeAt(0);
  throw usageError(`escape ${JSON.stringify(text)} is neither ^X nor one character`);
}

const escapeName = (code: number): string => (code < 0x20 ? `Ctrl-${String.fromCharCode(code | 0x40)}` : JSON.stringify(String.fromCharCode(code)));

/** Pure: the xl command that attaches to console N of a stubdom on a Xen host. */
export function xlConsoleHint(stubdom: number, name: string, n: number, guestName: string | undefined): string {
  const target = name || String(stubdom);
  const also = n === 3 && guestName ? ` (the guest's serial: \`xl console ${guestName}\` also works)` : "";
  return `stubdom ${stubdom} is not a dev-mode stubdom: on a Xen host attach with \`xl console -t pv -n ${n} ${target}\`${also}`;
}

async function xenHostHint(choice: SocketChoice, stubdom: number, n: number): Promise<never> {
  const hint = await withXenStore(choice, async (xs) => {
    const opt = (p: string): Promise<string | undefined> =>
      xs.readString(p).catch((e) => (e instanceof XenStoreError && e.code === "ENOENT" ? undefined : Promise.reject(e)));
    const dom = `/local/domain/${stubdom}`;
    const [exists, name, target] = await Promise.all([opt(dom), opt(`${dom}/name`), opt(`${dom}/target`)]);
    if (exists === undefined) throw new CliError(`no domain ${stubdom}: ${dom} does not exist`, EXIT.noStubdom);
    const guestName = target && /^[0-9]+$/.test(target) ? await opt(`/local/domain/${target}/name`) : undefined;
    return xlConsoleHint(stubdom, name ?? "", n, guestName);
  });
  throw new CliError(hint, EXIT.notDevMode);
}

/** Relays bytes between the terminal and the attach socket until the escape key or the far end closes. */
function attach(path: string, label: string, escape: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const stdin = process.stdin;
    const raw = stdin.isTTY === true;
    let done = false;
    const finish = (code: number, sentence?: string): void => {
      if (done) return;
      done = true;
      for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.removeListener(sig, onSignal);
      if (raw) stdin.setRawMode(false);
      stdin.removeListener("data", onInput);
      stdin.pause();
      sock.destroy();
      if (sentence) process.stderr.write(`${raw ? "\r\n" : ""}stubdomctl console: ${sentence}\n`);
      resolve(code);
    };
    const onSignal = (): void => finish(EXIT.ok, `detached from ${label}`);
    const onInput = (b: Buffer): void => {
      const i = b.indexOf(escape);
      if (i < 0) return void sock.write(b);
      if (i > 0) sock.write(b.subarray(0, i));
      finish(EXIT.ok, `detached from ${label}`);
    };
    sock.once("error", (e: NodeJS.ErrnoException) => {
      if (!done) reject(new CliError(`the dev-mode console socket ${path} does not answer (${e.code ?? e.message})`, EXIT.noDaemon));
      done = true;
    });
    sock.once("connect", () => {
      sock.removeAllListeners("error");
      sock.on("error", () => undefined);
      process.stderr.write(`stubdomctl console: attached to ${label}; ${escapeName(escape)} detaches\n`);
      sock.on("data", (b: Buffer) => process.stdout.write(b));
      sock.on("close", () => finish(EXIT.failed, `the dev-mode run closed ${label}`));
      for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal);
      if (raw) stdin.setRawMode(true);
      stdin.on("data", onInput);
      stdin.resume();
    });
  });
}

export async function consoleCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("console", args, { escape: { type: "string", short: "e" }, socket: { type: "string" } }, 2);
  if (values.help) {
    process.stdout.write(CONSOLE_HELP);
    return EXIT.ok;
  }
  const escape = parseEscape(values.escape ?? "^]");
  const given = positionals[0] === undefined ? undefined : parseDomid(positionals[0], "stubdom");
  const n = positionals[1] === undefined ? 0 : parseConsoleNumber(positionals[1]);
  const choice = chooseSocket(values.socket);
  const run: RunState | undefined = choice.devRun;
  if (!run) {
    if (given === undefined) throw usageError(`give the stubdom's domain id: no dev-mode run is live and xenstored is at ${choice.path} (${choice.source})`);
    return xenHostHint(choice, given, n);
  }
  const stubdom = given ?? run.stubdom;
  if (stubdom !== run.stubdom) throw new CliError(`stubdom ${stubdom} has no dev-mode console: the run (pid ${run.pid}) boots stubdom ${run.stubdom}`, EXIT.noStubdom);
  const path = run.consoles[String(n)];
  if (path === undefined) throw usageError(`stubdom ${stubdom} has no console ${n} (dev mode has ${Object.keys(run.consoles).join(", ")})`);
  return attach(path, `hvc${n} of stubdom ${stubdom} (${run.name})`, escape);
}
