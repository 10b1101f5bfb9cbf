// Memory figures for health, parsed from the kernel's own text: /proc/meminfo and QEMU's
// /proc/<pid>/status. Pure; the supervisor reads the files. MemAvailable, not MemFree, is what a
// stubdom can still spend: it adds the page cache and slab the kernel can reclaim (the rootfs's
// own pages are shmem, counted in neither).

export interface MemoryFigures {
  freeKb?: number;
  availableKb?: number;
  /** QEMU's resident set (VmRSS), while it runs. */
  qemuRssKb?: number;
}

/** The `<Name>: <n> kB` fields of a /proc text file. */
function kbFields(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z_()]+):\s+(\d+) kB$/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export function parseMeminfo(text: string): Pick<MemoryFigures, "freeKb" | "availableKb"> {
  const f = kbFields(text);
  return { freeKb: f.get("MemFree"), availableKb: f.get("MemAvailable") };
}

export function parseVmRssKb(status: string): number | undefined {
  return kbFields(status).get("VmRSS");
}
