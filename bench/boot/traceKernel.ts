// The kernel the boot bench boots: the build's minimal kernel plus bench/boot/trace.config, so that
// `trace_event=` on its command line records the timeline. Cached by input hash like the build's own.
import { readFragments } from "../../kernel/configFragments.ts";
import type { KernelBuild } from "../../kernel/debianKernel.ts";
import { minimalKernel } from "../../kernel/minimalKernel.ts";

export const TRACE_FRAGMENT = "trace.config";

export function traceKernel(log: (line: string) => void): Promise<KernelBuild> {
  return minimalKernel(log, { dev: true, extra: readFragments(import.meta.dirname, (name) => name === TRACE_FRAGMENT) });
}
