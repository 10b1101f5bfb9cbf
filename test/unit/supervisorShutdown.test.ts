// The supervisor's shutdown at the Sys seam, against a xenstored that takes requests and never
// answers: SIGTERM still stops every service in order and powers off, each wait on xenstored
// bounded by SHUTDOWN_PUBLISH_MS.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { resolveConfig } from "../../init/config.ts";
import { HealthWriter } from "../../init/health.ts";
import { Log } from "../../init/log.ts";
import { Reaper } from "../../init/reaper.ts";
import { SHUTDOWN_PUBLISH_MS, Supervisor } from "../../init/supervisor.ts";
import { SIGNALS } from "../../runtime/sys.ts";
import { XenStoreClient, type Transport } from "../../runtime/xenstore/client.ts";
import { FakeSys } from "../support/fakeSys.ts";

/** A channel xenstored reads from and never answers on. */
const silent = (): Transport => ({ write: () => undefined, onData: () => undefined, onClose: () => undefined, close: () => undefined });

test("SIGTERM with a silent xenstored: the service is stopped, then the domain powers off within the bounds", async () => {
  const sys = new FakeSys();
  const log = new Log(sys);
  const reaper = new Reaper(sys, log);
  reaper.start();
  const xs = new XenStoreClient(silent());
  const sup = new Supervisor({ sys, log, reaper, xs, health: new HealthWriter(xs, log), bootMs: {}, wallOffsetMs: 0 }, resolveConfig([]).config);
  sup.watchShutdown();
  sup.startQmpProxy(["/usr/bin/vchan-socket-proxy"], 1);
  const proxy = sys.spawned[0];
  sys.signalHandlers.get(SIGNALS.SIGTERM)!();
  await sys.advance(SHUTDOWN_PUBLISH_MS);
  assert.equal(proxy.signals, [SIGNALS.SIGTERM], "stopping began after the first bounded wait");
  sys.exit(proxy.pid, { signal: SIGNALS.SIGTERM });
  await sys.advance(SHUTDOWN_PUBLISH_MS);
  assert.equal(sys.effects.slice(-2), ["sync", "poweroff"]);
  assert.match(sys.bytesWritten(1), /shutdown: xenstored did not take the last health writes within 2000 ms/);
});

test.run();
