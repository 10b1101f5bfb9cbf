// What the dynamic loader needs to know about an ELF64 little-endian x86_64 file:
// its interpreter and the libraries it asks for. Read from the file, never by running it.

export type ElfDynamic = {
  interpreter?: string;
  needed: string[];
  /** DT_RUNPATH entries, or DT_RPATH's when there is no DT_RUNPATH (ld.so ignores RPATH then). */
  runpath: string[];
  soname?: string;
};

export class ElfError extends Error {
  constructor(readonly reason: string) {
    super(`ELF: ${reason}`);
    this.name = "ElfError";
  }
}

const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const EM_X86_64 = 62;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PN_XNUM = 0xffff;
const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;
const DT_SONAME = 14n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;
const PROGRAM_HEADER_SIZE = 56;
const DYNAMIC_ENTRY_SIZE = 16;
const utf8 = new TextDecoder();

type ProgramHeader = { type: number; offset: number; vaddr: number; filesz: number };

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

export function readElfDynamic(bytes: Uint8Array): ElfDynamic {
  const file = new BoundedReader(bytes);
  if (!isElf(bytes)) throw new ElfError("not an ELF file (bad magic)");
  if (file.u8(4) !== ELFCLASS64) throw new ElfError("not ELF64");
  if (file.u8(5) !== ELFDATA2LSB) throw new ElfError("not little-endian");
  if (file.u16(18) !== EM_X86_64) throw new ElfError(`machine ${file.u16(18)} is not x86_64`);

  const headers = programHeaders(file);
  const interpSegment = headers.find((h) => h.type === PT_INTERP);
  const interpreter = interpSegment && file.cString(interpSegment.offset, interpSegment.offset + interpSegment.filesz);
  const dynamicSegment = headers.find((h) => h.type === PT_DYNAMIC);
  const result: ElfDynamic = { needed: [], runpath: [] };
  if (interpreter !== undefined) result.interpreter = interpreter;
  if (!dynamicSegment) return result; // statically linked

  const tags = dynamicTags(file, dynamicSegment);
  const strtabAddress = tags.find((t) => t.tag === DT_STRTAB)?.value;
  const strtabSizeValue = tags.find((t) => t.tag === DT_STRSZ)?.value;
  const stringTags = tags.filter((t) => [DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(t.tag));
  if (stringTags.length === 0) return result;
  if (strtabAddress === undefined || strtabSizeValue === undefined) throw new ElfError("DT_STRTAB or DT_STRSZ missing");
  const strtab = fileOffsetOf(headers, safeNumber(strtabAddress));
  const strtabSize = safeNumber(strtabSizeValue);
  const stringAt = (indexValue: bigint): string => {
    const index = safeNumber(indexValue);
    if (index >= strtabSize) throw new ElfError(`string index ${index} beyond DT_STRSZ ${strtabSize}`);
    return file.cString(strtab + index, strtab + strtabSize);
  };

  const rpath: string[] = [];
  const runpath: string[] = [];
  for (const { tag, value } of stringTags) {
    if (tag === DT_NEEDED) result.needed.push(stringAt(value));
    else if (tag === DT_SONAME) result.soname = stringAt(value);
    else if (tag === DT_RPATH) rpath.push(...stringAt(value).split(":"));
    else runpath.push(...stringAt(value).split(":"));
  }
  result.runpath = runpath.length > 0 ? runpath : rpath;
  return result;
}

function programHeaders(file: BoundedReader): ProgramHeader[] {
  const phoff = file.u64(0x20);
  const phentsize = file.u16(0x36);
  const phnum = file.u16(0x38);
  if (phnum === PN_XNUM) throw new ElfError("more than 65534 program headers is not supported");
  if (phnum > 0 && phentsize < PROGRAM_HEADER_SIZE) throw new ElfError(`program header size ${phentsize} too small`);
  const headers: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    headers.push({ type: file.u32(at), offset: file.u64(at + 8), vaddr: file.u64(at + 16), filesz: file.u64(at + 32) });
  }
  return headers;
}

/** Values stay bigint: only the few tags read as numbers are checked to fit one. */
function dynamicTags(file: BoundedReader, segment: ProgramHeader): { tag: bigint; value: bigint }[] {
  const tags: { tag: bigint; value: bigint }[] = [];
  for (let at = segment.offset; at + DYNAMIC_ENTRY_SIZE <= segment.offset + segment.filesz; at += DYNAMIC_ENTRY_SIZE) {
    const tag = file.i64(at);
    if (tag === DT_NULL) return tags;
    tags.push({ tag, value: file.u64Big(at + 8) });
  }
  throw new ElfError("dynamic section has no DT_NULL terminator");
}

/** DT_STRTAB holds a virtual address; the PT_LOAD segment containing it says where that is in the file. */
function fileOffsetOf(headers: ProgramHeader[], address: number): number {
  const load = headers.find((h) => h.type === PT_LOAD && h.vaddr <= address && address < h.vaddr + h.filesz);
  if (!load) throw new ElfError(`address 0x${address.toString(16)} is in no PT_LOAD segment`);
  return load.offset + (address - load.vaddr);
}

function safeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`value 0x${value.toString(16)} too large`);
  return Number(value);
}

/** Little-endian reads that throw ElfError("truncated ...") instead of reading past the end. */
class BoundedReader {
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(at: number): number {
    this.check(at, 1);
    return this.view.getUint8(at);
  }

  u16(at: number): number {
    this.check(at, 2);
    return this.view.getUint16(at, true);
  }

  u32(at: number): number {
    this.check(at, 4);
    return this.view.getUint32(at, true);
  }

  u64(at: number): number {
    return safeNumber(this.u64Big(at));
  }

  u64Big(at: number): bigint {
    this.check(at, 8);
    return this.view.getBigUint64(at, true);
  }

  i64(at: number): bigint {
    this.check(at, 8);
    return this.view.getBigInt64(at, true);
  }

  /** The NUL-terminated string starting at `at`, which must end before `end`. */
  cString(at: number, end: number): string {
    const limit = Math.min(end, this.bytes.length);
    const nul = this.bytes.subarray(0, limit).indexOf(0, at);
    if (at > limit || nul < 0) throw new ElfError(`truncated: unterminated string at offset ${at}`);
    return utf8.decode(this.bytes.subarray(at, nul));
  }

  private check(at: number, size: number): void {
    if (at < 0 || at + size > this.bytes.length) {
      throw new ElfError(`truncated: need ${size} bytes at offset ${at}, file has ${this.bytes.length}`);
    }
  }
}
