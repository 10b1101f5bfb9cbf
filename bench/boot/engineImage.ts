// The bench's dev image on the QuickJS before today's (bench/runtime/previousQuickjs.ts): /init is
// stubjs built from it out of the same runtime/native/ sources, and the init and display bundles are
// the same esbuild outputs compiled by that build's stubjsc; every other file is the dev rootfs's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { INIT_BUNDLE } from "../../host/image/flavours.ts";
import { DISPLAY_BUNDLE_OUT, INIT_BUNDLE_OUT } from "../../init/bundle.ts";
import { DISPLAY_BUNDLE } from "../../init/displayService.ts";
import { readCpio, type CpioEntry } from "../../rootfs/cpio.ts";
import { buildRuntime } from "../../runtime/build.ts";
import { bytecodeIn } from "../runtime/bytecodeIn.ts";
import { previousQuickjs } from "../runtime/previousQuickjs.ts";
import { BENCH_DIR, benchImage, type BenchImage } from "./images.ts";

export async function previousQuickjsImage(ours: BenchImage, log: (line: string) => void): Promise<{ image: BenchImage; version: string }> {
  const tree = previousQuickjs(log);
  const dir = join(BENCH_DIR, "quickjs-previous");
  const stubjs = await buildRuntime(dir, tree);
  const compiled = async (bundle: string): Promise<Uint8Array> => readFileSync(await bytecodeIn(dir, bundle, tree));
  const replaced = new Map<string, Uint8Array>([
    ["init", readFileSync(stubjs)],
    [INIT_BUNDLE.slice(1), await compiled(INIT_BUNDLE_OUT)],
    [DISPLAY_BUNDLE.slice(1), await compiled(DISPLAY_BUNDLE_OUT)],
  ]);
  const entries = readCpio(readFileSync(ours.cpio)).map((e): CpioEntry => {
    const data = replaced.get(e.path);
    if (data && e.kind !== "file") throw new Error(`${ours.cpio}: /${e.path} is not a file`);
    return data && e.kind === "file" ? { ...e, data } : e;
  });
  const missing = [...replaced.keys()].filter((p) => !entries.some((e) => e.path === p));
  if (missing.length > 0) throw new Error(`${ours.cpio} has no ${missing.map((p) => `/${p}`).join(", ")}`);
  const image = benchImage("previous-quickjs", entries);
  log(`bench image ${image.name}: ${image.rootfs}, stubjs and bytecode of QuickJS ${tree.version}`);
  return { image, version: tree.version };
}
