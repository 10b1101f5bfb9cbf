// The init's view of libxl's keys: seeded by dom0 as libxl does, read as the stubdom domain.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { XenStoreDaemon } from "../../host/xenstored/daemon.ts";
import { MemoryHub } from "../support/memoryHub.ts";
import { seedStubdom } from "../../host/dev/seed.ts";
import { ConfigError, readGuestConfig } from "../../init/guestConfig.ts";

const spec = { stubdom: 5, guest: 4, uuid: "u-1", name: "g", argv: ["-xen-domid", "4", "-name", "g with spaces\nand a newline"] };

const world = async () => {
  const hub = new MemoryHub(new XenStoreDaemon());
  const dom0 = new XenStoreClient(hub.connect(0));
  return { dom0, stub: () => new XenStoreClient(hub.connect(5)) };
};

test("the stubdom reads its domid, target, vm path and argv, in order, arguments intact", async () => {
  const { dom0, stub } = await world();
  await seedStubdom(dom0, spec);
  const c = await readGuestConfig(stub());
  assert.equal(c, { domid: 5, target: 4, vmPath: "/vm/u-1", dmArgv: spec.argv });
});

test("1500 arguments come back in numeric order", async () => {
  const { dom0, stub } = await world();
  const argv = Array.from({ length: 1500 }, (_, i) => `arg${i + 1}`);
  await seedStubdom(dom0, { ...spec, argv });
  assert.equal((await readGuestConfig(stub())).dmArgv, argv);
});

const failures: [string, (dom0: XenStoreClient) => Promise<void>, RegExp][] = [
  ["no target", (x) => x.rm("/local/domain/5/target"), /\/local\/domain\/5\/target: cannot read \(ENOENT\)/],
  ["a non-numeric target", (x) => x.write("/local/domain/5/target", "four"), /"four" is not a domain id/],
  ["no dm-argv", (x) => x.rm("/vm/u-1/image/dm-argv"), /dm-argv: cannot list \(ENOENT\)/],
  ["an empty vm key", (x) => x.write("/local/domain/4/vm", ""), /^\/local\/domain\/4\/vm: is empty; libxl writes/],
  ["a relative vm path", (x) => x.write("/local/domain/4/vm", "vm/u-1"), /^\/local\/domain\/4\/vm: "vm\/u-1" is not an absolute path/],
  ["a vm path with a bad character", (x) => x.write("/local/domain/4/vm", "/vm/u 1"), /^\/local\/domain\/4\/vm: "\/vm\/u 1" has a character outside/],
  ["a target that is the stubdom itself", (x) => x.write("/local/domain/5/target", "5"), /^\/local\/domain\/5\/target: is 5, this stubdom itself/],
  ["a duplicate dm-argv key", (x) => x.write("/vm/u-1/image/dm-argv/01", "-x"), /two keys for argument 1: 01 and 001/],
  ["a gap in dm-argv", (x) => x.rm("/vm/u-1/image/dm-argv/002"), /gap: expected argument 2, found key 003/],
  ["a non-UTF-8 argument", (x) => x.write("/vm/u-1/image/dm-argv/003", Uint8Array.of(0x2d, 0xff)), /dm-argv\/003: cannot read \(EILSEQ\)/],
];
for (const [name, breakIt, re] of failures) {
  test(`${name} gives a ConfigError naming the key`, async () => {
    const { dom0, stub } = await world();
    await seedStubdom(dom0, spec);
    await breakIt(dom0);
    try {
      await readGuestConfig(stub());
      assert.unreachable("should fail");
    } catch (e) {
      assert.instance(e, ConfigError);
      assert.match((e as Error).message, re);
    }
  });
}

test.run();
