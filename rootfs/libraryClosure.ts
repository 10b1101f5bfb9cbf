// The shared libraries a set of programs needs at run time, found the way ld.so finds them,
// by reading ELF headers (never by running ldd or the programs). Paths are image paths; the
// filesystem answering them may be the host, host trees stacked as layers, or a built image.

import { readFileSync, realpathSync, existsSync } from "node:fs";
import { posix } from "node:path";
import { ElfError, readElfDynamic, type ElfDynamic } from "./elf.ts";

/** The few filesystem questions the closure asks; tests answer them from a fake tree. */
export type ClosureFs = {
  /** The file's bytes, or undefined when there is no such file. */
  readFile(path: string): Uint8Array | undefined;
  realpath(path: string): string;
  exists(path: string): boolean;
  /** The host file behind a resolved path (absent: the path itself, as on the host's own tree). */
  hostPath?(realPath: string): string;
};

export type MissingLibrary = { lib: string; neededBy: string };

export type LibraryClosure = {
  /** Image path (no leading slash) -> the host file to copy there (symlinks resolved). */
  files: Map<string, string>;
  missing: MissingLibrary[];
};

/** ld.so's trusted directories on Debian x86_64, in its search order. */
export const DEFAULT_LIBRARY_DIRS = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"];

export const hostFs: ClosureFs = {
  readFile(path) {
    try {
      return readFileSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return undefined;
      throw error;
    }
  },
  realpath: (path) => realpathSync(path),
  exists: (path) => existsSync(path),
};

/** A loaded ELF object: the path it was loaded by and the directory $ORIGIN means for it. */
type LoadedObject = { path: string; origin: string; elf: ElfDynamic };

export function libraryClosure(roots: readonly string[], fs: ClosureFs = hostFs): LibraryClosure {
  const files = new Map<string, string>();
  const missing: MissingLibrary[] = [];
  // The executable's $ORIGIN is the directory of /proc/self/exe, which the kernel fully resolves.
  const queue: LoadedObject[] = roots.map((root) => ({
    elf: readRoot(fs, root), path: root, origin: posix.dirname(fs.realpath(root)),
  }));
  // ld.so is loaded before anything else and matches later DT_NEEDED names against its soname,
  // so libc's "ld-linux-x86-64.so.2" is satisfied by the interpreter, not a second copy.
  const interpreterSonames = new Set<string>();
  for (const root of [...queue]) {
    const interpreter = root.elf.interpreter;
    if (interpreter === undefined || files.has(imagePathOf(interpreter))) continue;
    const found = loadCandidate(fs, interpreter);
    if (!found) {
      missing.push({ lib: interpreter, neededBy: root.path });
      continue;
    }
    files.set(imagePathOf(interpreter), hostFileOf(fs, interpreter));
    interpreterSonames.add(found.soname ?? posix.basename(interpreter));
    queue.push({ path: interpreter, origin: posix.dirname(fs.realpath(interpreter)), elf: found });
  }

  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const name of next.elf.needed) {
      if (interpreterSonames.has(name)) continue;
      const found = findLibrary(fs, name, next);
      if (!found) {
        missing.push({ lib: name, neededBy: next.path });
        continue;
      }
      if (files.has(found.imagePath)) continue;
      files.set(found.imagePath, hostFileOf(fs, found.path));
      queue.push({ path: found.path, origin: posix.dirname(`/${found.imagePath}`), elf: found.elf });
    }
  }
  return { files, missing };
}

type FoundLibrary = { path: string; imagePath: string; elf: ElfDynamic };

function findLibrary(fs: ClosureFs, name: string, neededBy: LoadedObject): FoundLibrary | undefined {
  // A name with a slash is a path ld.so opens as is, without searching.
  if (name.includes("/")) {
    const elf = name.startsWith("/") ? loadCandidate(fs, name) : undefined;
    return elf && { path: name, imagePath: imagePathOf(name), elf };
  }
  for (const dir of [...expandRunpath(neededBy), ...DEFAULT_LIBRARY_DIRS]) {
    const path = `${dir.replace(/\/+$/, "")}/${name}`;
    const elf = loadCandidate(fs, path);
    // The image keeps the resolved directory (/lib -> usr/lib on merged-/usr Debian) but the soname as leaf.
    if (elf) return { path, imagePath: imagePathOf(posix.join(fs.realpath(dir), name)), elf };
  }
  return undefined;
}

/** Runpath entries with $ORIGIN substituted; ld.so drops entries it cannot make absolute. */
function expandRunpath(object: LoadedObject): string[] {
  return object.elf.runpath
    .map((entry) => entry.replace(/\$ORIGIN(?![A-Za-z0-9_])|\$\{ORIGIN\}/g, object.origin))
    .filter((entry) => entry.startsWith("/") && !entry.includes("$"));
}

/** The candidate's dynamic info, or undefined when it is absent or not a loadable x86_64 ELF (ld.so skips those). */
function loadCandidate(fs: ClosureFs, path: string): ElfDynamic | undefined {
  const bytes = fs.exists(path) ? fs.readFile(path) : undefined;
  if (!bytes) return undefined;
  try {
    return readElfDynamic(bytes);
  } catch (error) {
    if (error instanceof ElfError) return undefined;
    throw error;
  }
}

function readRoot(fs: ClosureFs, path: string): ElfDynamic {
  const bytes = fs.readFile(path);
  if (!bytes) throw new Error(`library closure: root ${path} does not exist`);
  try {
    return readElfDynamic(bytes);
  } catch (error) {
    if (error instanceof ElfError) throw new ElfError(`${path}: ${error.reason}`);
    throw error;
  }
}

function hostFileOf(fs: ClosureFs, path: string): string {
  const real = fs.realpath(path);
  return fs.hostPath ? fs.hostPath(real) : real;
}

function imagePathOf(absolutePath: string): string {
  return absolutePath.replace(/^\/+/, "");
}
