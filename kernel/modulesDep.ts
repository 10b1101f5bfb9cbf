// modules.dep (written by depmod) lists, for each module file, every module it needs. The init
// loads modules in the order this computes: each module after everything it depends on.

export type ModulesDep = Map<string, string[]>;

/** A module's name as the kernel sees it: file name without .ko, with '-' folded to '_'. */
export const moduleName = (file: string): string => file.slice(file.lastIndexOf("/") + 1).replace(/\.ko(\.[a-z]+)?$/, "").replace(/-/g, "_");

export function parseModulesDep(text: string): ModulesDep {
  const dep: ModulesDep = new Map();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const file = line.slice(0, colon).trim();
    const needs = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    dep.set(file, needs);
  }
  return dep;
}

export class UnknownModuleError extends Error {
  constructor(readonly module: string) {
    super(`kernel module ${module} is not in modules.dep`);
  }
}

/** The module files to load, dependencies first, each once, for the wanted module names. */
export function loadOrder(wanted: readonly string[], dep: ModulesDep): string[] {
  const byName = new Map<string, string>();
  for (const file of dep.keys()) byName.set(moduleName(file), file);
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const need of dep.get(file) ?? []) visit(need);
    order.push(file);
  };
  for (const name of wanted) {
    const file = byName.get(name.replace(/-/g, "_"));
    if (!file) throw new UnknownModuleError(name);
    visit(file);
  }
  return order;
}
