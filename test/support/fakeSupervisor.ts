// A Supervisor at the Sys seam: FakeSys, a started reaper, default settings, and a xenstored that
// takes requests and never answers (health writes stay pending, as with a stalled xenstored).
import { resolveConfig } from "../../init/config.ts";
import { HealthWriter } from "../../init/health.ts";
import { Log } from "../../init/log.ts";
import { Reaper } from "../../init/reaper.ts";
import { Supervisor } from "../../init/supervisor.ts";
import { XenStoreClient, type Transport } from "../../runtime/xenstore/client.ts";
import { FakeSys } from "./fakeSys.ts";

/** A channel xenstored reads from and never answers on. */
export const silentXenstored = (): Transport => ({ write: () => undefined, onData: () => undefined, onClose: () => undefined, close: () => undefined });

export function supervisorOnFakeSys(): { sys: FakeSys; sup: Supervisor } {
  const sys = new FakeSys();
  const log = new Log(sys);
  const reaper = new Reaper(sys, log);
  reaper.start();
  const xs = new XenStoreClient(silentXenstored());
  const sup = new Supervisor({ sys, log, reaper, xs, health: new HealthWriter(xs, log), bootMs: {}, wallOffsetMs: 0 }, resolveConfig([]).config);
  return { sys, sup };
}
