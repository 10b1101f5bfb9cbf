// Bundles the init for QuickJS: one ES2020 module; `qjs:os`, `qjs:std`, `qjs:sys` become the
// runtime's built-in modules `os`, `std`, `sys`.
import { build, type Plugin } from "esbuild";

const quickjsModules: Plugin = {
  name: "quickjs-modules",
  setup(b) {
    b.onResolve({ filter: /^qjs:/ }, (args) => ({ path: args.path.slice("qjs:".length), external: true }));
  },
};

export async function bundleInit(outfile = "build/init/init.js", entry = "init/main.ts"): Promise<string> {
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
    plugins: [quickjsModules],
    logLevel: "warning",
  });
  return outfile;
}
