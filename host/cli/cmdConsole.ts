// `stubdomctl console [S] [N]`: a raw terminal on a stubdom's console; Ctrl-] detaches, as with
// xl console. On a Xen host it is the stubdom's console channel (init/consoleChannel.ts), a vchan
// only dom0 can map, reached through Xen's vchan-socket-proxy; stock libxl gives no interactive
// console 0. In dev mode it is hvcN, through the attach socket the live `stubdomctl run` serves.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { connect } from "node:net";
import { consoleVchanDir } from "../../init/stubdomPaths.ts";
import { CliError, EXIT, EXIT_CODES_HELP, parseConsoleNumber, parseFlags, S_HELP, usageError } from "./args.ts";
import { parseStubdomRef, requireDomain, resolveStubdom, type StubdomRef } from "./stubdomRef.ts";
import { readOptional } from "./xenstoreOptional.ts";
import { chooseSocket, SOCKET_HELP, withXenStore, type SocketChoice } from "./xenstoredConnection.ts";
import type { RunState } from "../dev/runState.ts";

export const CONSOLE_HELP = `usage: stubdomctl console [S] [N] [-e CHAR] [--socket PATH]

On a Xen host: attaches the terminal, raw, to stubdom S's console channel, a vchan only dom0 can
map (${consoleVchanDir(0).replace("/0/", "/<S>/")}), through Xen's vchan-socket-proxy. With the
stubdom's debug-shell setting off it shows the supervisor's recent log lines, then the live log,
and typing runs nothing; with it on (stubdomctl set S debug-shell=true, applied at once, even
while attached) it is a root shell in the stubdom, with job control. N from 1 up prints the
\`xl console -t pv -n N <stubdom name>\` command for that console instead and exits 6 (3 is the
guest's first serial port).
In dev mode (the xenstored of a live \`stubdomctl run\`): console N (default 0) of the dev-mode
stubdom (default: the one the run boots): hvc0 is the supervisor's log, hvc1 save, hvc2 restore,
hvc3 the guest's serial port, recent output first.
Ctrl-] detaches.
${S_HELP}

options:
  -e, --escape CHAR  the detach key: ^X for Ctrl-X, or one character (default ^], as xl console)
  --socket PATH      ${SOCKET_HELP}
  -h, --help         this text

environment:
  STUBDOMCTL_VCHAN_PROXY  the vchan-socket-proxy to run (default: /usr/bin/vchan-socket-proxy, else
                          /usr/lib/xen-<release>/bin/vchan-socket-proxy)

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
  return `stubdom ${stubdom}'s console ${n} belongs to xenconsoled: attach with \`xl console -t pv -n ${n} ${target}\`${also}`;
}

async function xenHostHint(choice: SocketChoice, ref: StubdomRef, n: number): Promise<never> {
  const hint = await withXenStore(choice, async (xs) => {
    const stubdom = await resolveStubdom(xs, ref);
    await requireDomain(xs, stubdom);
    const dom = `/local/domain/${stubdom}`;
    const [name, target] = await Promise.all([readOptional(xs, `${dom}/name`), readOptional(xs, `${dom}/target`)]);
    const guestName = target && /^[0-9]+$/.test(target) ? await readOptional(xs, `/local/domain/${target}/name`) : undefined;
    return xlConsoleHint(stubdom, name ?? "", n, guestName);
  });
  throw new CliError(hint, EXIT.notDevMode);
}

/** Either far end of a console: the dev-mode run's socket, or vchan-socket-proxy's stdio on a Xen host. */
interface Link {
  write(b: Buffer): void;
  onData(cb: (b: Buffer) => void): void;
  /** Once, when the far end is gone: an exit code and the sentence for it. */
  onEnd(cb: (code: number, sentence: string) => void): void;
  close(): void;
}

function socketLink(path: string, label: string): Promise<Link> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    sock.once("error", (e: NodeJS.ErrnoException) => reject(new CliError(`the dev-mode console socket ${path} does not answer (${e.code ?? e.message})`, EXIT.noDaemon)));
    sock.once("connect", () => {
      sock.removeAllListeners("error");
      sock.on("error", () => undefined);
      resolve({
        write: (b) => void sock.write(b),
        onData: (cb) => void sock.on("data", cb),
        onEnd: (cb) => void sock.on("close", () => cb(EXIT.failed, `the dev-mode run closed ${label}`)),
        close: () => sock.destroy(),
      });
    });
  });
}

/** How long a detached proxy may take to close the vchan before it is killed. */
const PROXY_EXIT_MS = 2000;

function proxyLink(proxy: string, stubdom: number, dir: string): Link {
  const child = spawn(proxy, ["--mode=client", String(stubdom), dir, "-"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => void (stderr = (stderr + b.toString()).slice(-2000)));
  child.stdin.on("error", () => undefined);
  let ended: ((code: number, sentence: string) => void) | undefined;
  let closing = false;
  const said = (): string => (stderr.trim() ? `: ${stderr.trim().split("\n").slice(-2).join("; ")}` : "");
  child.once("error", (e: NodeJS.ErrnoException) => ended?.(EXIT.failed, `cannot run ${proxy} (${e.code ?? e.message})`));
  child.once("exit", (code, signal) => {
    if (closing) return;
    ended?.(EXIT.failed, `the console channel of stubdom ${stubdom} closed (${proxy} ended with ${signal ?? `code ${code}`}${said()})`);
  });
  return {
    write: (b) => void child.stdin.write(b),
    onData: (cb) => void child.stdout.on("data", cb),
    onEnd: (cb) => void (ended = cb),
    close: () => {
      closing = true;
      // End of input makes the proxy close the vchan itself; a kill is the bound.
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), PROXY_EXIT_MS);
      child.once("exit", () => clearTimeout(timer));
    },
  };
}

/** Relays bytes between the terminal and `link` until the escape key or the far end goes. */
function attach(link: Link, label: string, escape: number): Promise<number> {
  return new Promise((resolve) => {
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
      link.close();
      if (sentence) process.stderr.write(`${raw ? "\r\n" : ""}stubdomctl console: ${sentence}\n`);
      resolve(code);
    };
    const onSignal = (): void => finish(EXIT.ok, `detached from ${label}`);
    const onInput = (b: Buffer): void => {
      const i = b.indexOf(escape);
      if (i < 0) return void link.write(b);
      if (i > 0) link.write(b.subarray(0, i));
      finish(EXIT.ok, `detached from ${label}`);
    };
    process.stderr.write(`stubdomctl console: attached to ${label}; ${escapeName(escape)} detaches\n`);
    link.onData((b) => process.stdout.write(b));
    link.onEnd((code, sentence) => finish(code, sentence));
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal);
    if (raw) stdin.setRawMode(true);
    stdin.on("data", onInput);
    stdin.resume();
  });
}

/** Where Debian and upstream install vchan-socket-proxy; $STUBDOMCTL_VCHAN_PROXY first. */
export function findVchanProxy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.STUBDOMCTL_VCHAN_PROXY) return env.STUBDOMCTL_VCHAN_PROXY;
  const versioned = existsSync("/usr/lib") ? readdirSync("/usr/lib").filter((d) => /^xen-[0-9.]+$/.test(d)).sort().reverse().map((d) => `/usr/lib/${d}/bin/vchan-socket-proxy`) : [];
  return ["/usr/bin/vchan-socket-proxy", ...versioned, "/usr/lib/xen/bin/vchan-socket-proxy", "/usr/libexec/xen/bin/vchan-socket-proxy"].find((p) => existsSync(p));
}

/** The stubdom's console channel on a Xen host: its vchan must be published before the proxy waits on it. */
async function xenConsole(choice: SocketChoice, ref: StubdomRef, escape: number): Promise<number> {
  const { stubdom, name } = await withXenStore(choice, async (xs) => {
    const id = await resolveStubdom(xs, ref);
    await requireDomain(xs, id);
    const ring = `${consoleVchanDir(id)}/ring-ref`;
    if ((await readOptional(xs, ring)) === undefined) {
      throw new CliError(`stubdom ${id} serves no console channel: ${ring} does not exist (not a stubdom of ours, an image without the channel, or its boot has not got that far; \`xl console -t pv -n 3 <stubdom>\` reaches the guest's serial)`, EXIT.noStubdom);
    }
    return { stubdom: id, name: (await readOptional(xs, `/local/domain/${id}/name`)) ?? "" };
  });
  const proxy = findVchanProxy();
  if (!proxy) throw new CliError("no vchan-socket-proxy: install Xen's utilities (Debian: xen-utils-<release>) or set STUBDOMCTL_VCHAN_PROXY", EXIT.failed);
  return attach(proxyLink(proxy, stubdom, consoleVchanDir(stubdom)), `the console of stubdom ${stubdom}${name ? ` (${name})` : ""}`, escape);
}

export async function consoleCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("console", args, { escape: { type: "string", short: "e" }, socket: { type: "string" } }, 2);
  if (values.help) {
    process.stdout.write(CONSOLE_HELP);
    return EXIT.ok;
  }
  const escape = parseEscape(values.escape ?? "^]");
  const ref = positionals[0] === undefined ? undefined : parseStubdomRef(positionals[0]);
  const n = positionals[1] === undefined ? undefined : parseConsoleNumber(positionals[1]);
  const choice = chooseSocket(values.socket);
  const run: RunState | undefined = choice.devRun;
  if (!run) {
    if (ref === undefined) throw usageError(`give the stubdom: no dev-mode run is live and xenstored is at ${choice.path} (${choice.source})`);
    return n === undefined || n === 0 ? xenConsole(choice, ref, escape) : xenHostHint(choice, ref, n);
  }
  const stubdom = ref === undefined ? run.stubdom : "domid" in ref ? ref.domid : await withXenStore(choice, (xs) => resolveStubdom(xs, ref));
  if (stubdom !== run.stubdom) throw new CliError(`stubdom ${stubdom} has no dev-mode console: the run (pid ${run.pid}) boots stubdom ${run.stubdom}`, EXIT.noStubdom);
  const num = n ?? 0;
  const path = run.consoles[String(num)];
  if (path === undefined) throw usageError(`stubdom ${stubdom} has no console ${num} (dev mode has ${Object.keys(run.consoles).join(", ")})`);
  const label = `hvc${num} of stubdom ${stubdom} (${run.name})`;
  return attach(await socketLink(path, label), label, escape);
}
