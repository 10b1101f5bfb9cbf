// Console 0's state key, written by the stubdom for a dom0 QEMU (8.2 and later) that reads the log
// only once it says Initialised: written where the stubdom owns the console directory (as Debian
// 13's QEMU 10 leaves it), refused and left alone where dom0 keeps it (QEMU 7.2), skipped where
// there is no console 0 at all (dev mode).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { announceLogConsole } from "../../init/logConsoleState.ts";
import { xenstoreWorld } from "../support/xenstoreWorld.ts";

const S = 4;
const dir = `/local/domain/${S}/console`;

async function world(owner: number | undefined) {
  const w = xenstoreWorld();
  await w.dom0.mkdir(`/local/domain/${S}`);
  await w.dom0.setPerms(`/local/domain/${S}`, [{ domid: 0, access: "n" }, { domid: S, access: "r" }]);
  if (owner !== undefined) {
    await w.dom0.write(`${dir}/backend`, `/local/domain/0/backend/console/${S}/0`);
    await w.dom0.write(`${dir}/ring-ref`, "743976");
    await w.dom0.setPerms(dir, [{ domid: owner, access: "n" }, { domid: owner === 0 ? S : 0, access: "r" }]);
  }
  return w;
}

const cases: [string, number | undefined, string, string | undefined][] = [
  ["the stubdom owns console/ (QEMU 10): written", S, "written", "3"],
  ["dom0 owns console/ (QEMU 7.2, xenconsoled): refused, nothing written", 0, "refused", undefined],
  ["no console 0 (dev mode): nothing to do", undefined, "no console", undefined],
];
for (const [name, owner, outcome, state] of cases) {
  test(name, async () => {
    const w = await world(owner);
    assert.is(await announceLogConsole(w.dom(S)), outcome);
    const got = await w.dom0.readString(`${dir}/state`).catch(() => undefined);
    assert.is(got, state);
  });
}

test.run();
