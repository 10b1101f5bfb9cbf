// `stubdomctl watch [S]`: one line per health change, from a XenStore watch, until interrupted.
// An event names a path; we re-read it (events may be spurious or coalesced) and print only what
// differs from what we printed before, so a rewrite of the same value prints nothing.
import { XenStoreError, type XenStoreClient } from "../../runtime/xenstore/client.ts";
import { CliError, EXIT, EXIT_CODES_HELP, parseFlags, S_HELP } from "./args.ts";
import { parseStubdomRef, requireDomain, resolveStubdom } from "./stubdomRef.ts";
import { chooseSocket, openXenStore, SOCKET_HELP } from "./xenstoredConnection.ts";
import { healthDir } from "../../init/healthPaths.ts";
import { listStubdoms, readTree } from "./healthView.ts";

export const WATCH_HELP = `usage: stubdomctl watch [S] [--socket PATH]

Prints the health of stubdom S (of every stubdom, without S) as it is now, then one line per
change until interrupted (Ctrl-C), from a XenStore watch on ${healthDir(0).replace("/0/", "/<S>/")}:
  <time> <S> <key> = "<value>"
  <time> <S> <key> removed
${S_HELP}

options:
  --socket PATH  ${SOCKET_HELP}
  -h, --help     this text

${EXIT_CODES_HELP}`;

const HEALTH_RE = /^\/local\/domain\/([0-9]+)(?:\/data(?:\/stubdom(?:\/(.*))?)?)?$/;

/** Pure: what changed between two snapshots of one stubdom's keys, as printable lines. */
export function diffLines(domid: number, before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, time: string): string[] {
  const lines: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) lines.push(`${time} ${domid} ${k} = ${JSON.stringify(v)}`);
  for (const k of before.keys()) if (!after.has(k)) lines.push(`${time} ${domid} ${k} removed`);
  return lines;
}

class HealthWatcher {
  private readonly known = new Map<number, Map<string, string>>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly xs: XenStoreClient,
    private readonly out: (line: string) => void,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Events are handled one at a time, in order. */
  event(path: string): void {
    this.chain = this.chain.then(() => this.handle(path)).catch(this.onError);
  }

  private async handle(path: string): Promise<void> {
    if (path === "/local/domain") {
      for (const d of new Set([...this.known.keys(), ...(await listStubdoms(this.xs))])) await this.refresh(d, "");
      return;
    }
    const m = HEALTH_RE.exec(path);
    if (m) await this.refresh(Number(m[1]), m[2] ?? "");
  }

  /** Re-reads `sub` (a key or a directory, "" for all) of stubdom `domid`'s health and prints the difference. */
  private async refresh(domid: number, sub: string): Promise<void> {
    const before = this.known.get(domid) ?? new Map<string, string>();
    const inScope = (k: string): boolean => sub === "" || k === sub || k.startsWith(`${sub}/`);
    const dir = sub === "" ? healthDir(domid) : `${healthDir(domid)}/${sub}`;
    const fresh = await readTree(this.xs, dir, sub === "" ? "" : `${sub}/`);
    if (fresh.size === 0 && sub !== "") {
      // A leaf, or a node that is gone.
      const value = await this.xs.readString(dir).catch((e) => {
        if (e instanceof XenStoreError && e.code === "ENOENT") return undefined;
        throw e;
      });
      if (value !== undefined) fresh.set(sub, value);
    }
    const oldPart = new Map([...before].filter(([k]) => inScope(k)));
    for (const line of diffLines(domid, oldPart, fresh, new Date().toISOString())) this.out(line);
    const next = new Map([...before].filter(([k]) => !inScope(k)));
    for (const [k, v] of fresh) next.set(k, v);
    if (next.size > 0) this.known.set(domid, next);
    else this.known.delete(domid);
  }

  drained(): Promise<void> {
    return this.chain;
  }
}

export async function watchCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("watch", args, { socket: { type: "string" } }, 1);
  if (values.help) {
    process.stdout.write(WATCH_HELP);
    return EXIT.ok;
  }
  const ref = positionals[0] === undefined ? undefined : parseStubdomRef(positionals[0]);
  const choice = chooseSocket(values.socket);
  const { xs, closed } = await openXenStore(choice);
  try {
    const one = ref === undefined ? undefined : await resolveStubdom(xs, ref);
    if (one !== undefined) await requireDomain(xs, one);
    const path = one === undefined ? "/local/domain" : healthDir(one);
    return await new Promise<number>((resolve, reject) => {
      const watcher = new HealthWatcher(xs, (line) => process.stdout.write(`${line}\n`), reject);
      let stopping = false;
      const stop = (): void => {
        stopping = true;
        for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.removeListener(sig, stop);
        void watcher
          .drained()
          .then(() => xs.unwatch(path, "stubdomctl-watch"))
          .then(() => resolve(EXIT.ok), () => resolve(EXIT.ok));
      };
      for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, stop);
      void closed.then(() => {
        if (!stopping) reject(new CliError(`xenstored at ${choice.path} closed the connection`, EXIT.noDaemon));
      });
      xs.watch(path, "stubdomctl-watch", (p) => watcher.event(p)).then(
        () => process.stderr.write(`stubdomctl watch: watching ${path}; Ctrl-C stops\n`),
        reject,
      );
    });
  } finally {
    xs.close();
  }
}
