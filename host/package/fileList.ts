// Every path one package installs, with its kind, mode and content, as data: the file list that
// debTree.ts writes and the tests read. Paths are absolute, as dpkg lists them.
import { BUNDLE_PATH, NODE, PACKAGE_NAME, type DebSpec } from "./debSpec.ts";

export type FileContent = { host: string } | { data: Uint8Array };

export type TreeEntry = { kind: "dir"; path: string; mode: number } | { kind: "file"; path: string; mode: number; size: number; content: FileContent };

/** What goes into one package besides the list's own knowledge of where things go. */
export interface Payload {
  /** The image files of this release (host/image/build.ts outputs.xen[release]), with their sizes. */
  kernel: { host: string; size: number };
  rootfs: { host: string; size: number };
  /** The esbuild bundle of host/bin/stubdomctlPackaged.ts. */
  bundle: Uint8Array;
  /** stubdomctl.8, gzip -9n. */
  manPage: Uint8Array;
  copyright: string;
  /** changelog.Debian, gzip -9n. */
  changelog: Uint8Array;
  lintianOverrides: string;
}

export const STUBDOMCTL = "/usr/bin/stubdomctl";
export const MAN_PAGE = "/usr/share/man/man8/stubdomctl.8.gz";
export const DOC_DIR = `/usr/share/doc/${PACKAGE_NAME}`;
export const LINTIAN_OVERRIDES = `/usr/share/lintian/overrides/${PACKAGE_NAME}`;

/**
 * /usr/bin/stubdomctl: Debian's node runs the bundle. `exec`, so node is this process and a
 * signal sent to it (Ctrl-C on `watch`) reaches node's own handlers.
 */
export const launcherScript = (): string => `#!/bin/sh
# stubdomctl, the dom0 tool of stubdom-init: a Node.js bundle run by Debian's nodejs.
exec ${NODE} ${BUNDLE_PATH} "$@"
`;

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const file = (path: string, mode: number, content: FileContent, size: number): TreeEntry => ({ kind: "file", path, mode, size, content });
const dataFile = (path: string, mode: number, data: Uint8Array): TreeEntry => file(path, mode, { data }, data.length);

/** Each ancestor of `path` below /, outermost first: /usr/lib/x → /usr, /usr/lib. */
export function parentDirs(path: string): string[] {
  const parts = path.split("/").filter((p) => p !== "");
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
}

/** The package's whole tree, sorted by path (bytewise, as dpkg-deb sorts), directories included. */
export function fileList(spec: DebSpec, p: Payload): TreeEntry[] {
  const launcher = bytes(launcherScript());
  const files: TreeEntry[] = [
    file(`${spec.firmwareDir}/qemu-stubdom-linux-kernel`, 0o644, { host: p.kernel.host }, p.kernel.size),
    file(`${spec.firmwareDir}/qemu-stubdom-linux-rootfs`, 0o644, { host: p.rootfs.host }, p.rootfs.size),
    dataFile(BUNDLE_PATH, 0o644, p.bundle),
    dataFile(STUBDOMCTL, 0o755, launcher),
    dataFile(MAN_PAGE, 0o644, p.manPage),
    dataFile(`${DOC_DIR}/copyright`, 0o644, bytes(p.copyright)),
    dataFile(`${DOC_DIR}/changelog.Debian.gz`, 0o644, p.changelog),
    dataFile(LINTIAN_OVERRIDES, 0o644, bytes(p.lintianOverrides)),
  ];
  const dirs = [...new Set(files.flatMap((f) => parentDirs(f.path)))].map((path): TreeEntry => ({ kind: "dir", path, mode: 0o755 }));
  return [...dirs, ...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
