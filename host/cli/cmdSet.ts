// `stubdomctl set S KEY=VALUE... [--unset KEY]`: settings of a running stubdom, written where it
// watches them (dom0-owned, readable by the stubdom), each checked against the settings' schema
// first. The stubdom applies them live, or at its next boot for the boot-only ones.
import type { XenStoreClient } from "../../runtime/xenstore/client.ts";
import type { Perm } from "../../runtime/xenstore/perms.ts";
import { configDir } from "../../init/stubdomPaths.ts";
import { parseSetting, type ObjectSchema } from "../../init/schemaCheck.ts";
import { EXIT, EXIT_CODES_HELP, parseFlags, S_HELP, usageError } from "./args.ts";
import { parseStubdomRef, requireDomain, resolveStubdom } from "./stubdomRef.ts";
import { chooseSocket, SOCKET_HELP, withXenStore } from "./xenstoredConnection.ts";

const loadSchema = async (): Promise<ObjectSchema> => (await import("../../init/configSchema.ts")).ConfigSchema as unknown as ObjectSchema;

const setHelp = (schema: ObjectSchema): string => `usage: stubdomctl set S KEY=VALUE... [--unset KEY]... [--socket PATH]

Writes settings of stubdom S under ${configDir(0).replace("/0/", "/<S>/")}/ (owned by dom0, readable by S),
where the stubdom watches them and applies each change live; \`sandbox\`, \`modules\` and \`xenstore\`
take effect at its next boot. Every value is checked first; nothing is written if one is wrong.
--unset removes a key, so the kernel command line's value or the default applies again.
The stubdom's health key config-problems lists what it refused; \`stubdomctl status S\` shows it.
${S_HELP}

settings: ${Object.keys(schema.properties).join(", ")} (README "Settings")

options:
  --unset KEY    remove KEY (repeatable)
  --socket PATH  ${SOCKET_HELP}
  -h, --help     this text

${EXIT_CODES_HELP}`;

export interface SettingChange {
  set: [key: string, value: string][];
  unset: string[];
}

/** Pure: the words after S, checked against the schema, or a usage error naming the one at fault. */
export function settingChange(schema: ObjectSchema, words: readonly string[], unset: readonly string[]): SettingChange {
  const known = (k: string, how: string): void => {
    if (!schema.properties[k]) throw usageError(`${how}: unknown setting ${JSON.stringify(k)} (known: ${Object.keys(schema.properties).join(", ")})`);
  };
  const set = words.map((kv): [string, string] => {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw usageError(`${JSON.stringify(kv)} is not KEY=VALUE`);
    const [k, v] = [kv.slice(0, eq), kv.slice(eq + 1)];
    known(k, kv);
    const parsed = parseSetting(schema.properties[k]!, v);
    if (!parsed.ok) throw usageError(`setting ${k}: ${parsed.error}`);
    return [k, v];
  });
  for (const k of unset) known(k, `--unset ${k}`);
  const both = set.find(([k]) => unset.includes(k));
  if (both) throw usageError(`setting ${both[0]} is both set and unset`);
  if (set.length === 0 && unset.length === 0) throw usageError("nothing to change: give KEY=VALUE or --unset KEY");
  return { set, unset: [...unset] };
}

/** One transaction: the directory (made dom0's, readable by S, if it is new), then every change. */
async function apply(xs: XenStoreClient, stubdom: number, change: SettingChange): Promise<void> {
  const dir = configDir(stubdom);
  const perms: Perm[] = [{ domid: 0, access: "n" }, { domid: stubdom, access: "r" }];
  await xs.transaction(async (tx) => {
    const isNew = await xs.read(dir, tx).then(() => false, (e: { code?: string }) => (e.code === "ENOENT" ? true : Promise.reject(e)));
    if (isNew) {
      await xs.mkdir(dir, tx);
      await xs.setPerms(dir, perms, tx);
    }
    await Promise.all([
      ...change.set.map(([k, v]) => xs.write(`${dir}/${k}`, v, tx)),
      ...change.unset.map((k) => xs.rm(`${dir}/${k}`, tx).catch((e: { code?: string }) => (e.code === "ENOENT" ? undefined : Promise.reject(e)))),
    ]);
  });
}

export async function setCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("set", args, { unset: { type: "string", multiple: true }, socket: { type: "string" } }, Number.MAX_SAFE_INTEGER);
  const schema = await loadSchema();
  if (values.help) {
    process.stdout.write(setHelp(schema));
    return EXIT.ok;
  }
  const [target, ...words] = positionals;
  if (target === undefined) throw usageError("give the stubdom: stubdomctl set S KEY=VALUE...");
  const ref = parseStubdomRef(target);
  const change = settingChange(schema, words, values.unset ?? []);
  const stubdom = await withXenStore(chooseSocket(values.socket), async (xs) => {
    const id = await resolveStubdom(xs, ref);
    await requireDomain(xs, id);
    await apply(xs, id, change);
    return id;
  });
  const said = [...change.set.map(([k, v]) => `${k}=${v}`), ...change.unset.map((k) => `${k} unset`)];
  console.log(`stubdom ${stubdom}: ${said.join(", ")} (under ${configDir(stubdom)}; the stubdom applies it live)`);
  return EXIT.ok;
}
