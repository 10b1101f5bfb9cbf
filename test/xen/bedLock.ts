// One `npm run test:xen` at a time on this machine: two would share build/test-xen/ (the staged
// files, the sockets, the logs) and the two cores, and each would spoil the other's run and timings. The lock
// is a file holding the owner's pid; a lock whose owner is gone is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "../../buildkit/cache.ts";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

function tryLock(path: string): number | undefined {
  try {
    const fd = openSync(path, "wx");
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const owner = Number(readFileSync(path, "utf8").trim());
  if (Number.isInteger(owner) && owner > 0 && alive(owner)) return owner;
  rmSync(path, { force: true });
  return tryLock(path);
}

/** Waits (up to `ms`) until no other test:xen runs; returns the release function. */
export async function lockBed(log: (line: string) => void, ms = 40 * 60_000): Promise<() => void> {
  mkdirSync(cacheRoot(), { recursive: true });
  const path = join(cacheRoot(), "xenbed.lock");
  const deadline = Date.now() + ms;
  let said = false;
  for (;;) {
    const owner = tryLock(path);
    if (owner === undefined) break;
    if (Date.now() > deadline) throw new Error(`another test:xen (pid ${owner}) held ${path} for ${ms / 60_000} min`);
    if (!said) log(`waiting for another test:xen run (pid ${owner}) to finish`);
    said = true;
    await new Promise((r) => setTimeout(r, 5000));
  }
  const release = (): void => {
    try {
      if (Number(readFileSync(path, "utf8").trim()) === process.pid) rmSync(path, { force: true });
    } catch {
      // already gone
    }
  };
  process.on("exit", release);
  return release;
}
