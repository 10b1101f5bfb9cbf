// The .jsbc file stubjsc writes and stubjs runs: a header, then QuickJS bytecode. QuickJS's reader
// trusts its input (2021-03-27 crashed on a truncated file), and a crash of PID 1 is a kernel panic, so stubjs
// checks the header before QuickJS reads a byte: the length, a checksum, and the id of the QuickJS
// build (STUBJS_QUICKJS_ID, set by runtime/build.ts) that both binaries link.
#ifndef BYTECODE_FILE_H
#define BYTECODE_FILE_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* How stubjs tells a bytecode file from a source one (runtime/build.ts names them so). */
#define JSBC_SUFFIX ".jsbc"
#define JSBC_MAGIC "STUBJSBC"
#define JSBC_ID_SIZE 16
/* magic (8), QuickJS build id (16), bytecode length (4, LE), jsbc_checksum of the bytecode (8, LE). */
#define JSBC_HEADER_SIZE (8 + JSBC_ID_SIZE + 4 + 8)

/* FNV-1a's step over 64-bit words, then the bytes left: a byte at a time cost 7% of the init's
 * start-up (callgrind). It finds damage and truncation; it does not stand against tampering. */
static inline uint64_t jsbc_checksum(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static inline void jsbc_put_le(uint8_t *out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t jsbc_get_le(const uint8_t *in, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | in[i];
    return v;
}

static inline void jsbc_header(uint8_t out[JSBC_HEADER_SIZE], const uint8_t *bytecode, size_t len)
{
    memcpy(out, JSBC_MAGIC, 8);
    memcpy(out + 8, STUBJS_QUICKJS_ID, JSBC_ID_SIZE);
    jsbc_put_le(out + 8 + JSBC_ID_SIZE, len, 4);
    jsbc_put_le(out + 8 + JSBC_ID_SIZE + 4, jsbc_checksum(bytecode, len), 8);
}

/* NULL when file holds whole bytecode of this QuickJS build (it starts at file + JSBC_HEADER_SIZE),
 * else why not. */
static inline const char *jsbc_check(const uint8_t *file, size_t n)
{
    if (n < JSBC_HEADER_SIZE || memcmp(file, JSBC_MAGIC, 8) != 0)
        return "not stubjs bytecode (no " JSBC_MAGIC " header; stubjsc writes it)";
    if (memcmp(file + 8, STUBJS_QUICKJS_ID, JSBC_ID_SIZE) != 0)
        return "bytecode of another QuickJS build than this stubjs's (" STUBJS_QUICKJS_ID "): compile it with the stubjsc of the same build";
    size_t len = n - JSBC_HEADER_SIZE;
    if (jsbc_get_le(file + 8 + JSBC_ID_SIZE, 4) != len)
        return "the bytecode's length is not the header's: the file is truncated or has bytes added";
    if (jsbc_get_le(file + 8 + JSBC_ID_SIZE + 4, 8) != jsbc_checksum(file + JSBC_HEADER_SIZE, len))
        return "the bytecode's checksum is not the header's: the file is damaged";
    return NULL;
}
#endif
