// Loads the kernel modules the rootfs build listed in /etc/stubdom/modules, one per line
// (`path [params]`), already in dependency order.
import type { Sys } from "../runtime/sys.ts";

export const MODULE_LIST = "/etc/stubdom/modules";

export interface ModuleLine {
  path: string;
  params: string;
}

export function parseModuleList(text: string): ModuleLine[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const sp = l.indexOf(" ");
      return sp < 0 ? { path: l, params: "" } : { path: l.slice(0, sp), params: l.slice(sp + 1).trim() };
    });
}

/** Loads every module; one already loaded or built in (EEXIST) is fine. Returns the failures. */
export function loadModules(sys: Sys, lines: ModuleLine[]): string[] {
  const failures: string[] = [];
  for (const m of lines) {
    try {
      sys.loadModule(m.path, m.params);
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") failures.push(`loading ${m.path}: ${(e as Error).message}`);
    }
  }
  return failures;
}
