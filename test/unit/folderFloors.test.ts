// The folder rule: README's "What is where" table puts each folder on a floor, and a folder imports
// only folders on a lower floor. This reads every import of every source file (tests aside, which
// may use anything) and holds the tree to the table, both ways: no file outside the table, no
// folder in the table that is not in the tree.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

interface Room {
  folder: string;
  floor: number;
}

function rooms(): Room[] {
  const readme = readFileSync("README.md", "utf8");
  const m = /<!-- folder floors:[^\n]*-->\n([\s\S]*?)\n<!-- end of folder floors -->/.exec(readme);
  assert.ok(m, "README has the folder floors table");
  return m[1]
    .split("\n")
    .map((l) => /^\| (-|[0-9]+) \| `([^`]+)\/` \|/.exec(l))
    .filter((x): x is RegExpExecArray => x !== null)
    .map((x) => ({ folder: x[2], floor: x[1] === "-" ? Infinity : Number(x[1]) }));
}

const table = rooms();
const roomOf = (file: string): Room | undefined =>
  table.filter((r) => file === r.folder || file.startsWith(`${r.folder}/`)).sort((a, b) => b.folder.length - a.folder.length)[0];

const sources = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { encoding: "utf8" })
  .split("\n")
  .filter((f) => /\.(ts|js)$/.test(f) && existsSync(f));

const IMPORT = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

test("the table names every folder of the tree, and only folders that exist", () => {
  for (const r of table) assert.ok(existsSync(r.folder) && statSync(r.folder).isDirectory(), `${r.folder}/ is in the table but not in the tree`);
  const top = readdirSync(".").filter((n) => !n.startsWith(".") && n !== "node_modules" && n !== "build" && statSync(n).isDirectory());
  for (const d of top) assert.ok(table.some((r) => r.folder === d || r.folder.startsWith(`${d}/`)), `${d}/ is not in README's folder table`);
  for (const f of sources) assert.ok(roomOf(f), `${f} is in no folder of README's table`);
});

/** Each import that breaks the rule, as a sentence. */
function violations(files: readonly [path: string, text: string][]): string[] {
  const wrong: string[] = [];
  for (const [f, text] of files) {
    const from = roomOf(f);
    if (!from || from.folder === "test") continue;
    for (const m of text.matchAll(IMPORT)) {
      const target = normalize(join(dirname(f), m[1]));
      const to = roomOf(target);
      if (!to) wrong.push(`${f} imports ${target}, which is in no folder of the table`);
      else if (to.folder === from.folder) continue;
      else if (from.folder === "bench" && (target.startsWith("test/support/") || target.startsWith("test/xen/"))) continue;
      else if (to.floor >= from.floor) wrong.push(`${f} (${from.folder}/, floor ${from.floor}) imports ${target} (${to.folder}/, floor ${to.floor})`);
    }
  }
  return wrong;
}

test("no folder imports one beside it or above it", () => {
  assert.equal(violations(sources.map((f) => [f, readFileSync(f, "utf8")])), []);
});

test("the checker can fail: an import upward, one beside, and one into tests are each caught", () => {
  const wrong = violations([
    ["init/boot.ts", 'import { x } from "../host/cli/args.ts";'],
    ["rootfs/cpio.ts", 'import { y } from "../kernel/moduleSets.ts";'],
    ["qemu/dmArgv.ts", 'import { z } from "../test/support/fakeSys.ts";'],
    ["host/cli/cmdRun.ts", 'import { w } from "../dev/demo.ts";'],
  ]);
  assert.is(wrong.length, 3, wrong.join("\n"));
  assert.match(wrong[0], /init\/boot.ts \(init\/, floor 3\) imports host\/cli\/args.ts/);
  assert.match(wrong[1], /rootfs\/cpio.ts .* imports kernel\/moduleSets.ts \(kernel\/, floor 1\)/);
  assert.match(wrong[2], /qemu\/dmArgv.ts .* imports test\/support\/fakeSys.ts/);
});

test.run();
