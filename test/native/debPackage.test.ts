// `npm run package`'s packages, built from the images `npm test` built first: what dpkg-deb lists
// (every path, mode, owner and mtime; the control fields), the image files byte for byte, the
// bundled stubdomctl's help against the source's and against its man page as groff renders it,
// the changelog as dpkg-parsechangelog reads it, lintian (host/bin/setup.js installs it), a second build
// byte-identical, and install, reinstall and purge by the real dpkg into a fake root (--root,
// scripts run with DPKG_ROOT), with /usr read-only so a script that forgets $DPKG_ROOT fails.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { outputs } from "../../host/image/build.ts";
import { buildDebs, buildOrigin } from "../../host/package/build.ts";
import { COMMANDS, commandNames, usage } from "../../host/cli/stubdomctl.ts";
import { XEN_RELEASES, type XenReleaseName } from "../../qemu/xenReleases.ts";

let work = "";
let debs: Record<XenReleaseName, string>;
const extracted = (r: XenReleaseName): string => join(work, `x-${r}`);

const run = (cmd: string, args: string[], opts: { input?: string | Uint8Array; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, ...opts });
const ok = (r: SpawnSyncReturns<string>, what: string): string => {
  assert.is(r.status, 0, `${what}: ${r.stderr}${r.stdout}`);
  return r.stdout;
};

test.before(async () => {
  work = mkdtempSync(join(tmpdir(), "stubdom-deb-"));
  debs = await buildDebs({ outDir: join(work, "deb"), log: () => undefined });
  for (const r of XEN_RELEASES) ok(run("dpkg-deb", ["-x", debs[r], extracted(r)]), `dpkg-deb -x ${debs[r]}`);
});
test.after(() => rmSync(work, { recursive: true, force: true }));

const version = (r: XenReleaseName): string => `${(JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version}-1+xen${r}`;

test("one .deb per release, named as Debian names them, and nothing else in the output dir", () => {
  assert.equal(Object.keys(debs), [...XEN_RELEASES]);
  for (const r of XEN_RELEASES) assert.is(basename(debs[r]), `stubdom-init_${version(r)}_amd64.deb`);
  assert.equal(readdirSync(join(work, "deb")).sort(), XEN_RELEASES.map((r) => basename(debs[r])).sort());
});

test("control: name, version, amd64, admin, the release's xen-utils and nodejs, Installed-Size as du counts it", () => {
  for (const r of XEN_RELEASES) {
    const f = (field: string): string => ok(run("dpkg-deb", ["-f", debs[r], field]), field).trim();
    assert.is(f("Package"), "stubdom-init");
    assert.is(f("Version"), version(r));
    assert.is(f("Architecture"), "amd64");
    assert.is(f("Section"), "admin");
    assert.is(f("Priority"), "optional");
    assert.is(f("Depends"), `xen-utils-${r}, nodejs (>= 18)`);
    assert.match(f("Maintainer"), /^stubdom-init developers <[^>]+>$/);
    // As dpkg-gencontrol counts, from the archive itself: each file's KiB rounded up, 1 per directory.
    const tar = spawnSync("dpkg-deb", ["--fsys-tarfile", debs[r]], { maxBuffer: 64 * 1024 * 1024 });
    const entries = run("tar", ["-tv"], { input: tar.stdout }).stdout.trimEnd().split("\n").map((l) => l.split(/\s+/));
    const kib = entries.reduce((n, [mode, , size]) => n + (mode!.startsWith("-") ? Math.ceil(Number(size) / 1024) : 1), 0);
    assert.is(Number(f("Installed-Size")), kib);
    const info = ok(run("dpkg-deb", ["-I", debs[r]]), "dpkg-deb -I");
    if (r === "4.17") assert.match(info, /\n\s+\d+ bytes,\s+\d+ lines\s+\*\s+postinst\s+#!\/bin\/sh\n\s+\d+ bytes,\s+\d+ lines\s+\*\s+postrm\s+#!\/bin\/sh\n/);
    else assert.not.match(info, /postinst|postrm|preinst|prerm/);
  }
});

/** `dpkg-deb -c` as "mode owner path[ -> target]", with every entry's mtime collected. */
function listing(deb: string): { lines: string[]; mtimes: Set<string> } {
  const tar = spawnSync("dpkg-deb", ["--fsys-tarfile", deb], { maxBuffer: 64 * 1024 * 1024 });
  const r = spawnSync("tar", ["-tv", "--full-time"], { input: tar.stdout, encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
  assert.is(r.status, 0, r.stderr);
  const mtimes = new Set<string>();
  const lines = r.stdout.trimEnd().split("\n").map((l) => {
    const [mode, owner, , date, time, ...rest] = l.split(/\s+/);
    mtimes.add(`${date} ${time}`);
    return `${mode} ${owner} ${rest.join(" ")}`;
  });
  return { lines, mtimes };
}

test("dpkg-deb -c: every path with its mode, root-owned, one mtime (the commit's), libxl's firmware dir per release", () => {
  for (const r of XEN_RELEASES) {
    const d = (p: string): string => `drwxr-xr-x root/root ./${p}`;
    const f = (p: string, mode = "-rw-r--r--"): string => `${mode} root/root ./${p}`;
    const boot = `usr/lib/xen-${r}/boot`;
    const { lines, mtimes } = listing(debs[r]);
    assert.equal(lines, [
      d(""),
      d("usr/"),
      d("usr/bin/"),
      f("usr/bin/stubdomctl", "-rwxr-xr-x"),
      d("usr/lib/"),
      d("usr/lib/stubdom-init/"),
      f("usr/lib/stubdom-init/stubdomctl.cjs"),
      d(`usr/lib/xen-${r}/`),
      d(`${boot}/`),
      f(`${boot}/qemu-stubdom-linux-kernel`),
      f(`${boot}/qemu-stubdom-linux-rootfs`),
      d("usr/share/"),
      d("usr/share/doc/"),
      d("usr/share/doc/stubdom-init/"),
      f("usr/share/doc/stubdom-init/changelog.Debian.gz"),
      f("usr/share/doc/stubdom-init/copyright"),
      d("usr/share/lintian/"),
      d("usr/share/lintian/overrides/"),
      f("usr/share/lintian/overrides/stubdom-init"),
      d("usr/share/man/"),
      d("usr/share/man/man8/"),
      f("usr/share/man/man8/stubdomctl.8.gz"),
    ]);
    assert.equal([...mtimes], [new Date(buildOrigin().epoch * 1000).toISOString().replace("T", " ").slice(0, 19)], `${r}: mtimes`);
    for (const which of ["kernel", "rootfs"] as const) {
      assert.ok(readFileSync(join(extracted(r), boot, `qemu-stubdom-linux-${which}`)).equals(readFileSync(outputs.xen[r][which])), `${r}: ${which} is the image's`);
    }
  }
});

/** The bundle, run by this node as /usr/bin/stubdomctl runs it with Debian's. */
const stubdomctl = (r: XenReleaseName, args: string[]): SpawnSyncReturns<string> => run(process.execPath, [join(extracted(r), "usr/lib/stubdom-init/stubdomctl.cjs"), ...args]);

const sourceHelps = new Map<string, string>();
/** `stubdomctl <name> --help` of the packaged entry, run from the source through tsx. */
function sourceHelp(name: string): string {
  if (!sourceHelps.has(name)) sourceHelps.set(name, ok(run(process.execPath, ["--import", "tsx", "host/bin/stubdomctlPackaged.ts", name, "--help"]), `source ${name} --help`));
  return sourceHelps.get(name)!;
}

test("the bundled stubdomctl: the packaged commands only, each --help as the source prints it", () => {
  const launcher = readFileSync(join(extracted("4.17"), "usr/bin/stubdomctl"), "utf8");
  assert.match(launcher, /\nexec \/usr\/bin\/node \/usr\/lib\/stubdom-init\/stubdomctl\.cjs "\$@"\n$/);
  for (const r of XEN_RELEASES) {
    assert.is(ok(stubdomctl(r, ["--help"]), "--help"), usage(true));
    for (const name of commandNames(true)) assert.is(ok(stubdomctl(r, [name, "--help"]), `${name} --help`), sourceHelp(name), `${r}: ${name} --help`);
    for (const dev of Object.keys(COMMANDS).filter((c) => !commandNames(true).includes(c))) {
      const rr = stubdomctl(r, [dev, "--help"]);
      assert.is(rr.status, 2, dev);
      assert.match(rr.stderr, new RegExp(`unknown command "${dev}" \\("${dev}" is for development`));
    }
    const bundle = readFileSync(join(extracted(r), "usr/lib/stubdom-init/stubdomctl.cjs"), "utf8");
    assert.not.match(bundle, /node_modules\/(esbuild|tsx|typebox)|host\/image\/build\.ts|XenStoreServer/, "no build tools, dev mode or development daemon inside");
  }
});

test("the man page is the help texts: each one's lines, in order, in what groff renders", () => {
  for (const r of XEN_RELEASES) {
    const roff = gunzipSync(readFileSync(join(extracted(r), "usr/share/man/man8/stubdomctl.8.gz"))).toString();
    const render = run("groff", ["-man", "-Tutf8", "-rLL=250n", "-P-cbou", "-ww"], { input: roff });
    assert.is(render.stderr, "", `${r}: groff warnings`);
    // The body is indented by 7 columns (the .SH/.SS indent).
    const rendered = ok(render, "groff").split("\n").map((l) => l.replace(/^ {7}/, "").trimEnd()).join("\n");
    const helps = [ok(stubdomctl(r, ["--help"]), "--help"), ...commandNames(true).map((c) => ok(stubdomctl(r, [c, "--help"]), c))];
    for (const help of helps) {
      const block = help.trimEnd().split("\n").map((l) => l.trimEnd()).join("\n");
      assert.ok(rendered.includes(block), `${r}: the man page lacks this help as printed:\n${block.split("\n").slice(0, 3).join("\n")}\n---\n${rendered}`);
    }
    assert.match(rendered, new RegExp(`STUBDOMCTL\\(8\\).*\\n`));
    assert.match(rendered, new RegExp(`stubdom-init ${version(r).replace(/[+.]/g, "\\$&")}`));
  }
});

test("changelog and copyright: dpkg-parsechangelog reads the entry; the copyright names the rootfs's packages", () => {
  for (const r of XEN_RELEASES) {
    const doc = join(extracted(r), "usr/share/doc/stubdom-init");
    const changelog = join(work, `changelog-${r}`);
    writeFileSync(changelog, gunzipSync(readFileSync(join(doc, "changelog.Debian.gz"))));
    const parsed = ok(run("dpkg-parsechangelog", ["-l", changelog]), "dpkg-parsechangelog");
    assert.match(parsed, new RegExp(`\\nVersion: ${version(r).replace(/[+.]/g, "\\$&")}\\n`));
    assert.match(parsed, new RegExp(`\\nDistribution: ${r === "4.17" ? "bookworm" : "trixie"}\\n`));
    assert.match(parsed, new RegExp(`\\nTimestamp: ${buildOrigin().epoch}\\n`));
    const copyright = readFileSync(join(doc, "copyright"), "utf8");
    const manifest = JSON.parse(readFileSync(outputs.xen[r].manifest, "utf8")) as { packages: Record<string, string> };
    for (const [pkg, v] of Object.entries(manifest.packages).filter(([p]) => !p.startsWith("src:"))) assert.ok(copyright.includes(`\n ${pkg} ${v}\n`), `${r}: ${pkg} ${v}`);
  }
});

test("lintian: no error, warning, info or pedantic tag beyond the commented overrides", () => {
  const r = run("lintian", ["-EIL", "+pedantic", "--fail-on", "error,warning,info,pedantic", "--tag-display-limit", "0", ...XEN_RELEASES.map((x) => debs[x])]);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.is(r.stdout.trim(), "", r.stdout);
});

test("a second build is byte-identical", async () => {
  const again = await buildDebs({ outDir: join(work, "deb2"), log: () => undefined });
  for (const r of XEN_RELEASES) assert.ok(readFileSync(again[r]).equals(readFileSync(debs[r])), `${r}: the two builds differ`);
});

// --- dpkg itself, into a fake root, scripts run outside it with DPKG_ROOT (--force-script-chrootless).

const isRoot = process.getuid?.() === 0;

function fakeRoot(): string {
  const dir = mkdtempSync(join(work, "root-"));
  for (const d of ["info", "updates", "triggers"]) mkdirSync(join(dir, "var/lib/dpkg", d), { recursive: true });
  writeFileSync(join(dir, "var/lib/dpkg/status"), "");
  writeFileSync(join(dir, "var/lib/dpkg/available"), "");
  return dir;
}

/** dpkg --root=dir, in a mount namespace where the host's /usr is read-only. */
function dpkg(dir: string, args: string[]): string {
  const script = 'mount --bind /usr /usr && mount -o remount,bind,ro /usr && exec dpkg "$@"';
  const r = run("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, "sh", `--root=${dir}`, "--force-script-chrootless", "--force-depends", "--log=/dev/null", ...args]);
  return ok(r, `dpkg ${args.join(" ")}`);
}

/** Every path in the fake root but dpkg's own database. */
const leftovers = (dir: string): string[] =>
  (readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[]).filter((p) => !`${p}/`.startsWith("var/")).sort();

const LINK = "usr/bin/vchan-socket-proxy";
const linkIn = (dir: string): string | undefined => {
  try {
    return readlinkSync(join(dir, LINK));
  } catch {
    return undefined;
  }
};

/** A stand-in for a xen-utils-common that ships the link itself (as Debian 13's and later Debian 12's do). */
function fakeXenUtilsCommon(): string {
  const tree = join(work, "xuc");
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, "DEBIAN"), { recursive: true });
  mkdirSync(join(tree, "usr/bin"), { recursive: true });
  symlinkSync("../lib/xen-common/bin/xen-utils-wrapper", join(tree, LINK));
  writeFileSync(join(tree, "DEBIAN/control"), "Package: xen-utils-common\nVersion: 9.9\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: stand-in\n");
  const deb = join(work, "xuc.deb");
  ok(run("dpkg-deb", ["--build", "--root-owner-group", tree, deb]), "fake xen-utils-common");
  return deb;
}

test("dpkg: install, reinstall and purge leave nothing behind; 4.17 keeps libxl's vchan-socket-proxy link meanwhile", () => {
  if (!isRoot) return void console.log("  (not root: dpkg --root skipped)");
  for (const r of XEN_RELEASES) {
    const dir = fakeRoot();
    dpkg(dir, ["-i", debs[r]]);
    assert.is(linkIn(dir), r === "4.17" ? "../lib/xen-4.17/bin/vchan-socket-proxy" : undefined, `${r}: after install`);
    const installed = leftovers(dir);
    assert.ok(installed.includes("usr/bin/stubdomctl") && installed.includes(`usr/lib/xen-${r}/boot/qemu-stubdom-linux-rootfs`), installed.join(" "));
    dpkg(dir, ["-i", debs[r]]);
    assert.equal(leftovers(dir), installed, `${r}: a reinstall (dpkg's upgrade path) changes nothing`);
    dpkg(dir, ["--remove", "stubdom-init"]);
    assert.is(linkIn(dir), undefined, `${r}: remove takes the link away`);
    dpkg(dir, ["--purge", "stubdom-init"]);
    assert.equal(leftovers(dir), [], `${r}: after purge`);
  }
});

test("dpkg: a xen-utils-common that ships the link takes it over, and purging stubdom-init leaves it", () => {
  if (!isRoot) return void console.log("  (not root: dpkg --root skipped)");
  const xuc = fakeXenUtilsCommon();
  // Ours first, then a xen-utils-common upgrade that brings the link: dpkg replaces our unowned link.
  let dir = fakeRoot();
  dpkg(dir, ["-i", debs["4.17"]]);
  dpkg(dir, ["-i", xuc]);
  assert.is(linkIn(dir), "../lib/xen-common/bin/xen-utils-wrapper");
  dpkg(dir, ["--purge", "stubdom-init"]);
  assert.is(linkIn(dir), "../lib/xen-common/bin/xen-utils-wrapper", "xen-utils-common's link stays");
  // xen-utils-common first: the postinst leaves its link alone.
  dir = fakeRoot();
  dpkg(dir, ["-i", xuc]);
  dpkg(dir, ["-i", debs["4.17"]]);
  assert.is(linkIn(dir), "../lib/xen-common/bin/xen-utils-wrapper");
  dpkg(dir, ["--purge", "stubdom-init"]);
  dpkg(dir, ["--purge", "xen-utils-common"]);
  assert.equal(leftovers(dir), []);
});

test.run();
