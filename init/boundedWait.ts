// A wait PID 1 may do on something outside its control (xenstored, QEMU): bounded, so a stalled
// peer delays shutdown by at most the bound instead of for ever.
import type { Sys } from "../runtime/sys.ts";

/** Resolves true when `p` settles within `ms`, false when the bound comes first; never rejects. */
export function settlesWithin(sys: Pick<Sys, "setTimer">, p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = sys.setTimer(ms, () => resolve(false));
    const settled = (): void => {
      timer.cancel();
      resolve(true);
    };
    p.then(settled, settled);
  });
}
