// QEMU restart latency, in the native tier's harness (test/support/nativeStubdom.ts: the image's own
// stubjs + init bundle as PID 1 of fresh namespaces, our xenstored, the image's real QEMU), which is
// much faster and steadier than the dev VM under TCG. Each round: SIGKILL the running QEMU from the
// host, then note when the init's log says the new QEMU started (it logs after execve succeeded:
// spawn waits on a close-on-exec pipe), when dom0 sees health `state` = running with the new restart
// count, and when the new QEMU answers the init's QMP. The policy is set for the mechanics: no
// backoff, a burst limit above the rounds (the defaults wait 100 ms, doubling, by design).
import { performance } from "node:perf_hooks";
import { DEMO_GUEST_PATH } from "../../host/image/flavours.ts";
import { bounded } from "../../host/dev/lineStream.ts";
import { NativeStubdom, SHARED } from "../../test/support/nativeStubdom.ts";
import type { XenStoreClient } from "../../runtime/xenstore/client.ts";

export const RESTART_CONFIG = { "backoff-initial-ms": "0", "restart-burst": "100", "restart-window-s": "3600" } as const;

const guestArgv = [
  "-accel", "tcg", "-nodefaults", "-no-user-config", "-display", "none", "-m", "16",
  "-serial", `unix:${SHARED}/serial.sock`,
  "-drive", `file=${DEMO_GUEST_PATH},format=raw,if=ide,index=0,media=disk`, "-boot", "order=c", "-net", "none", "-no-shutdown",
];

export interface RestartSample {
  execMs: number;
  runningMs: number;
  qmpMs: number;
}

/** Resolves with the host time at which `ready()` first holds, checked on every change under `dir`. */
function whenHealth(xs: XenStoreClient, dir: string, ready: (read: (k: string) => Promise<string>) => Promise<boolean>, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    const read = (k: string): Promise<string> => xs.readString(`${dir}/${k}`).catch(() => "");
    xs.watch(dir, token, () => {
      void ready(read).then((ok) => {
        if (ok && !done) {
          done = true;
          resolve(performance.now());
          xs.unwatch(dir, token).catch(() => undefined);
        }
      });
    }).catch(reject);
  });
}

/** Host time of the first line (from now on) matching `re`, with its match. */
function nextLine(s: NativeStubdom, re: RegExp): Promise<{ at: number; m: RegExpExecArray }> {
  return new Promise((resolve) => {
    let done = false;
    s.console.onLine((l) => {
      const m = re.exec(l);
      if (m && !done) {
        done = true;
        resolve({ at: performance.now(), m });
      }
    });
  });
}

export async function measureRestarts(rootfs: string, rounds: number, log: (line: string) => void, boundMs = 30_000): Promise<RestartSample[]> {
  const s = await NativeStubdom.start({ rootfs, seed: { stubdom: 7, guest: 6, uuid: "bench-restart", name: "bench-restart", argv: guestArgv, config: RESTART_CONFIG } });
  const dir = s.healthPath("").replace(/\/$/, "");
  try {
    await s.waitHealth("state", (v) => v === "running", 60_000);
    await bounded(s.console.waitFor(/qemu: pid \d+ answers QMP/, boundMs), boundMs, "the first QEMU answering QMP");
    const samples: RestartSample[] = [];
    for (let i = 1; i <= rounds; i++) {
      const [qemu, ...more] = s.hostPids("qemu-system-x86_64");
      if (qemu === undefined || more.length > 0) throw new Error(`expected one QEMU, found ${[qemu, ...more].join(", ") || "none"}`);
      const started = nextLine(s, new RegExp(`qemu: started pid (\\d+) \\(restart ${i}\\)`));
      const running = whenHealth(s.xs, dir, async (read) => (await read("qemu/restarts")) === String(i) && (await read("state")) === "running", `bench-restart-${i}`);
      const qmp = started.then(({ m }) => nextLine(s, new RegExp(`qemu: pid ${m[1]} answers QMP`)));
      const t0 = performance.now();
      process.kill(qemu, "SIGKILL");
      const [st, run, q] = await bounded(Promise.all([started, running, qmp]), boundMs, `restart ${i}`);
      samples.push({ execMs: st.at - t0, runningMs: run - t0, qmpMs: q.at - t0 });
      log(`restart ${i}: exec ${(st.at - t0).toFixed(1)} ms, running ${(run - t0).toFixed(1)} ms, QMP ${(q.at - t0).toFixed(1)} ms`);
    }
    return samples;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- init stdout ---\n${s.console.all.slice(-3000)}`);
  } finally {
    await s.stop();
  }
}
