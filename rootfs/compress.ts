// Compression of the initramfs, reproducibly. gzip is the default: Xen up to 4.19 gunzips the
// ramdisk itself before the stubdom boots (so only the unpacked bytes cost stubdom RAM), while an
// xz ramdisk reaches the kernel compressed and both copies are in RAM while it unpacks.
import { spawnSync } from "node:child_process";
import { gzipSync } from "node:zlib";

export const COMPRESSIONS = ["gzip", "xz"] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/**
 * xz as the kernel's decompressor accepts it: CRC32 check (it cannot verify CRC64 or SHA-256), the
 * x86 BCJ filter it has (CONFIG_XZ_DEC_X86), and an 8 MiB dictionary, because unpacking an
 * initramfs allocates the dictionary size named in the header. One thread: output is deterministic.
 */
const XZ_ARGS = ["--format=xz", "--check=crc32", "--x86", "--lzma2=preset=9,dict=8MiB", "--threads=1", "--stdout"];

export function compress(data: Uint8Array, how: Compression): Uint8Array {
  if (how === "gzip") {
    // zlib writes MTIME 0 and no file name: no timestamp to strip.
    return gzipSync(data, { level: 9 });
  }
  const r = spawnSync("xz", XZ_ARGS, { input: data, maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`xz: ${r.error.message} (install xz-utils)`);
  if (r.status !== 0) throw new Error(`xz exited ${r.status}: ${r.stderr.toString().trim()}`);
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
}

