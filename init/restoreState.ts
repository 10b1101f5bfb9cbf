// A restore (xl restore, the receiving side of xl migrate) as the supervisor follows it: the first
// QEMU run reads libxl's saved device state from hvc2, and the restore is done once QEMU is out of
// `inmigrate` (its QMP status, or the RESUME event when the guest runs again). A run that ends
// before that failed to restore, and what follows is the restore-failure setting's choice, never a
// silent fresh boot with reset devices.
import type { Config } from "./configSchema.ts";

export type RestorePhase = "none" | "restoring" | "done";

export const afterStatus = (phase: RestorePhase, status: string): RestorePhase => (phase === "restoring" && status !== "inmigrate" ? "done" : phase);

export const afterEvent = (phase: RestorePhase, event: string): RestorePhase => (phase === "restoring" && event === "RESUME" ? "done" : phase);

export interface RestoreFailure {
  /** For health `error` and hvc0. */
  sentence: string;
  /** True: QEMU is not started again (state failed). False: it starts without the saved state. */
  stop: boolean;
}

/** What a QEMU that ended while restoring (`how`: "exited with code:1, saying ...") means. */
export function restoreFailure(how: string, mode: Config["restore-failure"]): RestoreFailure {
  const failed = `restoring the device state from hvc2 failed: QEMU ${how}`;
  if (mode === "stop") return { sentence: `${failed}; QEMU is not started again (restore-failure = stop)`, stop: true };
  return { sentence: `${failed}; QEMU started again without the saved state (restore-failure = fresh-start): the guest's devices were reset`, stop: false };
}
