// Bundles the init for QuickJS: one ES2020 module; `qjs:os`, `qjs:std`, `qjs:sys` become the
// runtime's built-in modules `os`, `std`, `sys`.
import { build, type Plugin } from "esbuild";
import { pathToFileURL } from "node:url";

const quickjsModules: Plugin = {
  name: "quickjs-modules",
  setup(b) {
    b.onResolve({ filter: /^qjs:/ }, (args) => ({ path: args.path.slice("qjs:".length), external: true }));
  },
};

/** TypeBox stays on the build machine: its schemas enter the bundle as the JSON Schema they are. */
export const schemasAsJson: Plugin = {
  name: "schemas-as-json",
  setup(b) {
    b.onLoad({ filter: /Schema\.ts$/ }, async (args) => {
      const mod = (await import(pathToFileURL(args.path).href)) as Record<string, unknown>;
      const exports = Object.entries(mod).map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};`);
      return { contents: exports.join("\n"), loader: "js" };
    });
  },
};

/** The display bridge's bundle (display/main.ts), run by the same runtime as a child of the init. */
export const DISPLAY_ENTRY = "display/main.ts";
export const DISPLAY_BUNDLE_OUT = "build/init/display.js";

/** Where the init's bundle goes by default (host/image/build.ts compiles it to the image's bytecode). */
export const INIT_BUNDLE_OUT = "build/init/init.js";

export async function bundleInit(outfile = INIT_BUNDLE_OUT, entry = "init/main.ts"): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    target: "es2020",
    platform: "neutral",
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: "none",
    plugins: [quickjsModules, schemasAsJson],
    logLevel: "warning",
  });
  return outfile;
}
