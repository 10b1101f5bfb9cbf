// `stubdomctl status [S] [--json]`: what one stubdom, or every stubdom, reports about itself.
import { CliError, EXIT, EXIT_CODES_HELP, parseFlags, S_HELP } from "./args.ts";
import { parseStubdomRef, resolveStubdom } from "./stubdomRef.ts";
import { chooseSocket, SOCKET_HELP, withXenStore } from "./xenstoredConnection.ts";
import { healthDir } from "../../init/healthPaths.ts";
import { formatDetails, formatTable, listStubdoms, readStubdom, type HealthView } from "./healthView.ts";

export const STATUS_HELP = `usage: stubdomctl status [S] [--json] [--socket PATH]

Reads the health stubdom S writes under ${healthDir(0).replace("/0/", "/<S>/")}/ (every stubdom that
has any, without S) and prints one row each: state, QEMU's state, pid, restarts, last exit, uptime,
QEMU's resident set and the memory still available; with S also the boot step timings, QEMU's QMP
status, the error sentence and any config problems. Exits 1 when a stubdom's state is failed.
${S_HELP}

options:
  --json         a JSON object (with S) or array (without), the same fields, for scripts
  --socket PATH  ${SOCKET_HELP}
  -h, --help     this text

${EXIT_CODES_HELP}`;

export async function statusCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("status", args, { json: { type: "boolean" }, socket: { type: "string" } }, 1);
  if (values.help) {
    process.stdout.write(STATUS_HELP);
    return EXIT.ok;
  }
  const one = positionals[0] === undefined ? undefined : parseStubdomRef(positionals[0]);
  const views: HealthView[] = await withXenStore(chooseSocket(values.socket), async (xs) => {
    if (one !== undefined) return [await readStubdom(xs, await resolveStubdom(xs, one))];
    const ids = await listStubdoms(xs);
    return Promise.all(ids.map((d) => readStubdom(xs, d)));
  });
  if (views.length === 0) throw new CliError(`no stubdom reports health: no ${healthDir(0).replace("/0/", "/*/")}/state in XenStore`, EXIT.noStubdom);
  if (values.json) {
    process.stdout.write(JSON.stringify(one === undefined ? views : views[0], null, 2) + "\n");
  } else {
    process.stdout.write(formatTable(views) + views.map((v) => formatDetails(v, one !== undefined)).join(""));
  }
  return views.some((v) => v.state === "failed") ? EXIT.failed : EXIT.ok;
}
