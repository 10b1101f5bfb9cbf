// The QuickJS stubjs ran before Debian 13's 2025-04-26: 2021-03-27, as vendored in the npm package
// qjsc@0.3.0 (no Debian release packages it). The runtime benches build stubjs from it beside
// today's to set the two side by side; nothing else uses it. `npm pack` fetches the tarball into
// the cache once, and its sha512 must be the one this file pins (package-lock's, when the runtime
// was built from it).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheEntry, inputHash } from "../../buildkit/cache.ts";
import { quickjsTreeAt, type QuickjsTree } from "../../runtime/build.ts";

const PACKAGE = "qjsc@0.3.0";
const TARBALL = "qjsc-0.3.0.tgz";
const INTEGRITY = "sha512-a7+cU6/IVcZbIejffdt/wZVMX6LL2MDL3HQ9Zb5Gm23G9DvBMS/z9GHFxz39bAvp2PvMOM+ypSOAyokt2DdZ2w==";
const TREE = "package/deps/quickjs_2021_03_27";

export function previousQuickjs(log: (line: string) => void = () => undefined): QuickjsTree {
  const entry = cacheEntry("quickjs-previous", inputHash([PACKAGE, INTEGRITY]));
  if (!entry.hit) {
    log(`bench: npm pack ${PACKAGE} (QuickJS 2021-03-27, for the side-by-side) into ${entry.dir}`);
    execFileSync("npm", ["pack", "--silent", PACKAGE], { cwd: entry.dir, stdio: ["ignore", "ignore", "inherit"] });
    const got = `sha512-${createHash("sha512").update(readFileSync(join(entry.dir, TARBALL))).digest("base64")}`;
    if (got !== INTEGRITY) throw new Error(`${PACKAGE}: the tarball's integrity is ${got}, not the pinned ${INTEGRITY}`);
    execFileSync("tar", ["-xzf", TARBALL, TREE], { cwd: entry.dir });
    writeFileSync(entry.stamp, `${PACKAGE} ${INTEGRITY}\n`);
  }
  return quickjsTreeAt(join(entry.dir, TREE), `npm ${PACKAGE}'s vendored copy`);
}
