import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadOrder, moduleName, parseModulesDep, UnknownModuleError } from "../../kernel/modulesDep.ts";

const dep = parseModulesDep(`kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/xen-netfront.ko:
`);

test("every module loads after what it needs, each once", () => {
  const order = loadOrder(["virtio_console", "virtio_pci"], dep).map(moduleName);
  assert.equal(new Set(order).size, order.length);
  const before = (a: string, b: string) => assert.ok(order.indexOf(a) < order.indexOf(b), `${a} before ${b}: ${order.join(" ")}`);
  before("virtio_ring", "virtio");
  before("virtio", "virtio_console");
  before("virtio_pci_modern_dev", "virtio_pci");
  assert.is(order.length, 6);
});

test("names match with - and _ alike", () => {
  assert.equal(loadOrder(["xen_netfront"], dep), ["kernel/drivers/net/xen-netfront.ko"]);
  assert.is(moduleName("a/b/xen-gntdev.ko.xz"), "xen_gntdev");
});

test("an unknown module is an error naming it", () => {
  assert.throws(() => loadOrder(["nope"], dep), (e: unknown) => e instanceof UnknownModuleError && /nope/.test((e as Error).message));
});

test.run();
