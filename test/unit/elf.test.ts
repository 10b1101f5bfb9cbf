import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { lstatSync, readFileSync } from "node:fs";
import { ElfError, isElf, readElfDynamic } from "../../rootfs/elf.ts";
import { libraryClosure, type ClosureFs } from "../../rootfs/libraryClosure.ts";

// ---- a minimal ELF64 x86_64 writer, so the parser and the closure can be tested on exact inputs

type ElfSpec = { interpreter?: string; needed?: string[]; runpath?: string; rpath?: string; soname?: string; machine?: number };

const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, STRSZ: 10, SONAME: 14, RPATH: 15, RUNPATH: 29 };

/**
 * Layout: ELF header, program headers, interpreter string in a first PT_LOAD mapped at 0x400000;
 * string table and dynamic array in a second PT_LOAD whose address differs from its file offset,
 * so DT_STRTAB only resolves through the segment mapping.
 */
function buildElf(spec: ElfSpec): Uint8Array {
  const strtab: number[] = [0];
  const addString = (s: string): number => {
    const index = strtab.length;
    strtab.push(...new TextEncoder().encode(s), 0);
    return index;
  };
  const dynamic: [number, number][] = [];
  for (const name of spec.needed ?? []) dynamic.push([DT.NEEDED, addString(name)]);
  if (spec.soname !== undefined) dynamic.push([DT.SONAME, addString(spec.soname)]);
  if (spec.rpath !== undefined) dynamic.push([DT.RPATH, addString(spec.rpath)]);
  if (spec.runpath !== undefined) dynamic.push([DT.RUNPATH, addString(spec.runpath)]);

  const interp = spec.interpreter === undefined ? undefined : [...new TextEncoder().encode(spec.interpreter), 0];
  const phnum = 3 + (interp ? 1 : 0);
  const interpOffset = 64 + phnum * 56;
  const secondLoad = Math.ceil((interpOffset + (interp?.length ?? 0)) / 16) * 16;
  const secondLoadAddress = 0x600000;
  const dynamicOffset = secondLoad + Math.ceil(strtab.length / 8) * 8;
  dynamic.push([DT.STRTAB, secondLoadAddress], [DT.STRSZ, strtab.length], [DT.NULL, 0]);
  const size = dynamicOffset + dynamic.length * 16;

  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  view.setUint16(16, 3, true); // ET_DYN
  view.setUint16(18, spec.machine ?? 62, true);
  view.setBigUint64(0x20, 64n, true);
  view.setUint16(0x34, 64, true);
  view.setUint16(0x36, 56, true);
  view.setUint16(0x38, phnum, true);
  const segments: [type: number, offset: number, vaddr: number, filesz: number][] = [
    [1, 0, 0x400000, secondLoad],
    [1, secondLoad, secondLoadAddress, size - secondLoad],
    [2, dynamicOffset, secondLoadAddress + dynamicOffset - secondLoad, dynamic.length * 16],
  ];
  if (interp) segments.push([3, interpOffset, 0x400000 + interpOffset, interp.length]);
  segments.forEach(([type, offset, vaddr, filesz], i) => {
    const at = 64 + i * 56;
    view.setUint32(at, type, true);
    view.setBigUint64(at + 8, BigInt(offset), true);
    view.setBigUint64(at + 16, BigInt(vaddr), true);
    view.setBigUint64(at + 32, BigInt(filesz), true);
    view.setBigUint64(at + 40, BigInt(filesz), true);
  });
  if (interp) bytes.set(interp, interpOffset);
  bytes.set(strtab, secondLoad);
  dynamic.forEach(([tag, value], i) => {
    view.setBigInt64(dynamicOffset + i * 16, BigInt(tag), true);
    view.setBigUint64(dynamicOffset + i * 16 + 8, BigInt(value), true);
  });
  return bytes;
}

/** An in-memory tree: absolute path -> file bytes or symlink; directories are implied by their contents. */
function fakeFs(tree: Record<string, Uint8Array | { symlink: string }>): ClosureFs {
  const resolve = (path: string, hops = 0): string => {
    if (hops > 40) throw new Error(`ELOOP ${path}`);
    const done: string[] = [];
    const parts = path.split("/").filter((p) => p !== "" && p !== ".");
    for (let i = 0; i < parts.length; i++) {
      if (parts[i] === "..") {
        done.pop();
        continue;
      }
      const node = tree[`/${[...done, parts[i]].join("/")}`];
      if (node && "symlink" in node) {
        const target = node.symlink.startsWith("/") ? node.symlink : `/${done.join("/")}/${node.symlink}`;
        return resolve(`${target}/${parts.slice(i + 1).join("/")}`, hops + 1);
      }
      done.push(parts[i]!);
    }
    return `/${done.join("/")}`;
  };
  const isDir = (resolved: string): boolean => Object.keys(tree).some((k) => k.startsWith(`${resolved}/`));
  const exists = (path: string): boolean => {
    const resolved = resolve(path);
    return tree[resolved] instanceof Uint8Array || isDir(resolved);
  };
  return {
    readFile(path) {
      const node = tree[resolve(path)];
      return node instanceof Uint8Array ? node : undefined;
    },
    realpath(path) {
      if (!exists(path)) throw new Error(`ENOENT ${path}`);
      return resolve(path);
    },
    exists,
  };
}

const INTERP = "/lib64/ld-linux-x86-64.so.2";
/** Debian 12's merged /usr, its loader and libc. */
const debianBase = {
  "/lib": { symlink: "usr/lib" },
  "/lib64": { symlink: "usr/lib64" },
  "/usr/lib64/ld-linux-x86-64.so.2": { symlink: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" },
  "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": buildElf({ soname: "ld-linux-x86-64.so.2" }),
  "/usr/lib/x86_64-linux-gnu/libc.so.6": buildElf({ soname: "libc.so.6", needed: ["ld-linux-x86-64.so.2"], interpreter: INTERP }),
};

// ---- readElfDynamic on exact inputs

test("readElfDynamic reads interpreter, needed, soname and runpath through the PT_LOAD mapping", () => {
  const elf = buildElf({ interpreter: INTERP, needed: ["libz.so.1", "libc.so.6"], soname: "libx.so.1", runpath: "$ORIGIN/../lib:/opt/lib" });
  assert.equal(readElfDynamic(elf), {
    interpreter: INTERP, needed: ["libz.so.1", "libc.so.6"], soname: "libx.so.1", runpath: ["$ORIGIN/../lib", "/opt/lib"],
  });
});

test("DT_RPATH counts only when there is no DT_RUNPATH, as in ld.so", () => {
  const cases: [ElfSpec, string[]][] = [
    [{ rpath: "/r1:/r2" }, ["/r1", "/r2"]],
    [{ runpath: "/u" }, ["/u"]],
    [{ rpath: "/r", runpath: "/u" }, ["/u"]],
    [{}, []],
  ];
  for (const [spec, runpath] of cases) assert.equal(readElfDynamic(buildElf(spec)).runpath, runpath, JSON.stringify(spec));
});

test("bad input throws ElfError with the reason", () => {
  // A plain Uint8Array copy: Buffer's slice() would share, and mutate, the bytes.
  const ls = new Uint8Array(readFileSync("/usr/bin/ls"));
  const withByte = (at: number, value: number): Uint8Array => { const b = ls.slice(); b[at] = value; return b; };
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /bad magic/],
    ["a shell script", new TextEncoder().encode("#!/bin/sh\necho hi\n"), /bad magic/],
    ["only the magic", ls.subarray(0, 4), /truncated/],
    ["ELF header only, program headers cut off", ls.subarray(0, 64), /truncated/],
    ["dynamic segment cut off", ls.subarray(0, 0x1000), /truncated/],
    ["ELF32", withByte(4, 1), /not ELF64/],
    ["big-endian", withByte(5, 2), /little-endian/],
    ["another machine", buildElf({ machine: 183 }), /machine 183/],
  ];
  for (const [why, bytes, reason] of cases) {
    try {
      readElfDynamic(bytes);
      assert.unreachable(why);
    } catch (error) {
      assert.instance(error, ElfError, why);
      assert.match((error as ElfError).reason, reason, why);
    }
  }
});

// ---- readElfDynamic on Debian's own binaries

test("static busybox needs nothing", () => {
  const busybox = readFileSync("/bin/busybox");
  assert.ok(isElf(busybox));
  assert.equal(readElfDynamic(busybox), { needed: [], runpath: [] });
});

test("dynamic /usr/bin/ls: interpreter and libc; libc has its soname", () => {
  const ls = readElfDynamic(readFileSync("/usr/bin/ls"));
  assert.is(ls.interpreter, INTERP);
  assert.ok(ls.needed.includes("libc.so.6"), ls.needed.join(" "));
  assert.is(readElfDynamic(readFileSync("/lib/x86_64-linux-gnu/libc.so.6")).soname, "libc.so.6");
  assert.not.ok(isElf(new TextEncoder().encode("#!/bin/sh")));
});

// ---- libraryClosure

test("host closure of /usr/bin/ls: interpreter at its PT_INTERP path, libs under usr/lib, the same set as ldd", () => {
  const { files, missing } = libraryClosure(["/usr/bin/ls"]);
  assert.equal(missing, []);
  assert.ok(files.has("lib64/ld-linux-x86-64.so.2"));
  assert.ok(files.has("usr/lib/x86_64-linux-gnu/libc.so.6"));
  for (const [imagePath, hostFile] of files) assert.ok(lstatSync(hostFile).isFile(), `${imagePath} -> ${hostFile} is a real file`);
  // ldd runs the loader; fine as an outside referee in a test, never in the builder.
  const ldd = spawnSync("ldd", ["/usr/bin/ls"]).stdout.toString();
  const lddNames = [...ldd.matchAll(/^\s*(\S+) => \//gm)].map((m) => m[1]).sort();
  const ourNames = [...files.keys()].filter((p) => p.startsWith("usr/lib/")).map((p) => p.split("/").pop()).sort();
  assert.equal(ourNames, lddNames);
});

test("fake fs: interpreter kept at its exact path, libc's need for ld.so satisfied by it, /lib normalised to usr/lib", () => {
  const fs = fakeFs({
    ...debianBase,
    "/usr/bin/prog": buildElf({ interpreter: INTERP, needed: ["libfoo.so.1", "libc.so.6"] }),
    "/usr/lib/x86_64-linux-gnu/libfoo.so.1": { symlink: "libfoo.so.1.4.0" },
    "/usr/lib/x86_64-linux-gnu/libfoo.so.1.4.0": buildElf({ soname: "libfoo.so.1", needed: ["libc.so.6"] }),
  });
  const { files, missing } = libraryClosure(["/usr/bin/prog"], fs);
  assert.equal(missing, []);
  assert.equal(Object.fromEntries(files), {
    "lib64/ld-linux-x86-64.so.2": "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    "usr/lib/x86_64-linux-gnu/libfoo.so.1": "/usr/lib/x86_64-linux-gnu/libfoo.so.1.4.0",
    "usr/lib/x86_64-linux-gnu/libc.so.6": "/usr/lib/x86_64-linux-gnu/libc.so.6",
  });
});

test("fake fs: a missing library is reported with the object that needed it; non-ELF candidates are skipped", () => {
  const fs = fakeFs({
    ...debianBase,
    "/usr/bin/prog": buildElf({ interpreter: INTERP, needed: ["libfoo.so.1", "libq.so.1", "libc.so.6"] }),
    "/usr/lib/x86_64-linux-gnu/libfoo.so.1": buildElf({ soname: "libfoo.so.1", needed: ["libgone.so.3"] }),
    // Not an x86_64 ELF: ld.so skips such a file and keeps searching; so do we.
    "/usr/lib/x86_64-linux-gnu/libq.so.1": new TextEncoder().encode("INPUT(libq.so.1.0)"),
    "/usr/lib/libq.so.1": buildElf({ soname: "libq.so.1" }),
  });
  const { files, missing } = libraryClosure(["/usr/bin/prog"], fs);
  assert.equal(missing, [{ lib: "libgone.so.3", neededBy: "/lib/x86_64-linux-gnu/libfoo.so.1" }]);
  assert.ok(files.has("usr/lib/x86_64-linux-gnu/libfoo.so.1"));
  assert.is(files.get("usr/lib/libq.so.1"), "/usr/lib/libq.so.1");
  const withoutLoader = fakeFs({ "/usr/bin/prog": buildElf({ interpreter: INTERP }) });
  assert.equal(libraryClosure(["/usr/bin/prog"], withoutLoader).missing, [{ lib: INTERP, neededBy: "/usr/bin/prog" }]);
});

test("fake fs: $ORIGIN runpath wins over the default dirs and applies only to the needing object", () => {
  const fs = fakeFs({
    ...debianBase,
    "/opt/app/bin/app": buildElf({ interpreter: INTERP, needed: ["libapp.so.1", "libplug.so.1", "libc.so.6"], runpath: "$ORIGIN/../lib" }),
    "/opt/app/lib/libapp.so.1": { symlink: "libapp.so.1.2.3" },
    "/opt/app/lib/libapp.so.1.2.3": buildElf({ soname: "libapp.so.1", needed: ["libhelper.so.0", "libonlyapp.so.1"], runpath: "${ORIGIN}/helpers" }),
    "/opt/app/lib/helpers/libhelper.so.0": buildElf({ soname: "libhelper.so.0" }),
    // Reachable only through the app's runpath, so libapp cannot find it.
    "/opt/app/lib/libonlyapp.so.1": buildElf({ soname: "libonlyapp.so.1" }),
    "/usr/lib/x86_64-linux-gnu/libapp.so.1": buildElf({ soname: "libapp.so.1" }),
    "/usr/lib/libplug.so.1": buildElf({ soname: "libplug.so.1" }),
  });
  const { files, missing } = libraryClosure(["/opt/app/bin/app"], fs);
  assert.is(files.get("opt/app/lib/libapp.so.1"), "/opt/app/lib/libapp.so.1.2.3");
  assert.is(files.get("opt/app/lib/helpers/libhelper.so.0"), "/opt/app/lib/helpers/libhelper.so.0");
  assert.is(files.get("usr/lib/libplug.so.1"), "/usr/lib/libplug.so.1");
  assert.not.ok(files.has("usr/lib/x86_64-linux-gnu/libapp.so.1"));
  assert.equal(missing, [{ lib: "libonlyapp.so.1", neededBy: "/opt/app/bin/../lib/libapp.so.1" }]);
});

test("fake fs: a dlopen'ed module root pulls its own libs; roots themselves are not in the map", () => {
  const fs = fakeFs({
    ...debianBase,
    "/usr/bin/qemu": buildElf({ interpreter: INTERP, needed: ["libc.so.6"] }),
    "/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so": buildElf({ needed: ["libglib-2.0.so.0"] }),
    "/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0": buildElf({ soname: "libglib-2.0.so.0", needed: ["libc.so.6"] }),
  });
  const { files } = libraryClosure(["/usr/bin/qemu", "/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so"], fs);
  assert.equal([...files.keys()].sort(), [
    "lib64/ld-linux-x86-64.so.2", "usr/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libglib-2.0.so.0",
  ]);
});

test("a root that is missing or not ELF throws, naming it", () => {
  const fs = fakeFs({ "/usr/bin/script": new TextEncoder().encode("#!/bin/sh\n") });
  assert.throws(() => libraryClosure(["/usr/bin/nothing"], fs), /\/usr\/bin\/nothing/);
  assert.throws(() => libraryClosure(["/usr/bin/script"], fs), (e: unknown) => e instanceof ElfError && /\/usr\/bin\/script/.test(e.message));
});

test.run();
