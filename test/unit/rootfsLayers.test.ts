// Path resolution, layered host trees and the image's own tree, as the library closure sees them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { imageFs, layeredFs, resolvePath, type PathNode } from "../../rootfs/closureFs.ts";
import type { CpioEntry } from "../../rootfs/cpio.ts";
import { missingInImage } from "../../rootfs/imageCheck.ts";
import { libraryClosure } from "../../rootfs/libraryClosure.ts";

const tree = (nodes: Record<string, PathNode>) => (p: string): PathNode | undefined => nodes[p];

test("resolvePath follows symlinks component by component, .. after a symlink goes up from its target", () => {
  const lookup = tree({
    "/lib": { kind: "symlink", target: "usr/lib" },
    "/usr": { kind: "dir" },
    "/usr/lib": { kind: "dir" },
    "/usr/lib/x": { kind: "dir" },
    "/usr/lib/x/libc.so.6": { kind: "file" },
    "/usr/lib/x/link": { kind: "symlink", target: "/lib/x/libc.so.6" },
    "/usr/lib/up": { kind: "symlink", target: "x/../x" },
    "/a": { kind: "symlink", target: "/b" },
    "/b": { kind: "symlink", target: "/a" },
  });
  assert.is(resolvePath("/lib/x/libc.so.6", lookup), "/usr/lib/x/libc.so.6");
  assert.is(resolvePath("/usr/lib/x/link", lookup), "/usr/lib/x/libc.so.6");
  assert.is(resolvePath("/lib/x/../x/./libc.so.6", lookup), "/usr/lib/x/libc.so.6");
  assert.is(resolvePath("/lib/..", lookup), "/usr", "lib is usr/lib, so its parent is /usr");
  assert.is(resolvePath("/usr/lib/up/libc.so.6", lookup), "/usr/lib/x/libc.so.6");
  assert.is(resolvePath("/usr/lib/x/nothing", lookup), undefined);
  assert.is(resolvePath("/usr/lib/x/libc.so.6/more", lookup), undefined, "a file is not a directory");
  assert.is(resolvePath("/a", lookup), undefined, "a loop");
});

let work = "";
test.before(() => {
  work = mkdtempSync(join(tmpdir(), "rootfs-layers-"));
});
test.after(() => rmSync(work, { recursive: true, force: true }));

const put = (path: string, content: string | Uint8Array): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
};

test("layeredFs: the first layer with a path wins, directories merge, symlinks resolve across layers and into /", () => {
  const a = join(work, "a");
  const b = join(work, "b");
  put(`${a}/usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17.0`, "A-ctrl");
  symlinkSync("libxenctrl.so.4.17.0", `${a}/usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17`);
  put(`${a}/usr/share/f`, "from a");
  put(`${b}/usr/share/f`, "from b");
  put(`${b}/usr/lib/x86_64-linux-gnu/libother.so.1`, "B-other");
  // An absolute symlink in a layer means the image's path, not the host's.
  mkdirSync(`${b}/usr/bin`, { recursive: true });
  symlinkSync("/usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17", `${b}/usr/bin/ctrl`);
  const fs = layeredFs([a, b, "/"]);
  const text = (p: string): string => new TextDecoder().decode(fs.readFile(p));
  assert.is(text("/usr/share/f"), "from a");
  assert.is(text("/usr/lib/x86_64-linux-gnu/libother.so.1"), "B-other");
  // /lib is the host's symlink to usr/lib (merged /usr); usr/lib then merges a, b and the host.
  assert.is(fs.realpath("/lib/x86_64-linux-gnu/libxenctrl.so.4.17"), "/usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17.0");
  assert.is(text("/usr/bin/ctrl"), "A-ctrl");
  assert.is(fs.hostPath("/usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17.0"), `${a}/usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17.0`);
  assert.is(fs.hostPath("/usr/lib/x86_64-linux-gnu/libc.so.6"), "/usr/lib/x86_64-linux-gnu/libc.so.6");
  assert.ok(fs.exists("/usr/bin/ls"), "the host's own files are the last layer");
  assert.not.ok(fs.exists("/usr/share/nothing-here"));
  assert.is(fs.readFile("/usr/share"), undefined, "a directory has no bytes");
  assert.throws(() => fs.realpath("/nothing/here"), /ENOENT/);
});

test("layeredFs closure: a program in a layer takes the layer's library over the host's, and the map names host files", () => {
  const layer = join(work, "closure");
  const lib = "/usr/lib/x86_64-linux-gnu";
  // A copy of the host's ls in the layer, and a "libc" in the layer that is really the host's libc.
  put(`${layer}/opt/bin/ls`, "");
  copyFileSync("/usr/bin/ls", `${layer}/opt/bin/ls`);
  put(`${layer}${lib}/libc.so.6`, "");
  copyFileSync(`${lib}/libc.so.6`, `${layer}${lib}/libc.so.6`);
  const { files, missing } = libraryClosure(["/opt/bin/ls"], layeredFs([layer, "/"]));
  assert.equal(missing, []);
  assert.is(files.get("usr/lib/x86_64-linux-gnu/libc.so.6"), `${layer}${lib}/libc.so.6`);
  assert.is(files.get("lib64/ld-linux-x86-64.so.2"), `${lib}/ld-linux-x86-64.so.2`);
  // The same search without the layer finds the host's.
  assert.is(libraryClosure(["/usr/bin/ls"]).files.get("usr/lib/x86_64-linux-gnu/libc.so.6"), `${lib}/libc.so.6`);
});

/** A tiny image of the host's ls and its closure, as cpio entries. */
function lsImage(): CpioEntry[] {
  const { files } = libraryClosure(["/usr/bin/ls"]);
  const entry = (path: string, host: string): CpioEntry => ({ path, kind: "file", mode: 0o755, data: new Uint8Array(readFileSync(host)) });
  return [entry("usr/bin/ls", "/usr/bin/ls"), ...[...files].map(([image, host]) => entry(image, host))];
}

test("imageFs + missingInImage: a complete image has nothing missing; a library removed is named with who needs it", () => {
  const complete = lsImage();
  assert.equal(missingInImage(complete), []);
  const withoutLibc = complete.filter((e) => e.path !== "usr/lib/x86_64-linux-gnu/libc.so.6");
  const missing = missingInImage(withoutLibc);
  assert.ok(missing.some((m) => m.lib === "libc.so.6" && m.neededBy === "/usr/bin/ls"), JSON.stringify(missing));
  const withoutLoader = complete.filter((e) => e.path !== "lib64/ld-linux-x86-64.so.2");
  assert.ok(missingInImage(withoutLoader).some((m) => m.lib === "/lib64/ld-linux-x86-64.so.2"));
});

test("imageFs: symlinks inside the image resolve; a library only reachable through one is found", () => {
  const image = lsImage().map((e): CpioEntry => (e.path === "usr/lib/x86_64-linux-gnu/libc.so.6" ? { ...e, path: "usr/lib/x86_64-linux-gnu/libc-2.36.so" } : e));
  image.push({ path: "usr/lib/x86_64-linux-gnu/libc.so.6", kind: "symlink", target: "libc-2.36.so" });
  assert.equal(missingInImage(image), []);
  const fs = imageFs(image);
  assert.is(fs.realpath("/usr/lib/x86_64-linux-gnu/libc.so.6"), "/usr/lib/x86_64-linux-gnu/libc-2.36.so");
  assert.ok(fs.exists("/usr/lib"), "parent directories are implied");
  const dangling: CpioEntry[] = [...image.filter((e) => e.path !== "usr/lib/x86_64-linux-gnu/libc-2.36.so")];
  assert.ok(missingInImage(dangling).some((m) => m.lib === "libc.so.6"), "a dangling symlink does not count");
});

test.run();
