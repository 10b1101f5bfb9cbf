// Xen's own XenStore programs from Debian 12, unpacked into the cache (never installed: xen-utils
// would bring the hypervisor's tools and daemons): test-xenstore from xen-utils-4.17 and the C
// client library it links (DT_NEEDED libxenstore.so.4, which needs libxentoolcore.so.1), the
// referees for our daemon; libxen-dev's headers and static libraries for the C side of the bench.
import { join } from "node:path";
import { unpackDebs, type Layer } from "../../buildkit/debianPackages.ts";

const LIB = "usr/lib/x86_64-linux-gnu";

export interface XenTools {
  testXenstore: string;
  /** LD_LIBRARY_PATH for the unpacked libraries, so the host's own copies play no part. */
  libraryPath: string;
  layers: Layer[];
}

export function xenTools(log?: (line: string) => void): XenTools {
  const layers = unpackDebs(["xen-utils-4.17", "libxenstore4", "libxentoolcore1"], log);
  return {
    testXenstore: join(layers[0].dir, "usr/lib/xen-4.17/bin/test-xenstore"),
    libraryPath: layers.slice(1).map((l) => join(l.dir, LIB)).join(":"),
    layers,
  };
}

export interface XenDev {
  includeDir: string;
  /** libxenstore.a and libxentoolcore.a: a program linked with them needs no library path. */
  staticLibs: string[];
  layer: Layer;
}

export function xenDev(log?: (line: string) => void): XenDev {
  const [layer] = unpackDebs(["libxen-dev"], log);
  return {
    includeDir: join(layer.dir, "usr/include"),
    staticLibs: ["libxenstore.a", "libxentoolcore.a"].map((l) => join(layer.dir, LIB, l)),
    layer,
  };
}
