// A cached Debian root of another suite, as data: its sources, its cache key, the command lines that
// run inside it (the work dir at /mnt, nothing written to the root), and which suite this host is.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostBuildRoot, osReleaseCodename, pathInside } from "../../buildkit/buildRoot.ts";
import { chrootBuildRoot, debianChrootHash, debianSources, type DebianChrootSpec } from "../../buildkit/debianChroot.ts";
import { parseInstalled } from "../../buildkit/debianPackages.ts";

test("debianSources: the archive, -updates and -security, each as binaries and as sources", () => {
  assert.equal(debianSources("trixie"), [
    "deb http://deb.debian.org/debian trixie main",
    "deb http://deb.debian.org/debian trixie-updates main",
    "deb http://deb.debian.org/debian-security trixie-security main",
    "deb-src http://deb.debian.org/debian trixie main",
    "deb-src http://deb.debian.org/debian trixie-updates main",
    "deb-src http://deb.debian.org/debian-security trixie-security main",
  ]);
});

const spec: DebianChrootSpec = { suite: "trixie", sources: debianSources("trixie"), packages: ["gcc", "libxen-dev"] };

test("debianChrootHash: stable, and changed by the suite, a source, a package or the script", () => {
  const base = debianChrootHash(spec, "script");
  assert.is(debianChrootHash({ ...spec }, "script"), base);
  assert.match(base, /^[0-9a-f]{16}$/);
  const others = [
    debianChrootHash({ ...spec, suite: "forky" }, "script"),
    debianChrootHash({ ...spec, sources: spec.sources.slice(0, 3) }, "script"),
    debianChrootHash({ ...spec, packages: [...spec.packages, "seabios"] }, "script"),
    debianChrootHash(spec, "script, edited"),
  ];
  assert.is(new Set([base, ...others]).size, 5);
  assert.match(debianChrootHash(spec), /^[0-9a-f]{16}$/, "by default the script is this module's own text");
});

const codenames: [string, string, string | undefined][] = [
  ["Debian 12", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n', "bookworm"],
  ["quoted", 'VERSION_CODENAME="trixie"\n', "trixie"],
  ["none (sid)", 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\n', undefined],
];
for (const [name, text, want] of codenames) test(`osReleaseCodename: ${name}`, () => assert.is(osReleaseCodename(text), want));

test("hostBuildRoot: this host's suite (Debian 12 here), commands run as they are", () => {
  const root = hostBuildRoot();
  assert.is(root.suite, "bookworm");
  assert.equal(root.at("/w")("ninja", ["-j2"], "/w/obj"), { cmd: "ninja", args: ["-j2"], cwd: "/w/obj" });
});

test("pathInside: a dir under the work dir as the root sees it; one outside is an error naming both", () => {
  assert.is(pathInside("/cache/x/.work", "/cache/x/.work/obj", "/mnt"), "/mnt/obj");
  assert.is(pathInside("/cache/x/.work/", "/cache/x/.work", "/mnt"), "/mnt");
  assert.throws(() => pathInside("/cache/x/.work", "/cache/x/.workshop", "/mnt"), /\/cache\/x\/\.workshop is not under .*\/cache\/x\/\.work/);
});

test("chrootBuildRoot: unshare with its own mounts and /proc, the work dir bound at /mnt, then chroot and chdir", () => {
  const root = chrootBuildRoot({ dir: "/cache/root", suite: "trixie", versions: new Map() });
  assert.is(root.suite, "trixie");
  const line = root.at("/cache/q/.work")("../src/configure", ["--enable-xen"], "/cache/q/.work/obj");
  assert.is(line.cmd, "unshare");
  assert.equal(line.args.slice(0, 6), ["--mount", "--pid", "--fork", "--kill-child", "--mount-proc=/cache/root/proc", "--"]);
  assert.equal(line.args.slice(-6), ["enter", "/cache/q/.work", "/cache/root", "/mnt/obj", "../src/configure", "--enable-xen"]);
  const script = line.args[line.args.indexOf("-c") + 1]!;
  assert.match(script, /mount --bind "\$1" "\$2\/mnt"/);
  assert.match(script, /mount --bind \/etc\/resolv.conf/);
  assert.match(script, /exec chroot "\$root" env --chdir="\$dir" "\$@"/);
});

let work = "";
test.before(() => {
  work = mkdtempSync(join(tmpdir(), "debian-root-"));
});
test.after(() => rmSync(work, { recursive: true, force: true }));

test("the enter script, run by sh with mount and chroot replaced by echo, binds what it says and passes the command on", () => {
  const bin = join(work, "bin");
  mkdirSync(bin);
  for (const tool of ["mount", "chroot"]) writeFileSync(join(bin, tool), `#!/bin/sh\necho ${tool} "$@"\n`, { mode: 0o755 });
  const line = chrootBuildRoot({ dir: "/r", suite: "trixie", versions: new Map() }).at("/w")("apt-get", ["source", "qemu=1:10"], "/w");
  const sh = line.args.slice(line.args.indexOf("sh"));
  const r = spawnSync(sh[0]!, sh.slice(1), { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin` } });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n"), [
    "mount --bind /w /r/mnt",
    "mount --bind /etc/resolv.conf /r/etc/resolv.conf",
    "chroot /r env --chdir=/mnt apt-get source qemu=1:10",
  ]);
});

test("parseInstalled: installed packages only, by name", () => {
  const text = "libxenmisc4.20\t4.20.4+63-g7abfd2bce2-0+deb13u1\tinstalled\nold\t1\tconfig-files\n\nbroken line\n";
  assert.equal(Object.fromEntries(parseInstalled(text)), { "libxenmisc4.20": "4.20.4+63-g7abfd2bce2-0+deb13u1" });
});

test.run();
