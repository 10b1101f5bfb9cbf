// Which Debian package each image file came from: dpkg's names on merged-/usr Debian, layers of
// unpacked .debs, and files made by the build.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { realpathSync } from "node:fs";
import { dpkgNames, dpkgOwners, installedVersions, parseDpkgSearch } from "../../buildkit/debianPackages.ts";
import { attributePackages, type ImageFile } from "../../rootfs/image.ts";

test("dpkgNames: a /usr path is also known by its unmerged name, and the other way round", () => {
  assert.equal(dpkgNames("/usr/lib/x86_64-linux-gnu/libc.so.6"), ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"]);
  assert.equal(dpkgNames("/bin/busybox"), ["/bin/busybox", "/usr/bin/busybox"]);
  assert.equal(dpkgNames("/usr/sbin/x"), ["/usr/sbin/x", "/sbin/x"]);
  assert.equal(dpkgNames("/usr/share/seabios/bios.bin"), ["/usr/share/seabios/bios.bin"]);
  assert.equal(dpkgNames("/usr/libexec/x"), ["/usr/libexec/x"], "libexec was never outside /usr");
});

test("parseDpkgSearch: first owner, architecture dropped, diversions skipped", () => {
  const out = [
    "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6",
    "diversion by dash from: /bin/sh",
    "diversion by dash to: /bin/sh.distrib",
    "pkg-a, pkg-b: /usr/share/both",
    "",
  ].join("\n");
  assert.equal(Object.fromEntries(parseDpkgSearch(out)), { "/lib/x86_64-linux-gnu/libc.so.6": "libc6", "/usr/share/both": "pkg-a" });
});

test("dpkgOwners on this host: realpaths under /usr find their packages; unowned files are absent", () => {
  const libc = realpathSync("/lib/x86_64-linux-gnu/libc.so.6");
  const busybox = realpathSync("/bin/busybox");
  assert.ok(libc.startsWith("/usr/lib/"), `merged /usr: ${libc}`);
  const owners = dpkgOwners([libc, busybox, "/etc/hostname-of-nothing"]);
  assert.is(owners.get(libc), "libc6");
  assert.is(owners.get(busybox), "busybox-static");
  assert.not.ok(owners.has("/etc/hostname-of-nothing"));
});

test("installedVersions: installed packages by plain name; unknown ones absent", () => {
  const v = installedVersions(["libc6", "busybox-static", "no-such-package-here"]);
  assert.match(v.get("libc6") ?? "", /^\d/);
  assert.match(v.get("busybox-static") ?? "", /^1:1\./);
  assert.not.ok(v.has("no-such-package-here"));
});

test("attributePackages: the item's own package, then the layer a file lies in, then dpkg; versions for all", () => {
  const file = (path: string, host: string | undefined, pkg = ""): ImageFile => ({ path, size: 1, group: "libraries", package: pkg, ...(host ? { host } : {}) });
  const files = [
    file("init", "/work/anything/stubjs", "build"),
    file("usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17", "/cache/deb/1/root/usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17.0"),
    file("usr/lib/x86_64-linux-gnu/libc.so.6", realpathSync("/lib/x86_64-linux-gnu/libc.so.6")),
    file("etc/stubdom/image.json", undefined, "build"),
  ];
  const versions = attributePackages(files, [{ dir: "/cache/deb/1/root", package: "libxenmisc4.17", version: "4.17.7" }, { dir: "/cache/deb/1/ro", package: "wrong", version: "0" }]);
  assert.equal(files.map((f) => f.package), ["build", "libxenmisc4.17", "libc6", "build"]);
  assert.is(versions.get("libxenmisc4.17"), "4.17.7");
  assert.match(versions.get("libc6") ?? "", /^\d/);
  assert.not.ok(versions.has("wrong"), "a layer whose dir is only a prefix of the name does not own it");
});

test.run();
