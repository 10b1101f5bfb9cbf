// Checks a built image by itself: every ELF file in it must find its interpreter and every library
// it needs inside the image, searched as ld.so will search it there (no host files involved).
import { imageFs } from "./closureFs.ts";
import type { CpioEntry } from "./cpio.ts";
import { isElf } from "./elf.ts";
import { libraryClosure, type MissingLibrary } from "./libraryClosure.ts";

/** The image's ELF files (executables, libraries, kernel modules), as absolute image paths. */
export const elfPaths = (entries: readonly CpioEntry[]): string[] =>
  entries.flatMap((e) => (e.kind === "file" && isElf(e.data) ? [`/${e.path}`] : []));

/** What the image's ELF files need and the image lacks; empty when the image is complete. */
export function missingInImage(entries: readonly CpioEntry[]): MissingLibrary[] {
  return libraryClosure(elfPaths(entries), imageFs(entries)).missing;
}
