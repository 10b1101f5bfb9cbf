import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ByteStream } from "../../runtime/fdStream.ts";
import { QmpClient, QmpError } from "../../qemu/qmpClient.ts";

/** A scripted QEMU: answers each command line with what `answer` returns. */
function fakeQemu(answer: (cmd: { execute: string; id: number }) => object | undefined) {
  let data: (b: Uint8Array) => void = () => undefined;
  let close: (r: string) => void = () => undefined;
  const sent: string[] = [];
  const attached: (number | undefined)[] = [];
  const send = (o: object, split = false) => {
    const bytes = new TextEncoder().encode(JSON.stringify(o) + "\r\n");
    if (split) {
      data(bytes.slice(0, 5));
      data(bytes.slice(5));
    } else data(bytes);
  };
  const stream: ByteStream = {
    write: (b, attach) => {
      const cmd = JSON.parse(new TextDecoder().decode(b));
      sent.push(cmd.execute);
      attached.push(attach);
      const reply = answer(cmd);
      if (reply) queueMicrotask(() => send({ ...reply, id: cmd.id }, true));
    },
    onData: (cb) => (data = cb),
    onClose: (cb) => (close = cb),
    close: () => close("closed"),
  };
  return { stream, sent, attached, send, hangUp: (r: string) => close(r) };
}

test("a command with an fd attaches it to that command's bytes only (QMP add-fd)", async () => {
  const q = fakeQemu((c) => (c.execute === "add-fd" ? { return: { "fdset-id": 2, fd: 9 } } : { return: {} }));
  const qmp = new QmpClient(q.stream);
  q.send({ QMP: { version: {} } });
  await qmp.ready;
  assert.equal(await qmp.execute("add-fd", { opaque: "stub-devid:5632" }, 17), { "fdset-id": 2, fd: 9 });
  await qmp.execute("query-fdsets");
  assert.equal(q.sent, ["qmp_capabilities", "add-fd", "query-fdsets"]);
  assert.equal(q.attached, [undefined, 17, undefined]);
});

test("greeting, capabilities, then commands matched by id; events go to the handler", async () => {
  const q = fakeQemu((c) => (c.execute === "query-status" ? { return: { status: "running" } } : { return: {} }));
  const events: string[] = [];
  const qmp = new QmpClient(q.stream, (e) => events.push(e));
  q.send({ QMP: { version: {} } });
  await qmp.ready;
  q.send({ event: "RESUME", data: {} });
  assert.equal(await qmp.execute("query-status"), { status: "running" });
  assert.equal(q.sent, ["qmp_capabilities", "query-status"]);
  assert.equal(events, ["RESUME"]);
});

test("an error reply rejects with QEMU's class and description", async () => {
  const q = fakeQemu((c) => (c.execute === "nope" ? { error: { class: "CommandNotFound", desc: "The command nope has not been found" } } : { return: {} }));
  const qmp = new QmpClient(q.stream);
  q.send({ QMP: {} });
  await qmp.ready;
  try {
    await qmp.execute("nope");
    assert.unreachable();
  } catch (e) {
    assert.instance(e, QmpError);
    assert.match((e as Error).message, /QMP nope: CommandNotFound/);
  }
});

test("a hang-up rejects what is pending and what comes after", async () => {
  const q = fakeQemu(() => undefined);
  const qmp = new QmpClient(q.stream);
  q.send({ QMP: {} });
  const pending = qmp.ready;
  q.hangUp("QEMU exited");
  await pending.then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /Disconnected: QEMU exited/));
  await qmp.execute("query-status").then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /QEMU exited/));
});

test("a command the stream cannot take (a full queue) fails alone, and leaves nothing pending", async () => {
  let full = true;
  const q = fakeQemu(() => ({ return: {} }));
  const write = q.stream.write;
  q.stream.write = (b) => {
    if (full) throw Object.assign(new Error("writing QEMU's QMP socket: 262144 bytes already wait"), { code: "ENOBUFS" });
    write(b);
  };
  const qmp = new QmpClient(q.stream);
  q.send({ QMP: { version: {} } });
  const refused = await qmp.ready.then(() => "ok", (e: QmpError) => e.qmpClass);
  assert.is(refused, "Unsent");
  full = false;
  assert.equal(await qmp.execute("query-status"), {});
});

test.run();
