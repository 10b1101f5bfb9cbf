// The in-memory XenStore the unit tests share: a daemon, a dom0 client, clients as any domain,
// and `code()` to read a request's outcome as the errno name (or "ok").
import * as assert from "uvu/assert";
import { XenStoreClient, XenStoreError } from "../../runtime/xenstore/client.ts";
import { XenStoreDaemon } from "../../host/xenstored/daemon.ts";
import { MemoryHub } from "./memoryHub.ts";

export function xenstoreWorld() {
  const daemon = new XenStoreDaemon();
  const hub = new MemoryHub(daemon);
  return { daemon, hub, dom0: new XenStoreClient(hub.connect(0)), dom: (d: number) => new XenStoreClient(hub.connect(d)) };
}

export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    assert.instance(e, XenStoreError);
    return (e as XenStoreError).code;
  }
}
