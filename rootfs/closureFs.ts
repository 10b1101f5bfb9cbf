// Filesystems the library closure can search, each answering in image paths:
// - layeredFs: host directories stacked like an overlay (unpacked .debs, a build prefix) over the
//   host's own tree, so a program from a .deb finds its libraries where the image will have them;
// - imageFs: the entries of a built image, to check that the image is complete by itself.
import { lstatSync, readFileSync, readlinkSync } from "node:fs";
import type { CpioEntry } from "./cpio.ts";
import type { ClosureFs } from "./libraryClosure.ts";

export type PathNode = { kind: "file" | "dir" | "other" } | { kind: "symlink"; target: string };

/** Linux gives up after 40 symlinks in one lookup (ELOOP). */
const MAX_SYMLINKS = 40;

/**
 * The path with every symlink followed, component by component as the kernel does (".." applies to
 * the directory reached so far); undefined when a component is missing, not a directory, or loops.
 */
export function resolvePath(path: string, lookup: (realPath: string) => PathNode | undefined): string | undefined {
  let pending = path.split("/");
  const done: string[] = [];
  let symlinks = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      done.pop();
      continue;
    }
    const node = lookup(`/${[...done, part].join("/")}`);
    if (!node) return undefined;
    if (node.kind === "symlink") {
      if (++symlinks > MAX_SYMLINKS) return undefined;
      if (node.target.startsWith("/")) done.length = 0;
      pending = [...node.target.split("/"), ...pending];
      continue;
    }
    if (node.kind !== "dir" && pending.some((p) => p !== "")) return undefined;
    done.push(part);
  }
  return `/${done.join("/")}`;
}

function hostNode(path: string): PathNode | undefined {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return undefined;
  if (st.isSymbolicLink()) return { kind: "symlink", target: readlinkSync(path) };
  return { kind: st.isDirectory() ? "dir" : st.isFile() ? "file" : "other" };
}

/** A filesystem tree that can also say which host file is behind an image path. */
export type LayeredFs = ClosureFs & { hostPath(realPath: string): string };

/**
 * Host directories stacked in order, the first that has a path winning ("/" is the host itself).
 * Directories merge: /usr/lib/x86_64-linux-gnu holds the files of every layer.
 */
export function layeredFs(layers: readonly string[]): LayeredFs {
  if (layers.length === 0) throw new Error("layeredFs: no layers");
  const onHost = (layer: string, path: string): string => (layer === "/" ? path : `${layer.replace(/\/+$/, "")}${path}`);
  const find = (path: string): { host: string; node: PathNode } | undefined => {
    for (const layer of layers) {
      const host = onHost(layer, path);
      const node = hostNode(host);
      if (node) return { host, node };
    }
    return undefined;
  };
  const resolve = (path: string): string | undefined => resolvePath(path, (p) => find(p)?.node);
  return {
    readFile(path) {
      const real = resolve(path);
      const found = real === undefined ? undefined : find(real);
      return found?.node.kind === "file" ? readFileSync(found.host) : undefined;
    },
    realpath(path) {
      const real = resolve(path);
      if (real === undefined) throw new Error(`ENOENT: ${path} (in layers ${layers.join(", ")})`);
      return real;
    },
    exists: (path) => resolve(path) !== undefined,
    hostPath(realPath) {
      const found = find(realPath);
      if (!found) throw new Error(`ENOENT: ${realPath} (in layers ${layers.join(", ")})`);
      return found.host;
    },
  };
}

/** The tree of a built image, from its cpio entries (directories the archive lacks are implied). */
export function imageFs(entries: readonly CpioEntry[]): ClosureFs {
  const byPath = new Map<string, CpioEntry>();
  const dirs = new Set<string>();
  for (const e of entries) {
    byPath.set(`/${e.path}`, e);
    const parts = e.path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(`/${parts.slice(0, i).join("/")}`);
  }
  const lookup = (path: string): PathNode | undefined => {
    const e = byPath.get(path);
    if (!e) return dirs.has(path) ? { kind: "dir" } : undefined;
    if (e.kind === "symlink") return { kind: "symlink", target: e.target };
    return { kind: e.kind === "file" || e.kind === "dir" ? e.kind : "other" };
  };
  const resolve = (path: string): string | undefined => resolvePath(path, lookup);
  return {
    readFile(path) {
      const real = resolve(path);
      const e = real === undefined ? undefined : byPath.get(real);
      return e?.kind === "file" ? e.data : undefined;
    },
    realpath(path) {
      const real = resolve(path);
      if (real === undefined) throw new Error(`ENOENT: ${path} (in the image)`);
      return real;
    },
    exists: (path) => resolve(path) !== undefined,
  };
}
