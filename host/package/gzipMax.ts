// gzip -9n, as Debian compresses man pages and changelogs: best compression, no name, no time
// (zlib's gzip header has neither), so the same text always gives the same bytes.
import { constants, gzipSync } from "node:zlib";

export const gzipMax = (data: Uint8Array | string): Uint8Array => new Uint8Array(gzipSync(data, { level: constants.Z_BEST_COMPRESSION }));
