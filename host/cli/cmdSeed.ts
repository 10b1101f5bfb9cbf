// `stubdomctl seed`: libxl's keys for one stubdom and its guest, and our settings, in one
// transaction. Every value is checked before anything is written.
import { randomUUID } from "node:crypto";
import { parseSetting, type ObjectSchema } from "../../init/schemaCheck.ts";
import { EXIT, EXIT_CODES_HELP, parseDomid, parseFlags, usageError } from "./args.ts";
import { chooseSocket, SOCKET_HELP, withXenStore } from "./xenstoredConnection.ts";
import { configDir, seedStubdom, type SeedSpec } from "../dev/seed.ts";
import { macProblem } from "../../init/network.ts";

/** The settings' schema; loaded only when needed (TypeBox takes ~0.7 s to load). */
const loadSchema = async (): Promise<ObjectSchema> => (await import("../../init/configSchema.ts")).ConfigSchema as unknown as ObjectSchema;

const seedHelp = (schema: ObjectSchema): string => `usage: stubdomctl seed --stubdom S --guest G [options] -- QEMU-ARG...

Writes what libxl writes for a Linux stubdom S serving HVM guest G, in one transaction:
/vm/<uuid>/image/dm-argv/001.. (perms n0 r<S>), /local/domain/<S>/{name,domid,target},
/local/domain/<S>/device-model/<G>/ (owned by S, readable by G), /local/domain/<G>/{vm,name,domid,
image/device-model-domid}, then SET_TARGET S G. Settings go under /local/domain/<S>/stubdom/config/
(owned by dom0, readable by S), replacing any there.

options:
  --stubdom S            the stubdom's domain id
  --guest G              the guest's domain id
  --uuid U               the guest's UUID (default: a new random one)
  --name N               the guest's name; the stubdom is N-dm (default: guest-<G>)
  --consoles LIST        console devids besides 0, comma-separated (libxl: 1 save, 2 restore, 3+ serial)
  --vif DEVID=MAC        a PV NIC of the stubdom (repeatable)
  --restart MODE         setting restart: ${(schema.properties.restart?.anyOf ?? []).map((c) => c.const).join(" | ")}
  --debug-shell          setting debug-shell=1: a root shell on hvc0 (anyone with the console gets it)
  --log-level LEVEL      setting log-level: ${(schema.properties["log-level"]?.anyOf ?? []).map((c) => c.const).join(" | ")}
  --config KEY=VALUE     any setting (repeatable); known: ${Object.keys(schema.properties).join(", ")}
  --socket PATH          ${SOCKET_HELP}
  -h, --help             this text

${EXIT_CODES_HELP}`;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** xl refuses names it could not use as a domain name; ours also become XenStore values. */
const NAME_RE = /^[A-Za-z0-9_.-][A-Za-z0-9_.:-]{0,63}$/;

function setting(schema: ObjectSchema, key: string, raw: string): [string, string] {
  const prop = schema.properties[key];
  if (!prop) throw usageError(`unknown setting ${JSON.stringify(key)} (known: ${Object.keys(schema.properties).join(", ")})`);
  const parsed = parseSetting(prop, raw);
  if (!parsed.ok) throw usageError(`setting ${key}: ${parsed.error}`);
  return [key, raw];
}

/** Flags → a SeedSpec, or a usage error naming the value at fault. */
export async function seedSpecFromArgs(args: string[]): Promise<{ spec: SeedSpec; socket: string | undefined } | "help"> {
  const dashes = args.indexOf("--");
  const flags = dashes < 0 ? args : args.slice(0, dashes);
  const { values } = parseFlags("seed", flags, {
    stubdom: { type: "string" },
    guest: { type: "string" },
    uuid: { type: "string" },
    name: { type: "string" },
    consoles: { type: "string" },
    vif: { type: "string", multiple: true },
    restart: { type: "string" },
    "debug-shell": { type: "boolean" },
    "log-level": { type: "string" },
    config: { type: "string", multiple: true },
    socket: { type: "string" },
  });
  if (values.help) return "help";
  if (values.stubdom === undefined) throw usageError("--stubdom S is required");
  if (values.guest === undefined) throw usageError("--guest G is required");
  const stubdom = parseDomid(values.stubdom, "--stubdom");
  const guest = parseDomid(values.guest, "--guest");
  if (stubdom === guest) throw usageError(`--stubdom and --guest are both ${stubdom}: a stubdom serves another domain`);
  if (dashes < 0 || dashes === args.length - 1) throw usageError("no QEMU arguments: put them after --");
  const uuid = values.uuid ?? randomUUID();
  if (!UUID_RE.test(uuid)) throw usageError(`--uuid ${JSON.stringify(uuid)} is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
  const name = values.name ?? `guest-${guest}`;
  if (!NAME_RE.test(name)) throw usageError(`--name ${JSON.stringify(name)} is not a domain name (letters, digits, . _ - :, at most 64)`);
  const consoles = values.consoles === undefined ? [] : values.consoles.split(",").map((c) => {
    if (!/^[1-9]$/.test(c)) throw usageError(`--consoles ${JSON.stringify(values.consoles)}: ${JSON.stringify(c)} is not a console devid from 1 to 9`);
    return Number(c);
  });
  const vifs = (values.vif ?? []).map((v) => {
    const m = /^([0-9]+)=(.*)$/.exec(v);
    if (!m) throw usageError(`--vif ${JSON.stringify(v)} is not DEVID=MAC (e.g. 0=00:16:3e:00:00:01)`);
    const problem = macProblem(m[2]);
    if (problem) throw usageError(`--vif ${JSON.stringify(v)}: the MAC ${problem}`);
    return { devid: Number(m[1]), mac: m[2].toLowerCase() };
  });
  const config = new Map<string, string>();
  const wantsSettings = (values.config ?? []).length > 0 || values.restart !== undefined || values["log-level"] !== undefined;
  const schema = wantsSettings ? await loadSchema() : { properties: {} };
  for (const kv of values.config ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw usageError(`--config ${JSON.stringify(kv)} is not KEY=VALUE`);
    const [k, v] = setting(schema, kv.slice(0, eq), kv.slice(eq + 1));
    config.set(k, v);
  }
  if (values.restart !== undefined) config.set(...setting(schema, "restart", values.restart));
  if (values["debug-shell"]) config.set("debug-shell", "1");
  if (values["log-level"] !== undefined) config.set(...setting(schema, "log-level", values["log-level"]));
  const spec: SeedSpec = { stubdom, guest, uuid, name, argv: args.slice(dashes + 1), consoles, vifs, config: Object.fromEntries(config) };
  return { spec, socket: values.socket };
}

export async function seedCommand(args: string[]): Promise<number> {
  const parsed = await seedSpecFromArgs(args);
  if (parsed === "help") {
    process.stdout.write(seedHelp(await loadSchema()));
    return EXIT.ok;
  }
  const { spec, socket } = parsed;
  await withXenStore(chooseSocket(socket), (xs) => seedStubdom(xs, spec));
  const settings = Object.keys(spec.config ?? {}).length;
  console.log(
    `seeded stubdom ${spec.stubdom} (${spec.name}-dm) for guest ${spec.guest} (${spec.name}): ${spec.argv.length} QEMU arguments under /vm/${spec.uuid}/image/dm-argv, ` +
      `${settings} setting${settings === 1 ? "" : "s"} under ${configDir(spec.stubdom)}`,
  );
  return EXIT.ok;
}
