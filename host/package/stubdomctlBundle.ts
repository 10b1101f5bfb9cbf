// The packaged stubdomctl: host/bin/stubdomctlPackaged.ts bundled by esbuild into one CommonJS
// file for Debian 12's node 18, and its help texts, read by running that bundle. The development
// commands' modules (dev mode's VM, the image build behind it, the development xenstored) stay out
// of the bundle: the command list comes from the packaged entry's own `--help`, and a command
// module (`./cmd<Name>.ts`, loaded on demand by host/cli/stubdomctl.ts) of any other command is
// replaced by one that throws. As in the init's bundle (init/bundle.ts), the settings and health
// schemas enter it as the JSON Schema they are, without TypeBox (most of the bundle otherwise).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile, type Plugin } from "esbuild";
import { schemasAsJson } from "../../init/bundle.ts";
import { NODE_TARGET } from "./debSpec.ts";
import { commandNamesFromUsage } from "./manPage.ts";
import type { BundledPackage } from "./copyright.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PACKAGED_ENTRY = "host/bin/stubdomctlPackaged.ts";

export interface HelpTexts {
  usage: string;
  commands: { name: string; help: string }[];
}

/** Runs `node <args>` (the bundle, or the entry through tsx) and returns its stdout; a failure is a sentence. */
function nodeOutput(args: string[], what: string): string {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** The commands the packaged entry offers, from its own `--help`, run from the source through tsx. */
export const packagedCommandNames = (): string[] => commandNamesFromUsage(nodeOutput(["--import", "tsx", PACKAGED_ENTRY, "--help"], `${PACKAGED_ENTRY} --help`));

/** `cmdSet.ts` → `set`: the command a module of host/cli is for, by the one-file-per-command rule. */
export const commandOfModule = (specifier: string): string | undefined => /(?:^|\/)cmd([A-Z][A-Za-z0-9]*)\.ts$/.exec(specifier)?.[1]?.toLowerCase();

/** Stubs the on-demand command modules of commands the package does not have. */
const onlyCommands = (keep: readonly string[]): Plugin => ({
  name: "packaged-commands-only",
  setup(b) {
    b.onResolve({ filter: /(?:^|\/)cmd[A-Z][A-Za-z0-9]*\.ts$/ }, (args) => {
      const cmd = commandOfModule(args.path);
      if (args.kind !== "dynamic-import" || cmd === undefined || keep.includes(cmd)) return undefined;
      return { path: args.path, namespace: "not-packaged" };
    });
    b.onLoad({ filter: /.*/, namespace: "not-packaged" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is for development and not in the Debian package`)});`,
      loader: "js",
    }));
  },
});

/** The npm packages in a bundle, from esbuild's metafile, with each one's licence and copyright lines. */
export function bundledPackages(meta: Metafile): BundledPackage[] {
  const dirs = new Set<string>();
  for (const input of Object.keys(meta.inputs)) {
    const m = /^(.*?node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]);
  }
  return [...dirs].sort().map((dir) => {
    const pkg = JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")) as { name: string; version: string; license?: string };
    const licenseFile = ["LICENSE", "license", "LICENSE.md", "license.md", "LICENSE.txt"].map((f) => join(ROOT, dir, f)).find((f) => existsSync(f));
    const copyright = licenseFile
      ? readFileSync(licenseFile, "utf8")
          .split("\n")
          .map((l) => /^\s*Copyright\s+(?:\(c\)\s*)?(.+?)\s*$/i.exec(l)?.[1])
          .filter((l): l is string => l !== undefined)
      : [];
    if (copyright.length === 0) throw new Error(`${dir}: no copyright line in its licence file, needed for debian/copyright`);
    return { name: pkg.name, version: pkg.version, license: pkg.license ?? "UNKNOWN", copyright };
  });
}

/** Bundles the packaged entry into `outfile`; returns the npm packages it carries. */
export async function bundleStubdomctl(outfile: string, commands: readonly string[]): Promise<BundledPackage[]> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [PACKAGED_ENTRY],
    outfile,
    bundle: true,
    platform: "node",
    target: NODE_TARGET,
    format: "cjs",
    // host/cli/stubdomctl.ts runs itself when import.meta.url is the main script's: in a CommonJS
    // bundle import.meta is empty, so only the packaged entry's runCli runs.
    logOverride: { "empty-import-meta": "silent" },
    banner: { js: "// stubdomctl of the stubdom-init Debian package: host/bin/stubdomctlPackaged.ts bundled by esbuild." },
    legalComments: "inline",
    metafile: true,
    plugins: [onlyCommands(commands), schemasAsJson],
    logLevel: "warning",
  });
  return bundledPackages(result.metafile);
}

/** `stubdomctl --help` and each command's `--help`, as the bundle prints them. */
export function helpTexts(bundle: string): HelpTexts {
  const usage = nodeOutput([bundle, "--help"], "stubdomctl --help");
  const commands = commandNamesFromUsage(usage).map((name) => ({ name, help: nodeOutput([bundle, name, "--help"], `stubdomctl ${name} --help`) }));
  return { usage, commands };
}
