// The supervisor's shutdown at the Sys seam, against a xenstored that takes requests and never
// answers: SIGTERM still stops every service in order and powers off, each wait on xenstored
// bounded by SHUTDOWN_PUBLISH_MS.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SHUTDOWN_PUBLISH_MS } from "../../init/supervisor.ts";
import { SIGNALS } from "../../runtime/sys.ts";
import { supervisorOnFakeSys } from "../support/fakeSupervisor.ts";

test("SIGTERM with a silent xenstored: the service is stopped, then the domain powers off within the bounds", async () => {
  const { sys, sup } = supervisorOnFakeSys();
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
