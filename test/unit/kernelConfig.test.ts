// The minimal kernel's config fragments agree with each other, build in every module the Debian
// kernel flavour loads, and name only symbols that exist (checked against Debian's own .config).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { droppedSettings, formatKconfig, mergeFragments, parseKconfig, readFragments } from "../../kernel/configFragments.ts";
import { debianKernel } from "../../kernel/debianKernel.ts";
import { devModules, moduleSymbols, xenModules } from "../../kernel/moduleSets.ts";
import { TRACE_FRAGMENT } from "../../bench/boot/traceKernel.ts";

test("parseKconfig: settings, 'is not set', comments; anything else is an error naming the line", () => {
  const v = parseKconfig('# a comment\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S="x y"\n\nCONFIG_N=-1\n');
  assert.equal(Object.fromEntries(v), { CONFIG_A: "y", CONFIG_B: "n", CONFIG_S: '"x y"', CONFIG_N: "-1" });
  assert.throws(() => parseKconfig("CONFIG_A=y\nA=y\n", "f.config"), /f\.config:2/);
  assert.is(formatKconfig(v), 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S="x y"\nCONFIG_N=-1\n');
});

test("mergeFragments: a symbol set twice to different values is an error naming both fragments", () => {
  const f = (name: string, text: string) => ({ name, values: parseKconfig(text) });
  assert.equal(Object.fromEntries(mergeFragments([f("a", "CONFIG_X=y"), f("b", "CONFIG_X=y\nCONFIG_Y=n")])), { CONFIG_X: "y", CONFIG_Y: "n" });
  assert.throws(() => mergeFragments([f("a", "CONFIG_X=y"), f("b", "# CONFIG_X is not set")]), /CONFIG_X is y in a but n in b/);
});

test("droppedSettings: what a finished .config lost or changed; an absent symbol counts as n", () => {
  const wanted = parseKconfig("CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\n");
  const actual = parseKconfig("CONFIG_A=y\n# CONFIG_B is not set\n");
  assert.equal(droppedSettings(wanted, actual), [{ symbol: "CONFIG_B", wanted: "y", actual: "n" }]);
});

const fragments = readFragments();
const merged = mergeFragments(fragments);

test("the fragments: all built in, no module loader, x86_64, initramfs with gzip", () => {
  assert.ok(fragments.length >= 4, fragments.map((f) => f.name).join(" "));
  assert.equal([...merged].filter(([, v]) => v === "m"), []);
  assert.is(merged.get("CONFIG_MODULES"), "n");
  assert.is(merged.get("CONFIG_64BIT"), "y", "allnoconfig alone would give a 32-bit kernel");
  for (const s of ["CONFIG_BLK_DEV_INITRD", "CONFIG_RD_GZIP", "CONFIG_DEVTMPFS", "CONFIG_XEN_PV", "CONFIG_HVC_XEN", "CONFIG_HVC_XEN_FRONTEND"]) {
    assert.is(merged.get(s), "y", s);
  }
});

test("every module the Debian-kernel images load is built in: xen ones outside the dev fragment, virtio ones in it", () => {
  const withoutDev = mergeFragments(fragments.filter((f) => !f.name.includes("-dev")));
  for (const m of xenModules) assert.is(withoutDev.get(moduleSymbols[m]), "y", `${m} (${moduleSymbols[m]})`);
  for (const m of devModules) assert.is(merged.get(moduleSymbols[m]), "y", `${m} (${moduleSymbols[m]})`);
  // The privcmd parameter the module list passes must reach the built-in driver.
  assert.is(merged.get("CONFIG_CMDLINE_BOOL"), "y");
  assert.match(merged.get("CONFIG_CMDLINE") ?? "", /xen_privcmd\.unrestricted=1/);
  assert.match(merged.get("CONFIG_CMDLINE") ?? "", /rootfstype=ramfs/, "the rootfs is not capped at half of a 64 MiB stubdom's RAM");
});

/**
 * Symbols the cloud config does not print because a menu above them is off there (INPUT_MISC); the
 * minimal build checks that Kconfig kept them (droppedSettings), so a typo would fail there.
 */
const ABSENT_FROM_CLOUD = new Set(["CONFIG_INPUT_XEN_KBDDEV_FRONTEND"]);

test("Debian's cloud kernel builds each of those modules as a module, and knows every symbol the fragments set", () => {
  const cloud = parseKconfig(readFileSync(debianKernel().config, "utf8"));
  for (const m of devModules) assert.is(cloud.get(moduleSymbols[m]), "m", `${m} is ${moduleSymbols[m]} in Debian's config`);
  // CONFIG_CMDLINE only appears once CMDLINE_BOOL is on, which Debian leaves off.
  const unknown = [...merged.keys()].filter((s) => !cloud.has(s) && s !== "CONFIG_CMDLINE" && !ABSENT_FROM_CLOUD.has(s));
  assert.equal(unknown, [], "symbols Debian's 6.1 config does not have (typos?)");
});

test("the boot bench's trace fragment goes on top of the kernel's without a conflict, and Debian knows its symbols", () => {
  const trace = readFragments("bench/boot", (name) => name === TRACE_FRAGMENT);
  assert.is(trace.length, 1);
  const withTrace = mergeFragments([...fragments, ...trace]);
  for (const s of ["CONFIG_FTRACE", "CONFIG_FTRACE_SYSCALLS"]) assert.is(withTrace.get(s), "y", s);
  const cloud = parseKconfig(readFileSync(debianKernel().config, "utf8"));
  assert.equal([...trace[0]!.values.keys()].filter((s) => !cloud.has(s)), []);
});

test.run();
