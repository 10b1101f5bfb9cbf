// The running Xen from /sys/hypervisor, and the sentence when the image's Xen libraries are another
// release's: table-driven over what the kernel shows on Xen, in dev mode, and when it is broken.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseRunningXen, releaseMismatch } from "../../init/xenRelease.ts";

const parses: [string, Parameters<typeof parseRunningXen>[0], ReturnType<typeof parseRunningXen>][] = [
  ["Debian 13's Xen", { type: "xen\n", major: "4\n", minor: "20\n", extra: ".4\n" }, { release: "4.20", version: "4.20.4" }],
  ["Debian 12's Xen, a pre-release extra", { type: "xen\n", major: "4\n", minor: "17\n", extra: ".6-pre\n" }, { release: "4.17", version: "4.17.6-pre" }],
  ["no extra file", { type: "xen", major: "4", minor: "20" }, { release: "4.20", version: "4.20" }],
  ["dev mode: no /sys/hypervisor", {}, undefined],
  ["another hypervisor", { type: "kvm\n", major: "1", minor: "0" }, undefined],
  ["a version that is not numbers", { type: "xen", major: "four", minor: "20" }, undefined],
  ["a missing minor", { type: "xen", major: "4" }, undefined],
];
for (const [name, files, want] of parses) test(`parseRunningXen: ${name}`, () => assert.equal(parseRunningXen(files), want));

test("releaseMismatch: a 4.17 image on Xen 4.20 names both and the image to install", () => {
  const s = releaseMismatch("4.17", { release: "4.20", version: "4.20.4" });
  assert.match(s ?? "", /^this image carries Xen 4\.17's libraries but runs on Xen 4\.20\.4: /);
  assert.match(s ?? "", /EACCES/);
  assert.match(s ?? "", /\/usr\/lib\/xen-4\.20\/boot\/\)$/);
});

const silent: [string, string | undefined, ReturnType<typeof parseRunningXen>][] = [
  ["the same release", "4.20", { release: "4.20", version: "4.20.4" }],
  ["dev mode (no running Xen)", "4.17", undefined],
  ["an image that names no release", undefined, { release: "4.20", version: "4.20.4" }],
];
for (const [name, image, running] of silent) test(`releaseMismatch says nothing: ${name}`, () => assert.is(releaseMismatch(image, running), undefined));

test.run();
