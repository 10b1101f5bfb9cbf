// Waits, with a bound, for a XenStore key to hold a wanted value: a watch fires, we re-read
// (watches may fire spuriously), and we stop at the first match.
import type { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { TimeoutError } from "./lineStream.ts";

let tokens = 0;

export function waitForValue(xs: XenStoreClient, path: string, wanted: (v: string) => boolean, ms: number): Promise<string> {
  const token = `wait-${process.pid}-${++tokens}`;
  return new Promise((resolve, reject) => {
    let last: string | undefined;
    let done = false;
    const finish = (err: Error | undefined, value?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      xs.unwatch(path, token).catch(() => undefined);
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(
      () => finish(new TimeoutError(`${path} did not reach the wanted value within ${ms} ms (last: ${last === undefined ? "absent" : JSON.stringify(last)})`)),
      ms,
    );
    xs.watch(path, token, () => {
      xs.readString(path).then(
        (v) => {
          last = v;
          if (wanted(v)) finish(undefined, v);
        },
        () => undefined,
      );
    }).catch((e: Error) => finish(e));
  });
}
