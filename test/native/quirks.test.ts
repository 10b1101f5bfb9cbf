// native tier: the QuickJS quirks PID 1 is designed around, each shown with the real stubjs running
// the init's own code (bundled by bundleInit from small entry scripts that import init/ and
// runtime/ modules):
// 1. The event loop ends when no timer or fd handler is left. PID 1 itself is covered by
//    runtime.test.ts ("PID 1: when the loop runs dry it stays alive and reaps orphans": the host
//    then only reaps). Here: the init's Reaper timer alone keeps the loop running.
// 2. A SIGCHLD can be missed (it lands between quickjs-libc's signal check and its select); the
//    Reaper's periodic sweep still collects the child. Shown with the SIGCHLD handler deliberately
//    not installed, so only the sweep can find it.
// 3. `os` has no SIGPWR or SIGHUP; numeric signals (runtime/sys.ts SIGNALS, sys.SIG*) work with
//    os.signal.
// 4. The engine tier runs a newer QuickJS (quickjs-emscripten's 2025-09-13; Debian 13 has 2025-04-26):
//    it must not offer built-ins stubjs lacks.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { newQuickJSWASMModule } from "quickjs-emscripten";
import { bundleInit } from "../../init/bundle.ts";
import { buildRuntime } from "../../runtime/build.ts";
import { BUILTIN_ROOTS, GLOBAL_HELPERS, STUBJS_LACKS } from "../support/engineShims.ts";

const stubjs = await buildRuntime();
const dir = mkdtempSync(join(tmpdir(), "stubjs-quirks-"));
const repo = (p: string): string => JSON.stringify(resolve(p));
const BOUND_MS = 10_000;

/** Bundles an entry script (TypeScript importing the repo's modules) the way the init is bundled. */
async function bundle(name: string, source: string): Promise<string> {
  const entry = join(dir, `${name}.ts`);
  writeFileSync(entry, source);
  return bundleInit(join(dir, `${name}.js`), entry);
}

interface Running {
  child: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Resolves with the first stdout line matching `re`; rejects after `ms`. */
  line(re: RegExp, ms?: number): Promise<string>;
}

function run(script: string, args: string[] = []): Running {
  const child = spawn(stubjs, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let partial = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    const parts = (partial + d).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
  const line = (re: RegExp, ms = BOUND_MS): Promise<string> =>
    new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no line matching ${re} within ${ms} ms; stdout:\n${lines.join("\n")}\nstderr:\n${stderr}`)), ms);
      const check = (): void => {
        const found = lines.find((l) => re.test(l));
        if (found !== undefined) {
          clearTimeout(timer);
          res(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          rej(new Error(`stubjs ended (${child.exitCode ?? child.signalCode}) before a line matching ${re}; stdout:\n${lines.join("\n")}\nstderr:\n${stderr}`));
        } else waiters.push(check);
      };
      child.on("exit", check);
      check();
    });
  return { child, lines, exited, line };
}

const stop = async (r: Running): Promise<void> => {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  await r.exited;
};

test("the Reaper's periodic sweep alone keeps the event loop from running dry", async () => {
  const script = await bundle(
    "reaper-keeps-loop",
    `
    import { quickjsSys } from ${repo("runtime/sysQuickjs.ts")};
    import { Log } from ${repo("init/log.ts")};
    import { Reaper } from ${repo("init/reaper.ts")};
    const base = quickjsSys();
    let sweeps = 0;
    // One reapOne() answering "nothing" ends one sweep.
    const sys = { ...base, reapOne: () => base.reapOne() ?? void print("sweep " + ++sweeps) };
    new Reaper(sys, new Log(sys)).start();
    print("started");
  `,
  );
  const r = run(script);
  try {
    await r.line(/^started$/);
    await r.line(/^sweep 3$/, 5000);
    assert.is(r.child.exitCode, null, "still running after three sweeps, with nothing but the Reaper in its loop");
  } finally {
    await stop(r);
  }
});

const sweepScript = () =>
  bundle(
    "missed-sigchld",
    `
    import * as std from "qjs:std";
    import { quickjsSys } from ${repo("runtime/sysQuickjs.ts")};
    import { SIGNALS } from ${repo("runtime/sys.ts")};
    import { Log } from ${repo("init/log.ts")};
    import { Reaper } from ${repo("init/reaper.ts")};
    const base = quickjsSys();
    const installSigchld = scriptArgs[1] === "with-sigchld-handler";
    let via = "startup";
    const sys = {
      ...base,
      // Which path ran the sweep that found the child: the SIGCHLD handler or the periodic timer.
      onSignal(signal, cb) {
        if (signal === SIGNALS.SIGCHLD && !installSigchld) return; // the lost SIGCHLD
        base.onSignal(signal, () => { via = "signal"; cb(); });
      },
      setTimer: (ms, cb) => base.setTimer(ms, () => { via = "timer"; cb(); }),
    };
    const reaper = new Reaper(sys, new Log(sys));
    reaper.start();
    const t0 = sys.now();
    const pid = sys.spawn(["/bin/busybox", "sh", "-c", "exit 7"], { fds: [-1, 1, 2] });
    reaper.own(pid, (e) => {
      print(JSON.stringify({ reaped: e.pid === pid, code: e.code, via, ms: Math.round(sys.now() - t0) }));
      std.exit(0);
    });
  `,
  );

test("a child whose SIGCHLD is never handled is still reaped, by the 1 s sweep", async () => {
  const r = run(await sweepScript());
  try {
    const got = JSON.parse(await r.line(/^\{"reaped"/, 3000)) as { reaped: boolean; code: number; via: string; ms: number };
    assert.equal({ reaped: got.reaped, code: got.code, via: got.via }, { reaped: true, code: 7, via: "timer" });
    assert.ok(got.ms >= 900 && got.ms <= 2500, `collected after ${got.ms} ms, by the first sweeps (SWEEP_MS = 1000)`);
    assert.equal(await r.exited, { code: 0, signal: null });
  } finally {
    await stop(r);
  }
});

test("with the SIGCHLD handler installed the same child is reaped by the signal", async () => {
  const r = run(await sweepScript(), ["with-sigchld-handler"]);
  try {
    const got = JSON.parse(await r.line(/^\{"reaped"/, 3000)) as { reaped: boolean; code: number; via: string };
    assert.equal({ reaped: got.reaped, code: got.code, via: got.via }, { reaped: true, code: 7, via: "signal" });
  } finally {
    await stop(r);
  }
});

test("SIGPWR and SIGHUP, absent from os, are caught by number through the init's Sys", async () => {
  const script = await bundle(
    "numeric-signals",
    `
    import * as os from "qjs:os";
    import * as std from "qjs:std";
    import * as native from "qjs:sys";
    import { quickjsSys } from ${repo("runtime/sysQuickjs.ts")};
    import { SIGNALS } from ${repo("runtime/sys.ts")};
    const sys = quickjsSys();
    const got = [];
    const on = (name) => () => {
      got.push(name);
      if (got.length === 2) { print(JSON.stringify({ got })); std.exit(0); }
    };
    sys.onSignal(SIGNALS.SIGPWR, on("PWR"));
    sys.onSignal(SIGNALS.SIGHUP, on("HUP"));
    // Signal handlers alone do not keep quickjs-libc's loop going; this timer is the bound.
    sys.setTimer(${BOUND_MS}, () => { print("no signal arrived"); std.exit(3); });
    print(JSON.stringify({ ready: true, os: [os.SIGPWR ?? null, os.SIGHUP ?? null], sys: [native.SIGPWR, native.SIGHUP], table: [SIGNALS.SIGPWR, SIGNALS.SIGHUP] }));
  `,
  );
  const r = run(script);
  try {
    const ready = JSON.parse(await r.line(/^\{"ready"/)) as { os: unknown[]; sys: number[]; table: number[] };
    assert.equal(ready.os, [null, null], "quickjs-libc's os has neither constant");
    assert.equal(ready.sys, [30, 1], "the native sys module has both");
    assert.equal(ready.table, ready.sys, "runtime/sys.ts SIGNALS agrees with the kernel's numbers");
    r.child.kill("SIGPWR");
    r.child.kill("SIGHUP");
    const done = JSON.parse(await r.line(/^\{"got"/)) as { got: string[] };
    assert.equal(done.got.sort(), ["HUP", "PWR"]);
    assert.equal(await r.exited, { code: 0, signal: null }, "neither signal killed the process");
  } finally {
    await stop(r);
  }
});

test("the engine tier's QuickJS (2025-09-13) has no built-in that stubjs's (2025-04-26) lacks", async () => {
  const enumerate = `const roots = ${BUILTIN_ROOTS};
    const names = Object.fromEntries(Object.entries(roots).map(([k, v]) => [k, Object.getOwnPropertyNames(v)]));`;
  const script = join(dir, "builtins.js");
  writeFileSync(script, `${enumerate}\nprint(JSON.stringify(names));`);
  const r = run(script);
  const inStubjs = JSON.parse(await r.line(/^\{/)) as Record<string, string[]>;
  await stop(r);

  const ctx = (await newQuickJSWASMModule()).newContext();
  try {
    const got = ctx.evalCode(`${GLOBAL_HELPERS}\n${enumerate}\nJSON.stringify(names)`, "builtins.js", { type: "global" });
    const inEngine = JSON.parse(ctx.getString(ctx.unwrapResult(got))) as Record<string, string[]>;
    for (const [root, names] of Object.entries(inEngine)) {
      const extra = names.filter((n) => !inStubjs[root].includes(n));
      assert.equal(extra, [], `${root}: the engine has what stubjs lacks (add it to STUBJS_LACKS)`);
    }
    for (const [root, names] of Object.entries(STUBJS_LACKS)) {
      assert.equal(names.filter((n) => inStubjs[root].includes(n)), [], `${root}: STUBJS_LACKS removes what stubjs has`);
    }
  } finally {
    ctx.dispose();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
