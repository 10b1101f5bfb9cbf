// The Debian package as data (host/package/): versions, dependencies, the control text, the file
// list with its modes, the man page and copyright texts, and the maintainer scripts' logic, run
// with /bin/sh against a fake root through DPKG_ROOT as dpkg runs them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { changelogDate, changelogText, copyrightYears } from "../../host/package/changelog.ts";
import { controlText, installedSizeKiB } from "../../host/package/control.ts";
import { copyrightText } from "../../host/package/copyright.ts";
import { debFileName, debSpec, debVersion, firmwareDir } from "../../host/package/debSpec.ts";
import { fileList, launcherScript, parentDirs, type Payload } from "../../host/package/fileList.ts";
import { gzipMax } from "../../host/package/gzipMax.ts";
import { lintianOverridesText } from "../../host/package/lintianOverrides.ts";
import { maintainerScripts, relativeTarget } from "../../host/package/maintainerScripts.ts";
import { commandNamesFromUsage, manPage, roffLiteral } from "../../host/package/manPage.ts";
import { commandOfModule } from "../../host/package/stubdomctlBundle.ts";
import { wrap } from "../../host/package/wrap.ts";
import { XEN_RELEASES } from "../../qemu/xenReleases.ts";

const spec17 = debSpec("4.17", "0.1.0");
const spec20 = debSpec("4.20", "0.1.0");

test("versions: upstream-1+xen<release> unless a revision is given; anything else is refused by name", () => {
  assert.is(debVersion("0.1.0", "4.17"), "0.1.0-1+xen4.17");
  assert.is(debVersion("0.1.0-3", "4.20"), "0.1.0-3+xen4.20");
  assert.is(debVersion("1.2~rc1", "4.20"), "1.2~rc1-1+xen4.20");
  for (const bad of ["", "v1", "1 2", "1-2-3", "1_2", "0.1.0-"]) assert.throws(() => debVersion(bad, "4.17"), /is not UPSTREAM or UPSTREAM-REVISION/, bad);
  // dpkg orders them as an upgrade needs: a new upstream, a new revision, and 4.17's below 4.20's.
  const lower = (a: string, b: string): boolean => spawnSync("dpkg", ["--compare-versions", a, "lt", b]).status === 0;
  assert.ok(lower(debVersion("0.1.0", "4.17"), debVersion("0.1.1", "4.17")));
  assert.ok(lower(debVersion("0.1.0", "4.17"), debVersion("0.1.0-2", "4.17")));
  assert.ok(lower(debVersion("0.1.0", "4.17"), debVersion("0.1.0", "4.20")));
});

test("each release: its Debian, its xen-utils and nodejs, libxl's firmware dir, the vchan link only for 4.17", () => {
  assert.equal(
    XEN_RELEASES.map((r) => debSpec(r, "0.1.0")),
    [
      { release: "4.17", suite: "bookworm", debian: "Debian 12", version: "0.1.0-1+xen4.17", depends: ["xen-utils-4.17", "nodejs (>= 18)"], firmwareDir: "/usr/lib/xen-4.17/boot", vchanLink: "/usr/lib/xen-4.17/bin/vchan-socket-proxy" },
      { release: "4.20", suite: "trixie", debian: "Debian 13", version: "0.1.0-1+xen4.20", depends: ["xen-utils-4.20", "nodejs (>= 18)"], firmwareDir: "/usr/lib/xen-4.20/boot" },
    ],
  );
  assert.is(firmwareDir("4.20"), "/usr/lib/xen-4.20/boot");
  assert.is(debFileName(spec17), "stubdom-init_0.1.0-1+xen4.17_amd64.deb");
});

const payload: Payload = {
  kernel: { host: "/b/kernel", size: 2790400 },
  rootfs: { host: "/b/rootfs", size: 6628361 },
  bundle: new Uint8Array(66352),
  manPage: new Uint8Array(2180),
  copyright: "c",
  changelog: new Uint8Array(196),
  lintianOverrides: "",
};

test("fileList: every path with its kind and mode, directories included, sorted; nothing in /usr/bin but stubdomctl", () => {
  const list = fileList(spec17, payload).map((e) => `${e.kind === "file" ? e.mode.toString(8) : e.kind === "dir" ? `d${e.mode.toString(8)}` : "l"} ${e.path}`);
  assert.equal(list, [
    "d755 /usr",
    "d755 /usr/bin",
    "755 /usr/bin/stubdomctl",
    "d755 /usr/lib",
    "d755 /usr/lib/stubdom-init",
    "644 /usr/lib/stubdom-init/stubdomctl.cjs",
    "d755 /usr/lib/xen-4.17",
    "d755 /usr/lib/xen-4.17/boot",
    "644 /usr/lib/xen-4.17/boot/qemu-stubdom-linux-kernel",
    "644 /usr/lib/xen-4.17/boot/qemu-stubdom-linux-rootfs",
    "d755 /usr/share",
    "d755 /usr/share/doc",
    "d755 /usr/share/doc/stubdom-init",
    "644 /usr/share/doc/stubdom-init/changelog.Debian.gz",
    "644 /usr/share/doc/stubdom-init/copyright",
    "d755 /usr/share/lintian",
    "d755 /usr/share/lintian/overrides",
    "644 /usr/share/lintian/overrides/stubdom-init",
    "d755 /usr/share/man",
    "d755 /usr/share/man/man8",
    "644 /usr/share/man/man8/stubdomctl.8.gz",
  ]);
  const list20 = fileList(spec20, payload).map((e) => e.path);
  assert.ok(list20.includes("/usr/lib/xen-4.20/boot/qemu-stubdom-linux-rootfs") && !list20.some((p) => p.includes("4.17")));
  assert.equal(parentDirs("/usr/lib/x/y"), ["/usr", "/usr/lib", "/usr/lib/x"]);
  assert.is(launcherScript(), '#!/bin/sh\n# stubdomctl, the dom0 tool of stubdom-init: a Node.js bundle run by Debian\'s nodejs.\nexec /usr/bin/node /usr/lib/stubdom-init/stubdomctl.cjs "$@"\n');
});

test("Installed-Size: each file's KiB rounded up, 1 per directory and for the root", () => {
  const entries = fileList(spec17, payload);
  const dirs = entries.filter((e) => e.kind === "dir").length + 1;
  const files = [2790400, 6628361, 66352, launcherScript().length, 2180, 1, 196, 0].reduce((n, s) => n + Math.ceil(s / 1024), 0);
  assert.is(installedSizeKiB(entries), dirs + files);
});

test("control: the fields in dpkg-gencontrol's order, a description of lines under 80 columns", () => {
  const text = controlText(spec17, 9287);
  const fields = text.split("\n").filter((l) => /^[A-Z]/.test(l)).map((l) => l.split(":")[0]);
  assert.equal(fields, ["Package", "Version", "Architecture", "Maintainer", "Installed-Size", "Depends", "Section", "Priority", "Description"]);
  assert.match(text, /^Package: stubdom-init\nVersion: 0\.1\.0-1\+xen4\.17\nArchitecture: amd64\nMaintainer: stubdom-init developers <stubdom-init@localhost>\nInstalled-Size: 9287\nDepends: xen-utils-4\.17, nodejs \(>= 18\)\nSection: admin\nPriority: optional\n/);
  assert.match(controlText(spec20, 1), /\nDepends: xen-utils-4\.20, nodejs \(>= 18\)\n/);
  const description = text.slice(text.indexOf("Description: "));
  assert.ok(text.endsWith("\n") && !text.includes("\n\n"), "one paragraph");
  for (const line of description.split("\n").slice(1, -1)) {
    assert.ok(line.startsWith(" ") && line.length <= 80 && line.trim() !== "", JSON.stringify(line));
  }
  assert.match(description, /\n \.\n/, "two paragraphs");
  assert.match(description, /\/usr\/lib\/xen-4\.17\/boot/);
  assert.equal(wrap("a bb ccc", 4), ["a bb", "ccc"]);
});

const USAGE = `usage: stubdomctl <command> [options]     (stubdomctl <command> --help for each)

commands:
  status [S] [--json]           a stubdom's health (every stubdom's, without S)
  set S KEY=VALUE... [--unset KEY]
                                change settings of running stubdom S (applied live)
  console [S] [N]               attach to stubdom S's console (Ctrl-] detaches)

The XenStore socket: --socket PATH, else $XENSTORED_PATH.
`;

test("man page: the commands read from the usage, each help text as a literal block, roff's specials escaped", () => {
  assert.equal(commandNamesFromUsage(USAGE), ["status", "set", "console"]);
  assert.throws(() => commandNamesFromUsage("usage: nothing\n"), /no "commands:" section/);
  assert.is(roffLiteral(".hidden -x 'a' `b` \\n"), "\\&.hidden \\-x \\(aqa\\(aq \\(gab\\(ga \\en");
  const page = manPage({ spec: spec17, usage: USAGE, commands: [{ name: "status", help: "usage: stubdomctl status\n\n  --json  JSON\n" }], date: "2026-12-06" });
  assert.match(page, /^\.\\" stubdomctl\.8: made by host\/package\/manPage\.ts/);
  assert.match(page, /\n\.TH STUBDOMCTL 8 "2026-12-06" "stubdom-init 0\.1\.0-1\+xen4\.17" "System Administration"\n\.SH NAME\nstubdomctl \\- /);
  assert.match(page, /\n\.SS status\n\.nf\nusage: stubdomctl status\n\n  \\-\\-json  JSON\n\.fi\n/);
  assert.match(page, /\n\.I \/usr\/lib\/xen\\-4\.17\/boot\/qemu\\-stubdom\\-linux\\-kernel\n/);
  assert.equal(gunzipSync(gzipMax(page)).toString(), page);
  const gz = gzipMax("x");
  assert.equal([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3], "gzip -9n: no name, no time, best compression, Unix");
});

test("command modules: cmd<Name>.ts is the command <name>", () => {
  assert.is(commandOfModule("./cmdSet.ts"), "set");
  assert.is(commandOfModule("./cmdXenstored.ts"), "xenstored");
  assert.is(commandOfModule("./healthView.ts"), undefined);
});

test("copyright: DEP-5, every licence a Files paragraph names has a paragraph of its own, the rootfs's packages listed", () => {
  const text = copyrightText({
    spec: spec17,
    years: "2026",
    bundled: [{ name: "typebox", version: "1.4.3", license: "MIT", copyright: ["2017-2026 Haydn Paterson"] }],
    rootfs: { packages: { "busybox-static": "1:1.35.0-4", "src:qemu": "1:7.2", libc6: "2.36-9" }, sources: { qemu: "QEMU 7.2 from source", kernel: "linux-source-6.1 6.1.192-3" } },
  });
  const paragraphs = text.trimEnd().split("\n\n");
  assert.match(paragraphs[0]!, /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/\nUpstream-Name: stubdom-init\n/);
  assert.match(paragraphs[1]!, /^Files: \*\nCopyright: 2026 stubdom-init developers\nLicense: MIT$/);
  const used = new Set(paragraphs.filter((p) => p.startsWith("Files:")).flatMap((p) => /\nLicense: (.*)/.exec(p)![1]!.split(" and ")));
  const defined = new Set(paragraphs.filter((p) => p.startsWith("License:")).map((p) => /^License: (.*)/.exec(p)![1]));
  assert.equal([...used].sort(), [...defined].sort());
  assert.equal([...used].sort(), ["Debian-packages", "GPL-2", "MIT"]);
  assert.match(text, /Files: usr\/lib\/stubdom-init\/stubdomctl\.cjs\nCopyright: 2026 stubdom-init developers\n 2017-2026 Haydn Paterson\n/);
  assert.match(text, /Files: usr\/lib\/xen-4\.17\/boot\/qemu-stubdom-linux-kernel\nCopyright: .*\nLicense: GPL-2\n/);
  assert.match(text, /\n busybox-static 1:1\.35\.0-4\n libc6 2\.36-9\n/);
  assert.not.match(text, /src:qemu/);
  for (const line of text.split("\n")) assert.ok(line.length <= 80, line);
  const noNpm = copyrightText({ spec: spec17, years: "2026", bundled: [], rootfs: { packages: {}, sources: {} } });
  assert.not.match(noNpm, /stubdomctl\.cjs|npm/, "without npm packages, Files: * covers the bundle");
  assert.throws(
    () => copyrightText({ spec: spec17, years: "2026", bundled: [{ name: "x", version: "1", license: "Apache-2.0", copyright: ["2020 X"] }], rootfs: { packages: {}, sources: {} } }),
    /bundles x \(Apache-2\.0\): give its licence a paragraph/,
  );
});

test("changelog: one entry in Debian's format, dated by the epoch; copyright years from the first commit", () => {
  const origin = { commit: "a68d8be46211f042ecd71d6f6079db44318aea68", dirty: true, epoch: 1796542177, firstYear: 2025 };
  assert.is(changelogDate(origin.epoch), "Sun, 06 Dec 2026 07:29:37 +0000");
  assert.is(
    changelogText(spec20, origin),
    `stubdom-init (0.1.0-1+xen4.20) trixie; urgency=medium

  * Built for Xen 4.20 (Debian 13) from stubdom-init commit a68d8be46211 with
    uncommitted changes.

 -- stubdom-init developers <stubdom-init@localhost>  Sun, 06 Dec 2026 07:29:37 +0000
`,
  );
  assert.is(copyrightYears(origin), "2025-2026");
  assert.is(copyrightYears({ ...origin, firstYear: 2026 }), "2026");
});

test("lintian overrides: each tag with the reason above it", () => {
  const text = lintianOverridesText(spec17);
  for (const block of text.trimEnd().split("\n\n")) assert.match(block, /^# .+\nstubdom-init: [a-z0-9-]+( .*)?$/);
});

// --- The maintainer scripts, run as dpkg runs them, against a fake root.

const LINK = "usr/bin/vchan-socket-proxy";

interface Root {
  dir: string;
  run: (script: "postinst" | "postrm", ...args: string[]) => { code: number | null; stderr: string };
  link: () => string | undefined;
}

/** A fake root with an empty dpkg database; `owner` makes a package own the link's path in it. */
function fakeRoot(owner?: string): Root {
  const dir = mkdtempSync(join(tmpdir(), "stubdom-deb-scripts-"));
  mkdirSync(join(dir, "usr/bin"), { recursive: true });
  mkdirSync(join(dir, "var/lib/dpkg/info"), { recursive: true });
  writeFileSync(join(dir, "var/lib/dpkg/status"), owner ? `Package: ${owner}\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\nMaintainer: x <x@example.org>\nDescription: x\n\n` : "");
  if (owner) writeFileSync(join(dir, `var/lib/dpkg/info/${owner}.list`), `/.\n/usr\n/usr/bin\n/${LINK}\n`);
  const scripts = maintainerScripts(spec17);
  return {
    dir,
    run: (script, ...args) => {
      const env: NodeJS.ProcessEnv = { ...process.env, DPKG_ROOT: dir };
      delete env.DPKG_ADMINDIR;
      const r = spawnSync("/bin/sh", ["-c", scripts[script]!, script, ...args], { env, encoding: "utf8" });
      return { code: r.status, stderr: r.stderr };
    },
    link: () => {
      try {
        return lstatSync(join(dir, LINK)).isSymbolicLink() ? readlinkSync(join(dir, LINK)) : "(a file)";
      } catch {
        return undefined;
      }
    },
  };
}

test("maintainer scripts: none for 4.20 (xen-utils-common ships the link); for 4.17 every path under $DPKG_ROOT", () => {
  assert.equal(maintainerScripts(spec20), {});
  const s = maintainerScripts(spec17);
  assert.equal(Object.keys(s).sort(), ["postinst", "postrm"]);
  for (const [name, text] of Object.entries(s)) {
    assert.ok(text.startsWith("#!/bin/sh\n") && /\nset -e\n/.test(text) && !text.includes("#DEBHELPER#"), name);
    assert.is(spawnSync("/bin/sh", ["-n", "-c", text]).status, 0, `${name}: sh -n`);
    // The only places the host path appears: comments, $link's definition under $DPKG_ROOT, dpkg-query's argument.
    for (const line of text.split("\n").filter((l) => l.includes("/usr/bin/vchan-socket-proxy"))) {
      assert.ok(/^#/.test(line) || line === 'link="$DPKG_ROOT/usr/bin/vchan-socket-proxy"' || /^\tdpkg-query -S \/usr\/bin\/vchan-socket-proxy /.test(line), `${name}: ${line}`);
    }
  }
  assert.is(relativeTarget("/usr/bin/vchan-socket-proxy", "/usr/lib/xen-4.17/bin/vchan-socket-proxy"), "../lib/xen-4.17/bin/vchan-socket-proxy");
});

test("postinst configure makes the link when nothing is there, idempotently; postrm remove/purge take it away", () => {
  const r = fakeRoot();
  try {
    assert.is(r.run("postinst", "configure").code, 0);
    assert.is(r.link(), "../lib/xen-4.17/bin/vchan-socket-proxy");
    assert.is(r.run("postinst", "configure", "0.1.0-1+xen4.17").code, 0, "reconfigure");
    assert.is(r.link(), "../lib/xen-4.17/bin/vchan-socket-proxy");
    for (const action of ["upgrade", "failed-upgrade", "abort-upgrade"]) {
      assert.is(r.run("postrm", action, "0.1.1-1+xen4.17").code, 0, action);
      assert.is(r.link(), "../lib/xen-4.17/bin/vchan-socket-proxy", `${action} keeps it`);
    }
    assert.is(r.run("postrm", "remove").code, 0);
    assert.is(r.link(), undefined);
    assert.is(r.run("postrm", "purge").code, 0, "purge after remove");
    for (const action of ["abort-upgrade", "abort-remove", "abort-deconfigure"]) {
      rmSync(join(r.dir, LINK), { force: true });
      assert.is(r.run("postinst", action, "0.1.0-1+xen4.17").code, 0, action);
      assert.is(r.link(), "../lib/xen-4.17/bin/vchan-socket-proxy", `${action} puts it back`);
    }
    assert.is(r.run("postrm", "abort-install").code, 0);
    assert.is(r.link(), undefined, "abort-install leaves nothing");
    const unknown = r.run("postinst", "frobnicate");
    assert.is(unknown.code, 1);
    assert.match(unknown.stderr, /postinst called with unknown argument 'frobnicate'/);
    assert.is(r.run("postrm", "frobnicate").code, 1);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test("someone else's path is left alone: a file, another link, a package's link, or our link once a package owns it", () => {
  const cases: [string, (dir: string) => void, string | undefined][] = [
    ["a file", (d) => writeFileSync(join(d, LINK), "#!/bin/sh\n"), undefined],
    ["a link to xen-utils-wrapper", (d) => symlinkSync("../lib/xen-common/bin/xen-utils-wrapper", join(d, LINK)), undefined],
    ["our link, owned by xen-utils-common", (d) => symlinkSync("../lib/xen-4.17/bin/vchan-socket-proxy", join(d, LINK)), "xen-utils-common"],
    ["the README's absolute link, owned", (d) => symlinkSync("/usr/lib/xen-4.17/bin/vchan-socket-proxy", join(d, LINK)), "xen-utils-common"],
  ];
  for (const [what, make, owner] of cases) {
    const r = fakeRoot(owner);
    try {
      make(r.dir);
      const before = r.link();
      assert.is(r.run("postinst", "configure").code, 0, what);
      assert.is(r.link(), before, `${what}: postinst`);
      assert.is(r.run("postrm", "remove").code, 0, what);
      assert.is(r.run("postrm", "purge").code, 0, what);
      assert.is(r.link(), before, `${what}: postrm`);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  }
  // The README's absolute link, unowned, is the same link: the package takes it over.
  const r = fakeRoot();
  try {
    symlinkSync("/usr/lib/xen-4.17/bin/vchan-socket-proxy", join(r.dir, LINK));
    assert.is(r.run("postrm", "remove").code, 0);
    assert.is(r.link(), undefined);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test.run();
