// Runs a helper program (busybox ip/brctl/dmesg) to completion, and network steps made of them and
// sysfs writes; the output goes to the log console.
import { describeExit, type ExitStatus, type Sys } from "../runtime/sys.ts";
import type { NetStep } from "./network.ts";
import type { Reaper } from "./reaper.ts";

export class HelperError extends Error {}

export function runHelper(sys: Sys, reaper: Reaper, argv: string[], outFd: number): Promise<ExitStatus> {
  return new Promise((resolve, reject) => {
    let pid: number;
    try {
      pid = sys.spawn(argv, { fds: [-1, outFd, outFd] });
    } catch (e) {
      reject(new HelperError(`${argv.join(" ")}: ${(e as Error).message}`));
      return;
    }
    reaper.own(pid, resolve);
  });
}

/** Runs each step in order; the first that fails ends the lot with a sentence. */
export async function runSteps(sys: Sys, reaper: Reaper, steps: readonly NetStep[], outFd: number): Promise<void> {
  for (const s of steps) {
    if ("write" in s) {
      try {
        sys.writeText(s.write, s.value);
      } catch (e) {
        throw new HelperError(`writing ${s.value} to ${s.write}: ${(e as Error).message}`);
      }
      continue;
    }
    const status = await runHelper(sys, reaper, s.run, outFd);
    if (status.code !== 0) throw new HelperError(`\`${s.run.join(" ")}\` ended with ${describeExit(status)}`);
  }
}
