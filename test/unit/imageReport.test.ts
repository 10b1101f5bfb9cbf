// The size report's markdown section, and reproducible compression.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { compress } from "../../rootfs/compress.ts";
import type { ManifestFile } from "../../rootfs/manifestFile.ts";
import { formatBytes, replaceSection, RESULTS_HEADING, resultsSection } from "../../rootfs/sizeReport.ts";

const other = "## XenStore\n\n| op | ns |\n|---|---|\n| read | 5 |\n";

test("replaceSection: creates the file, appends after other sections, replaces only its own", () => {
  const mine = `${RESULTS_HEADING}\n\nv1\n`;
  const created = replaceSection("", RESULTS_HEADING, mine);
  assert.is(created, `# Results\n\n${RESULTS_HEADING}\n\nv1\n`);
  const appended = replaceSection(`# Results\n\n${other}`, RESULTS_HEADING, mine);
  assert.is(appended, `# Results\n\n${other}\n${mine}`);
  const replaced = replaceSection(appended, RESULTS_HEADING, `${RESULTS_HEADING}\n\nv2\n`);
  assert.is(replaced, `# Results\n\n${other}\n${RESULTS_HEADING}\n\nv2\n`);
  // Between two other sections, the one after is kept intact.
  const middle = `# Results\n\n${RESULTS_HEADING}\n\nold\nlines\n\n## Later\n\nkeep me\n`;
  assert.is(replaceSection(middle, RESULTS_HEADING, mine), `# Results\n\n${mine}\n## Later\n\nkeep me\n`);
  assert.is(replaceSection(replaced, RESULTS_HEADING, `${RESULTS_HEADING}\n\nv2\n`), replaced, "same content, same file");
});

const manifest = (flavour: string, groups: ManifestFile["groups"], unpacked: number): ManifestFile => ({
  flavour, imageInfo: { flavour, qemu: "/q" }, sources: { qemu: "Q 1", kernel: "K 2" }, compression: "gzip",
  unpacked, compressed: Math.floor(unpacked / 3), groups, packages: {}, files: [], symlinks: [],
});

test("resultsSection: a column per flavour, groups in report order, '-' where a flavour lacks a group", () => {
  const xen = manifest("xen", { qemu: { files: 1, bytes: 15 << 20 }, "runtime+init": { files: 2, bytes: 600 * 1024 } }, 40 << 20);
  const dev = manifest("dev", { qemu: { files: 1, bytes: 15 << 20 }, "dev-qemu": { files: 2, bytes: 17 << 20 }, "runtime+init": { files: 2, bytes: 600 * 1024 } }, 70 << 20);
  const text = resultsSection([xen, dev], { description: "K 2", bytes: 8 << 20 });
  assert.ok(text.startsWith(`${RESULTS_HEADING}\n`));
  assert.match(text, "| group (files) | xen | dev |");
  assert.match(text, "| qemu | 15.00 MiB (1) | 15.00 MiB (1) |");
  assert.match(text, "| dev-qemu | - | 17.00 MiB (2) |");
  assert.match(text, "| **unpacked (cpio)** | **40.00 MiB** | **70.00 MiB** |");
  assert.match(text, "Inputs: qemu = Q 1; kernel = K 2.");
  assert.match(text, "Runtime + init: 600.0 KiB (xen), 600.0 KiB (dev)");
  assert.ok(text.indexOf("| qemu |") < text.indexOf("| runtime+init |") && text.indexOf("| runtime+init |") < text.indexOf("| dev-qemu |"));
  assert.is(formatBytes(512), "512 B");
});

const sample = new TextEncoder().encode("stubdom ".repeat(50_000) + "\x7fELF".repeat(1000));

test("gzip: no timestamp, no name, same bytes every time, and gunzip gives the input back", () => {
  const a = compress(sample, "gzip");
  assert.equal([...a.subarray(0, 4)], [0x1f, 0x8b, 8, 0], "gzip, deflate, no FNAME/FEXTRA flags");
  assert.equal([...a.subarray(4, 8)], [0, 0, 0, 0], "MTIME is 0");
  assert.equal(compress(sample, "gzip"), a);
  assert.equal(new Uint8Array(gunzipSync(a)), sample);
});

test("xz: CRC32 check (what the kernel can verify), deterministic, and xz -d gives the input back", () => {
  const a = compress(sample, "xz");
  assert.equal([...a.subarray(0, 6)], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "xz magic");
  assert.is(a[7]! & 0x0f, 0x01, "stream flags: check type CRC32");
  assert.equal(compress(sample, "xz"), a);
  const back = spawnSync("xz", ["-d", "-c"], { input: a });
  assert.is(back.status, 0);
  assert.equal(new Uint8Array(back.stdout), sample);
});

test.run();
