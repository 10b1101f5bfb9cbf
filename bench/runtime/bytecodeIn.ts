// A bundle compiled by one QuickJS tree's stubjsc into a folder of its own: compileBytecode writes
// the .jsbc beside its source, so benches that compile the same bundle with two engines copy it first.
import { copyFileSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { compileBytecode, type QuickjsTree } from "../../runtime/build.ts";

export async function bytecodeIn(dir: string, bundle: string, tree: QuickjsTree): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const copy = join(dir, basename(bundle));
  copyFileSync(bundle, copy);
  return compileBytecode(copy, dir, tree);
}
