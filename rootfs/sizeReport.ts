// The size report: per flavour and purpose group, printed by the build and kept in
// bench/RESULTS.md under "## Image sizes" (other sections of that file are left as they are).
import { GROUPS } from "./manifest.ts";
import type { ManifestFile } from "./manifestFile.ts";

export const RESULTS_HEADING = "## Image sizes";

export const formatBytes = (n: number): string =>
  n >= 1024 * 1024 ? `${(n / 1048576).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

/** Console lines for one image: totals, then each group, largest first. */
export function reportLines(m: ManifestFile, file: string): string[] {
  const count = m.files.length;
  const groups = Object.entries(m.groups).sort((a, b) => b[1].bytes - a[1].bytes);
  return [
    `rootfs (${m.flavour}): ${file}: ${formatBytes(m.unpacked)} unpacked, ${formatBytes(m.compressed)} ${m.compression}, ${count} files`,
    ...groups.map(([g, s]) => `  ${g.padEnd(15)} ${formatBytes(s.bytes).padStart(11)}  ${s.files} file${s.files === 1 ? "" : "s"}`),
  ];
}

export interface KernelSize {
  description: string;
  bytes: number;
}

/**
 * Each input once, with the flavours it went into when the images differ in it (each Xen release
 * has its own QEMU and Xen packages): "qemu = A (xen-4.17, dev) / B (xen-4.20)".
 */
export function inputsLine(images: readonly ManifestFile[]): string {
  const values = new Map<string, Map<string, string[]>>();
  for (const m of images) {
    for (const [key, value] of Object.entries(m.sources)) {
      const byValue = values.get(key) ?? new Map<string, string[]>();
      byValue.set(value, [...(byValue.get(value) ?? []), m.flavour]);
      values.set(key, byValue);
    }
  }
  const one = (key: string, byValue: Map<string, string[]>): string => {
    const alike = byValue.size === 1 && [...byValue.values()][0]!.length === images.length;
    return `${key} = ${[...byValue].map(([v, flavours]) => (alike ? v : `${v} (${flavours.join(", ")})`)).join(" / ")}`;
  };
  return `Inputs: ${[...values].map(([key, byValue]) => one(key, byValue)).join("; ")}.`;
}

/** The "Image sizes" section: a table with one column per flavour. */
export function resultsSection(images: readonly ManifestFile[], kernel: KernelSize): string {
  const cell = (bytes: number | undefined, files?: number): string =>
    bytes === undefined ? "-" : files === undefined ? formatBytes(bytes) : `${formatBytes(bytes)} (${files})`;
  const row = (label: string, cells: string[]): string => `| ${label} | ${cells.join(" | ")} |`;
  const runtime = (m: ManifestFile): number => m.groups["runtime+init"]?.bytes ?? 0;
  return [
    RESULTS_HEADING,
    "",
    "Written by `npm run build` (host/image/build.ts). Every file, its size and its Debian package are in",
    "`build/stubdom/xen-<release>/manifest-xen.json` and `build/stubdom/manifest-dev.json`. \"Unpacked\" is",
    "the cpio archive: what the stubdom holds in RAM for as long as it runs (Xen up to 4.19 gunzips the",
    "ramdisk before the stubdom boots).",
    "",
    inputsLine(images),
    "",
    row("group (files)", images.map((m) => m.flavour)),
    row("---", images.map(() => "---:")),
    ...GROUPS.filter((g) => images.some((m) => m.groups[g])).map((g) =>
      row(g, images.map((m) => cell(m.groups[g]?.bytes, m.groups[g]?.files)))),
    row("**unpacked (cpio)**", images.map((m) => `**${formatBytes(m.unpacked)}**`)),
    row("compressed", images.map((m) => `${formatBytes(m.compressed)} ${m.compression}`)),
    "",
    `Kernel \`qemu-stubdom-linux-kernel\` (${kernel.description}): ${formatBytes(kernel.bytes)}.`,
    `Runtime + init: ${images.map((m) => `${formatBytes(runtime(m))} (${m.flavour})`).join(", ")}; the limit is 1 MiB.`,
    "",
  ].join("\n");
}

/** `markdown` with the section starting at `heading` (up to the next "## " heading) replaced or appended. */
export function replaceSection(markdown: string, heading: string, section: string): string {
  const body = section.endsWith("\n") ? section : `${section}\n`;
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  if (start < 0) {
    const base = markdown === "" ? "# Results\n" : markdown.replace(/\n*$/, "\n");
    return `${base}\n${body}`;
  }
  const next = lines.findIndex((l, i) => i > start && /^## /.test(l));
  const before = lines.slice(0, start).join("\n");
  const after = next < 0 ? "" : lines.slice(next).join("\n");
  return `${before}${before ? "\n" : ""}${body}${after ? `\n${after}` : ""}`;
}
