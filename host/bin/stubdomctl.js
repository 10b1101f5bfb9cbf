#!/usr/bin/env node
// Runs host/cli/stubdomctl.ts in this process, through tsx's loader, from any working directory. In this
// process (not a child) so that a signal sent to this pid reaches the command's own handlers.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
register();
const { runCli } = await import(pathToFileURL(join(root, "host", "cli", "stubdomctl.ts")).href);
await runCli(process.argv.slice(2));
