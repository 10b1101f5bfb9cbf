// stubjsc and stubjs together: a bundle compiled to bytecode runs as its source does, the compiler
// refuses what stubjs could not run, and stubjs reports bad bytecode as a load error, not a crash.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildRuntime, compileBytecode } from "../../runtime/build.ts";

const stubjs = await buildRuntime();
const dir = mkdtempSync(join(tmpdir(), "stubjsc-test-"));
const RUN_TIMEOUT_MS = 10_000;

const MODULE = `
import * as os from "os";
import * as std from "std";
import * as sys from "sys";
const doubled = [1, 2, 3].map((x) => x * 2);
os.setTimeout(() => print("timer", doubled.join(","), typeof sys.spawn, typeof std.getenv), 1);
try { null.x; } catch (e) { print("trace", e.stack.trim()); }
`;

let files = 0;
const source = (text: string): string => {
  const path = join(dir, `m${files++}.js`);
  writeFileSync(path, text);
  return path;
};
const runStubjs = (path: string) => spawnSync(stubjs, [path], { encoding: "utf8", timeout: RUN_TIMEOUT_MS });

test("a module compiled by stubjsc prints what its source prints; stack traces name the module", async () => {
  const js = source(MODULE);
  const bytecode = await compileBytecode(js);
  assert.is(bytecode, js.replace(/\.js$/, ".jsbc"));
  const fromSource = runStubjs(js);
  const fromBytecode = runStubjs(bytecode);
  assert.is(fromBytecode.status, 0, fromBytecode.stderr);
  assert.is(fromBytecode.stderr, "");
  const name = js.slice(dir.length + 1);
  assert.is(fromBytecode.stdout, `trace at <anonymous> (${name}:7:11)\ntimer 2,4,6 function function\n`);
  assert.is(fromSource.stdout.replace(js, name), fromBytecode.stdout);
});

test("the same source compiles to the same bytes", async () => {
  const js = source(MODULE);
  const first = readFileSync(await compileBytecode(js));
  assert.ok(readFileSync(await compileBytecode(js)).equals(first));
});

const refused: Array<[string, string, RegExp]> = [
  ["an import of a file (a bundle has none)", `import "./other.js";`, /imports 'other\.js', which is not a stubjs built-in module \(std, os, sys\): bundle it/],
  ["a syntax error", `const x = ;`, /SyntaxError: unexpected token in expression/],
];
for (const [what, text, message] of refused) {
  test(`stubjsc refuses ${what}, naming the file, and writes nothing`, async () => {
    const js = source(text);
    const err = await compileBytecode(js).then(() => undefined, (e: Error & { stderr?: string }) => e);
    assert.ok(err, "compiled");
    assert.match(err.stderr ?? "", new RegExp(`^stubjsc: ${js.replace(/[.]/g, "\\.")}: `));
    assert.match(err.stderr ?? "", message);
    assert.not.ok(existsSync(js.replace(/\.js$/, ".jsbc")));
  });
}

/** The header's offsets (runtime/native/bytecode_file.h). */
const ID_AT = 8;
const PAYLOAD_AT = 36;

test("stubjs refuses bytecode it must not hand to QuickJS as a load error, never a crash", async () => {
  const whole = readFileSync(await compileBytecode(source(MODULE)));
  const flipped = (at: number): Buffer => {
    const b = Buffer.from(whole);
    b[at] ^= 0x40;
    return b;
  };
  const bad: Array<[string, Buffer, RegExp]> = [
    ["cut in half", whole.subarray(0, whole.length >> 1), /the file is truncated/],
    ["one byte short", whole.subarray(0, whole.length - 1), /the file is truncated/],
    ["a byte of the bytecode changed", flipped(PAYLOAD_AT + 100), /the file is damaged/],
    ["another QuickJS build's", flipped(ID_AT), /bytecode of another QuickJS build than this stubjs's/],
    ["source text named .jsbc", Buffer.from("print('not bytecode')"), /not stubjs bytecode \(no STUBJSBC header/],
    ["empty", Buffer.alloc(0), /not stubjs bytecode/],
  ];
  for (const [what, bytes, message] of bad) {
    const path = join(dir, `bad${files++}.jsbc`);
    writeFileSync(path, bytes);
    const r = runStubjs(path);
    assert.is(r.status, 1, `${what}: ${r.signal ?? ""} ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^stubjs: ${path.replace(/[.]/g, "\\.")} failed to load: SyntaxError: `), what);
    assert.match(r.stderr, message, what);
  }
});

test.run();
