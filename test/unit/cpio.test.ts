import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCpio, writeCpio, type CpioEntry } from "../../rootfs/cpio.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const file = (path: string, content: string, mode = 0o644): CpioEntry => ({ path, kind: "file", mode, data: text(content) });
const dir = (path: string, mode = 0o755): CpioEntry => ({ path, kind: "dir", mode });
const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, "0");

/** Raw header fields of every record, read independently of readCpio. */
function records(archive: Uint8Array): { offset: number; name: string; fields: number[]; dataOffset: number }[] {
  const out = [];
  let offset = 0;
  for (;;) {
    const header = new TextDecoder().decode(archive.subarray(offset, offset + 110));
    const fields = Array.from({ length: 13 }, (_, i) => parseInt(header.slice(6 + i * 8, 14 + i * 8), 16));
    const namesize = fields[11]!;
    const name = new TextDecoder().decode(archive.subarray(offset + 110, offset + 110 + namesize - 1));
    const dataOffset = Math.ceil((offset + 110 + namesize) / 4) * 4;
    out.push({ offset, name, fields, dataOffset });
    if (name === "TRAILER!!!") return out;
    offset = Math.ceil((dataOffset + fields[6]!) / 4) * 4;
  }
}

const sample: CpioEntry[] = [
  file("init", "#!/bin/stubjs\n", 0o755),
  file("usr/bin/qemu", "qemu"),
  { path: "bin/sh", kind: "symlink", target: "busybox" },
  { path: "dev/console", kind: "char", mode: 0o600, major: 5, minor: 1 },
  { path: "dev/xvda", kind: "block", mode: 0o660, major: 202, minor: 0 },
  dir("tmp", 0o1777),
  file("etc/hostname", "stubdom\n"),
  file("usr/lib/x86_64-linux-gnu/libz.so.1", "z".repeat(13)),
];
const samplePaths = [
  "bin", "bin/sh", "dev", "dev/console", "dev/xvda", "etc", "etc/hostname", "init", "tmp",
  "usr", "usr/bin", "usr/bin/qemu", "usr/lib", "usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/libz.so.1",
];

test("a single file: every header field, the name, the padding and the trailer, byte by byte", () => {
  const archive = writeCpio([file("a", "hi\n")]);
  const expected =
    "070701" + hex8(1) + hex8(0o100644) + hex8(0) + hex8(0) + hex8(1) + hex8(0) + hex8(3) +
    hex8(0) + hex8(0) + hex8(0) + hex8(0) + hex8(2) + hex8(0) + "a\0" + "hi\n\0" +
    "070701" + hex8(0) + hex8(0) + hex8(0) + hex8(0) + hex8(1) + hex8(0) + hex8(0) +
    hex8(0) + hex8(0) + hex8(0) + hex8(0) + hex8(11) + hex8(0) + "TRAILER!!!\0" + "\0\0\0";
  assert.equal(new TextDecoder().decode(archive), expected);
  assert.is(archive.length % 4, 0);
});

test("an empty archive is only the trailer", () => {
  const [trailer, ...rest] = records(writeCpio([]));
  assert.is(trailer!.name, "TRAILER!!!");
  assert.equal(rest, []);
});

test("missing parents are added as 0755 directories, everything sorted bytewise", () => {
  const entries = readCpio(writeCpio(sample));
  assert.equal(entries.map((e) => e.path), samplePaths);
  assert.equal(entries.find((e) => e.path === "usr/lib"), dir("usr/lib"));
  assert.equal(entries.find((e) => e.path === "tmp"), dir("tmp", 0o1777), "an explicit dir keeps its mode");
});

test("order is by UTF-8 bytes, not UTF-16 units, and '-' sorts before '/'", () => {
  const names = ["a/b", "a-b", "\u{1F600}", "\uFF01", "é"];
  const paths = readCpio(writeCpio(names.map((n) => file(n, "")))).map((e) => e.path);
  assert.equal(paths, ["a", "a-b", "a/b", "é", "\uFF01", "\u{1F600}"]);
});

test("inodes are 1..N in output order, nlink 2 for dirs and 1 otherwise, owners and times 0", () => {
  const all = records(writeCpio(sample));
  const body = all.slice(0, -1);
  assert.equal(body.map((r) => r.fields[0]), body.map((_, i) => i + 1));
  for (const r of body) {
    const isDir = (r.fields[1]! & 0o170000) === 0o040000;
    assert.is(r.fields[4], isDir ? 2 : 1, r.name);
    assert.equal([r.fields[2], r.fields[3], r.fields[5], r.fields[7], r.fields[8], r.fields[12]], [0, 0, 0, 0, 0, 0]);
  }
});

test("type bits and device numbers in the header", () => {
  const byName = new Map(records(writeCpio(sample)).map((r) => [r.name, r.fields]));
  const cases: [string, number, number, number][] = [
    ["bin/sh", 0o120777, 0, 0],
    ["dev/console", 0o020600, 5, 1],
    ["dev/xvda", 0o060660, 202, 0],
    ["tmp", 0o041777, 0, 0],
    ["init", 0o100755, 0, 0],
  ];
  for (const [name, mode, major, minor] of cases) {
    const fields = byName.get(name)!;
    assert.equal([fields[1], fields[9], fields[10]], [mode, major, minor], name);
  }
  assert.is(byName.get("bin/sh")![6], "busybox".length, "a symlink's data is its target");
});

test("header+name and data are each padded to 4 bytes with zeros", () => {
  // [path, data length, where the data starts, where the next header starts]
  const cases: [string, number, number, number][] = [
    ["a", 0, 112, 112],
    ["ab", 1, 116, 120],
    ["abc", 3, 116, 120],
    ["abcd", 4, 116, 120],
    ["abcde", 5, 116, 124],
  ];
  for (const [path, size, dataOffset, next] of cases) {
    const archive = writeCpio([file(path, "x".repeat(size))]);
    const [record, trailer] = records(archive);
    assert.is(record!.dataOffset, dataOffset, path);
    assert.is(trailer!.offset, next, path);
    // From the name's NUL to the data, and from the data's end to the next header.
    const padding = [...archive.subarray(110 + path.length, dataOffset), ...archive.subarray(dataOffset + size, next)];
    assert.ok(padding.every((b) => b === 0), `${path}: padding is zeros`);
  }
});

test("identical duplicates collapse; conflicting duplicates throw naming the path", () => {
  assert.equal(writeCpio([file("a", "x"), file("a", "x")]), writeCpio([file("a", "x")]));
  const conflicts: [CpioEntry, CpioEntry][] = [
    [file("etc/a", "x"), file("etc/a", "y")],
    [file("etc/a", "x", 0o644), file("etc/a", "x", 0o600)],
    [file("etc/a", "x"), dir("etc/a")],
    [{ path: "etc/a", kind: "symlink", target: "b" }, { path: "etc/a", kind: "symlink", target: "c" }],
    [{ path: "etc/a", kind: "char", mode: 0o600, major: 5, minor: 1 }, { path: "etc/a", kind: "block", mode: 0o600, major: 5, minor: 1 }],
  ];
  for (const pair of conflicts) assert.throws(() => writeCpio(pair), /etc\/a/);
});

test("bad paths and bad entries are rejected", () => {
  const bad: [string, CpioEntry[]][] = [
    ["empty", [file("", "")]],
    ["absolute", [file("/etc/a", "")]],
    ["empty segment", [file("etc//a", "")]],
    ["trailing slash", [dir("etc/")]],
    ["dot-dot", [file("../a", "")]],
    ["inner dot-dot", [file("etc/../a", "")]],
    ["dot", [file("./a", "")]],
    ["NUL", [file("a\0b", "")]],
    ["child of a file", [file("etc", ""), file("etc/a", "")]],
    ["type bits in mode", [file("a", "", 0o100644)]],
    ["empty symlink", [{ path: "a", kind: "symlink", target: "" }]],
    ["negative minor", [{ path: "a", kind: "char", mode: 0o600, major: 1, minor: -1 }]],
  ];
  for (const [why, entries] of bad) assert.throws(() => writeCpio(entries), /cpio/, why);
});

test("symlinks, char and block devices, dirs and files round-trip", () => {
  const back = readCpio(writeCpio(sample));
  for (const entry of sample) assert.equal(back.find((e) => e.path === entry.path), entry, entry.path);
});

test("output is identical for any input order", () => {
  let seed = 42;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const shuffled = [...sample].map((e) => ({ e, k: random() })).sort((a, b) => a.k - b.k).map(({ e }) => e);
  assert.equal(writeCpio(shuffled), writeCpio(sample));
  assert.equal(writeCpio([...sample].reverse()), writeCpio(sample));
});

test("readCpio names the offset of what is wrong", () => {
  const archive = writeCpio([file("a", "hello")]);
  const cases: [string, Uint8Array, RegExp][] = [
    ["bad magic", text("070707" + "0".repeat(104)), /magic.*offset 0/],
    ["truncated data", archive.subarray(0, 114), /truncated data of a at offset 0/],
    ["no trailer", archive.subarray(0, 120), /TRAILER.*offset 120/],
    ["bad hex", (() => { const b = archive.slice(); b[10] = 0x7a; return b; })(), /hex field ino.*offset 0/],
  ];
  for (const [why, bytes, message] of cases) assert.throws(() => readCpio(bytes), message, why);
});

test("GNU cpio -it lists exactly our paths", () => {
  const listing = spawnSync("cpio", ["-it", "--quiet"], { input: writeCpio(sample) });
  assert.is(listing.status, 0, listing.stderr.toString());
  assert.equal(listing.stdout.toString().trimEnd().split("\n"), samplePaths);
});

test("GNU cpio -i extracts the same contents, modes, link targets and device numbers", () => {
  const root = mkdtempSync(join(tmpdir(), "cpio-test-"));
  try {
    const extract = spawnSync("cpio", ["-i", "--quiet", "--preserve-modification-time"], { cwd: root, input: writeCpio(sample) });
    assert.is(extract.status, 0, extract.stderr.toString());
    for (const entry of sample.filter((e) => e.kind === "file")) {
      assert.equal(new Uint8Array(readFileSync(join(root, entry.path))), entry.data, entry.path);
      assert.is(statSync(join(root, entry.path)).mode & 0o7777, entry.mode, entry.path);
    }
    assert.is(statSync(join(root, "init")).mtimeMs, 0);
    assert.is(readlinkSync(join(root, "bin/sh")), "busybox");
    assert.ok(statSync(join(root, "usr/lib")).isDirectory());
    const console = lstatSync(join(root, "dev/console"), { bigint: true });
    assert.ok(console.isCharacterDevice());
    // glibc's dev_t encoding: major in bits 8-19 (and 32+), minor in bits 0-7 (and 20-31).
    assert.equal([(console.rdev >> 8n) & 0xfffn, console.rdev & 0xffn], [5n, 1n]);
    const disk = lstatSync(join(root, "dev/xvda"), { bigint: true });
    assert.ok(disk.isBlockDevice());
    assert.equal([(disk.rdev >> 8n) & 0xfffn, disk.rdev & 0xffn], [202n, 0n]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
