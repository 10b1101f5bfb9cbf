// The engine tier's filesystem: a flat map of absolute paths to nodes. Files hold bytes, devices
// name what opening them yields (the world decides), sockets point at a listener while one is
// bound. Errors carry the errno name a kernel would give.
import { LINUX } from "./engineShims.ts";

export class WorldError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A failure whose message is already the whole sentence a native sys call would throw. */
export class FullError extends WorldError {}

export type FsNode =
  | { kind: "file"; data: Uint8Array }
  | { kind: "dir" }
  | { kind: "device"; device: string }
  | { kind: "socket"; listener?: unknown };

const MODE = { file: LINUX.S_IFREG | 0o644, dir: LINUX.S_IFDIR | 0o755, device: LINUX.S_IFCHR | 0o600, socket: LINUX.S_IFSOCK | 0o755 } as const;

const parentOf = (path: string): string => path.slice(0, path.lastIndexOf("/")) || "/";

export const bytesOf = (content: string | Uint8Array): Uint8Array => (typeof content === "string" ? new TextEncoder().encode(content) : content);

export class FakeFs {
  private readonly nodes = new Map<string, FsNode>([["/", { kind: "dir" }]]);

  get(path: string): FsNode | undefined {
    return this.nodes.get(path);
  }

  private mkdirs(path: string): void {
    if (path === "/" || this.nodes.get(path)?.kind === "dir") return;
    this.mkdirs(parentOf(path));
    this.nodes.set(path, { kind: "dir" });
  }

  /** Test setup: puts a node, creating its parent directories. */
  put(path: string, node: FsNode): void {
    this.mkdirs(parentOf(path));
    this.nodes.set(path, node);
  }

  file(path: string, content: string | Uint8Array): void {
    this.put(path, { kind: "file", data: bytesOf(content) });
  }

  device(path: string, device: string): void {
    this.put(path, { kind: "device", device });
  }

  dir(path: string): void {
    this.mkdirs(path);
  }

  /** Removes a node and everything below it (test setup). */
  drop(path: string): void {
    for (const p of [...this.nodes.keys()]) if (p === path || p.startsWith(`${path}/`)) this.nodes.delete(p);
  }

  text(path: string): string | undefined {
    const n = this.nodes.get(path);
    return n?.kind === "file" ? new TextDecoder().decode(n.data) : undefined;
  }

  // ---- what the init's calls do ----

  need(path: string): FsNode {
    const n = this.nodes.get(path);
    if (!n) throw new WorldError("ENOENT", `${path}: no such file or directory`);
    return n;
  }

  /** A new node the way creat/mkdir/bind make one: the parent must be a directory. */
  create(path: string, node: FsNode): void {
    const parent = this.nodes.get(parentOf(path));
    if (!parent) throw new WorldError("ENOENT", `${parentOf(path)}: no such directory`);
    if (parent.kind !== "dir") throw new WorldError("ENOTDIR", `${parentOf(path)}: not a directory`);
    if (this.nodes.has(path)) throw new WorldError("EEXIST", `${path} exists`);
    this.nodes.set(path, node);
  }

  mode(path: string): number {
    return MODE[this.need(path).kind];
  }

  readdir(path: string): string[] {
    if (this.need(path).kind !== "dir") throw new WorldError("ENOTDIR", `${path}: not a directory`);
    const prefix = path === "/" ? "/" : `${path}/`;
    const names = new Set<string>();
    for (const p of this.nodes.keys()) {
      if (p !== path && p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]);
    }
    return [".", "..", ...names];
  }

  remove(path: string): void {
    const n = this.need(path);
    if (n.kind === "dir" && this.readdir(path).length > 2) throw new WorldError("ENOTEMPTY", `${path}: directory not empty`);
    this.nodes.delete(path);
  }
}
