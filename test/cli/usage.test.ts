// cli tier: every command has --help (exit 0, its usage, the exit codes); unknown commands,
// unknown options and stray arguments are one sentence and exit 2.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cleanEnv, runCli } from "./cliProcess.ts";

const COMMANDS = ["seed", "status", "watch", "set", "console", "run", "xenstored"];
const env = cleanEnv({ STUBDOM_RUN_DIR: "/nonexistent/stubdomctl-test" });

for (const cmd of COMMANDS) {
  test(`${cmd} --help prints its usage and the exit codes, exit 0`, async () => {
    const r = await runCli([cmd, "--help"], env);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^usage: stubdomctl ${cmd}`));
    assert.match(r.stdout, /exit status:\n  0  success/);
    assert.match(r.stdout, /  4  no such stubdom/);
    assert.is(r.stderr, "");
  });

  test(`${cmd} with an unknown option names it, exit 2`, async () => {
    const r = await runCli([cmd, "--bogus-flag"], env);
    assert.is(r.code, 2);
    assert.is(r.stderr, `stubdomctl ${cmd}: unknown option --bogus-flag (see stubdomctl ${cmd} --help)\n`);
  });
}

test("--help lists every command and the exit codes", async () => {
  const r = await runCli(["--help"], env);
  assert.is(r.code, 0);
  for (const cmd of COMMANDS) assert.match(r.stdout, new RegExp(`\\n  ${cmd} `));
  assert.match(r.stdout, /6  console N on a Xen host: xenconsoled serves it/);
});

test("no command prints the usage on stderr, exit 2", async () => {
  const r = await runCli([], env);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^usage: stubdomctl <command>/);
  assert.is(r.stdout, "");
});

test("an unknown command is named, exit 2", async () => {
  const r = await runCli(["lsit"], env);
  assert.is(r.code, 2);
  assert.is(r.stderr, 'stubdomctl: unknown command "lsit" (commands: seed, status, watch, set, console, run, xenstored; see stubdomctl --help)\n');
});

test("a stray argument is named, exit 2", async () => {
  for (const [args, stray] of [[["status", "2", "3"], "3"], [["watch", "2", "x"], "x"], [["console", "2", "3", "4"], "4"], [["run", "now"], "now"]] as const) {
    const r = await runCli([...args], env);
    assert.is(r.code, 2, args.join(" "));
    assert.is(r.stderr, `stubdomctl ${args[0]}: unexpected argument "${stray}" (see stubdomctl ${args[0]} --help)\n`);
  }
});

test("an option without its value is named, exit 2", async () => {
  const r = await runCli(["status", "--socket"], env);
  assert.is(r.code, 2);
  assert.is(r.stderr, "stubdomctl status: option --socket needs a value\n");
});

test.run();
