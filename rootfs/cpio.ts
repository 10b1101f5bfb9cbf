// Reproducible cpio "newc" archives, the format the kernel unpacks as an initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst).

export type CpioEntry =
  | { path: string; kind: "file"; mode: number; data: Uint8Array }
  | { path: string; kind: "dir"; mode: number }
  | { path: string; kind: "symlink"; target: string }
  | { path: string; kind: "char" | "block"; mode: number; major: number; minor: number };

const MAGIC = "070701";
const HEADER_SIZE = 110;
const TRAILER_NAME = "TRAILER!!!";
const IMPLIED_DIR_MODE = 0o755;
const SYMLINK_MODE = 0o777; // Linux ignores symlink permissions; this is what lstat shows.

const S_IFMT = 0o170000;
const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000 } as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The 13 numeric header fields, in on-disk order after the magic, 8 hex digits each. */
const HEADER_FIELDS = [
  "ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
  "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check",
] as const;
type Header = Record<(typeof HEADER_FIELDS)[number], number>;

export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let ino = 0;
  for (const entry of withParentsSorted(entries)) {
    ino += 1;
    const name = encoder.encode(entry.path);
    const data = entryData(entry);
    const { major, minor } = entry.kind === "char" || entry.kind === "block" ? entry : { major: 0, minor: 0 };
    chunks.push(header({
      ino, mode: TYPE_BITS[entry.kind] | permissions(entry), uid: 0, gid: 0,
      nlink: entry.kind === "dir" ? 2 : 1, mtime: 0, filesize: data.length,
      devmajor: 0, devminor: 0, rdevmajor: major, rdevminor: minor, namesize: name.length + 1, check: 0,
    }), nameWithPadding(name), data, new Uint8Array(padTo4(data.length)));
  }
  const trailerName = encoder.encode(TRAILER_NAME);
  chunks.push(header({
    ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, filesize: 0, devmajor: 0, devminor: 0,
    rdevmajor: 0, rdevminor: 0, namesize: trailerName.length + 1, check: 0,
  }), nameWithPadding(trailerName));
  return concat(chunks);
}

export function readCpio(bytes: Uint8Array): CpioEntry[] {
  const entries: CpioEntry[] = [];
  let offset = 0;
  for (;;) {
    const at = offset;
    const fail = (reason: string): never => { throw new Error(`cpio: ${reason} at offset ${at}`); };
    if (offset + HEADER_SIZE > bytes.length) fail("archive ends without TRAILER!!!");
    const h = parseHeader(bytes.subarray(offset, offset + HEADER_SIZE), fail);
    offset += HEADER_SIZE;
    if (h.namesize === 0 || offset + h.namesize > bytes.length) fail("truncated name");
    if (bytes[offset + h.namesize - 1] !== 0) fail("name not NUL-terminated");
    const path = decodeText(bytes.subarray(offset, offset + h.namesize - 1), fail);
    offset += h.namesize + padTo4(HEADER_SIZE + h.namesize);
    if (path === TRAILER_NAME) return entries;
    if (offset + h.filesize > bytes.length) fail(`truncated data of ${path}`);
    // A copy, even when given a Buffer (whose slice() would alias the archive).
    const data = new Uint8Array(bytes.subarray(offset, offset + h.filesize));
    offset += h.filesize + padTo4(h.filesize);
    entries.push(toEntry(path, h, data, fail));
  }
}

function withParentsSorted(entries: readonly CpioEntry[]): CpioEntry[] {
  const byPath = new Map<string, CpioEntry>();
  for (const entry of entries) {
    validatePath(entry.path);
    validateEntry(entry);
    const previous = byPath.get(entry.path);
    if (previous && !sameEntry(previous, entry)) throw new Error(`cpio: conflicting entries for ${entry.path}`);
    byPath.set(entry.path, entry);
  }
  for (const entry of entries) {
    const segments = entry.path.split("/");
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join("/");
      const existing = byPath.get(parent);
      if (!existing) byPath.set(parent, { path: parent, kind: "dir", mode: IMPLIED_DIR_MODE });
      else if (existing.kind !== "dir") throw new Error(`cpio: ${parent} is a ${existing.kind} but has children`);
    }
  }
  // Bytewise order puts every directory before its children: a prefix sorts first.
  return [...byPath.values()]
    .map((entry) => ({ entry, key: encoder.encode(entry.path) }))
    .sort((a, b) => compareBytes(a.key, b.key))
    .map(({ entry }) => entry);
}

function validatePath(path: string): void {
  const problem =
    path === "" ? "is empty"
    : path.startsWith("/") ? "starts with /"
    : path.includes("\0") ? "contains NUL"
    : path.split("/").some((s) => s === "") ? "has an empty segment"
    : path.split("/").some((s) => s === "." || s === "..") ? "has a . or .. segment"
    : undefined;
  if (problem) throw new Error(`cpio: path ${JSON.stringify(path)} ${problem}`);
}

function validateEntry(entry: CpioEntry): void {
  const fail = (reason: string): never => { throw new Error(`cpio: ${entry.path}: ${reason}`); };
  if (entry.kind !== "symlink" && !(Number.isInteger(entry.mode) && entry.mode >= 0 && entry.mode <= 0o7777)) {
    fail(`mode ${entry.mode} is not permission bits (0..0o7777)`);
  }
  if (entry.kind === "symlink" && entry.target === "") fail("empty symlink target");
  if (entry.kind === "char" || entry.kind === "block") {
    for (const n of [entry.major, entry.minor]) if (!isU32(n)) fail(`device number ${n} out of range`);
  }
  if (entry.kind === "file" && !isU32(entry.data.length)) fail("file larger than 4 GiB");
}

function sameEntry(a: CpioEntry, b: CpioEntry): boolean {
  switch (a.kind) {
    case "file": return b.kind === "file" && a.mode === b.mode && compareBytes(a.data, b.data) === 0;
    case "dir": return b.kind === "dir" && a.mode === b.mode;
    case "symlink": return b.kind === "symlink" && a.target === b.target;
    case "char":
    case "block":
      return b.kind === a.kind && a.mode === b.mode && a.major === b.major && a.minor === b.minor;
  }
}

function entryData(entry: CpioEntry): Uint8Array {
  if (entry.kind === "file") return entry.data;
  if (entry.kind === "symlink") return encoder.encode(entry.target);
  return new Uint8Array(0);
}

function permissions(entry: CpioEntry): number {
  return entry.kind === "symlink" ? SYMLINK_MODE : entry.mode;
}

function header(h: Header): Uint8Array {
  // Upper-case hex, as the kernel's gen_init_cpio and GNU cpio write it.
  const hex = HEADER_FIELDS.map((field) => h[field].toString(16).toUpperCase().padStart(8, "0"));
  return encoder.encode(MAGIC + hex.join(""));
}

function parseHeader(raw: Uint8Array, fail: (reason: string) => never): Header {
  const text = String.fromCharCode(...raw);
  if (!text.startsWith(MAGIC)) fail(`bad magic ${JSON.stringify(text.slice(0, 6))}`);
  const h = {} as Header;
  HEADER_FIELDS.forEach((name, i) => {
    const field = text.slice(MAGIC.length + i * 8, MAGIC.length + (i + 1) * 8);
    if (!/^[0-9a-fA-F]{8}$/.test(field)) fail(`bad hex field ${name} ${JSON.stringify(field)}`);
    h[name] = parseInt(field, 16);
  });
  return h;
}

function toEntry(path: string, h: Header, data: Uint8Array, fail: (reason: string) => never): CpioEntry {
  const mode = h.mode & 0o7777;
  switch (h.mode & S_IFMT) {
    case TYPE_BITS.file: return { path, kind: "file", mode, data };
    case TYPE_BITS.dir: return { path, kind: "dir", mode };
    case TYPE_BITS.symlink: return { path, kind: "symlink", target: decodeText(data, fail) };
    case TYPE_BITS.char: return { path, kind: "char", mode, major: h.rdevmajor, minor: h.rdevminor };
    case TYPE_BITS.block: return { path, kind: "block", mode, major: h.rdevmajor, minor: h.rdevminor };
    default: return fail(`unsupported file type in mode 0o${h.mode.toString(8)} of ${path}`);
  }
}

function decodeText(bytes: Uint8Array, fail: (reason: string) => never): string {
  try {
    return decoder.decode(bytes);
  } catch {
    return fail("name or link target is not UTF-8");
  }
}

function nameWithPadding(name: Uint8Array): Uint8Array {
  const out = new Uint8Array(name.length + 1 + padTo4(HEADER_SIZE + name.length + 1));
  out.set(name);
  return out;
}

function padTo4(length: number): number {
  return (4 - (length % 4)) % 4;
}

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
