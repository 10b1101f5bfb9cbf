// The bench bundle: the init's pure work, the same code stubjs and Node both run. It resolves the
// config layers, orders and translates a shuffled 1500-key dm-argv, encodes and decodes 1000
// XenStore frames fed in odd-sized chunks, prints one line and ends (the loop runs dry: not PID 1).
// No runtime modules are imported, so the one bundle runs unchanged under both.
import { cmdlineLayer, resolveConfig } from "../../init/config.ts";
import { orderDmArgvKeys } from "../../qemu/dmArgv.ts";
import { translateDmArgv } from "../../qemu/dmArgv.ts";
import { joinNul, splitNul } from "../../runtime/xenstore/payload.ts";
import { encodeMessage, FrameReader, MsgType } from "../../runtime/xenstore/wire.ts";

const ARGS = 1500;
const FRAMES = 1000;

const t0 = Date.now();

const { config, problems } = resolveConfig([
  cmdlineLayer("console=hvc0 quiet stubdom.restart=always stubdom.log-level=debug stubdom.qmp-interval-s=2 stubdom.colour=blue"),
  { source: "/local/domain/5/stubdom/config", entries: [["backoff-max-ms", "5000"], ["restart-burst", "x"]] },
]);

// libxl's %03d keys, listed in a scrambled order (a deterministic LCG shuffle).
const keys = Array.from({ length: ARGS }, (_, i) => String(i + 1).padStart(3, "0"));
let seed = 12345;
for (let i = keys.length - 1; i > 0; i--) {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  const j = seed % (i + 1);
  [keys[i], keys[j]] = [keys[j], keys[i]];
}
const ordered = orderDmArgvKeys(keys);
const argv = translateDmArgv(ordered.map((k) => `-arg${k}`), { initQmp: 3, save: 4 }, true);

const reader = new FrameReader();
let decoded = 0;
let payloadBytes = 0;
let pending: Uint8Array[] = [];
for (let i = 0; i < FRAMES; i++) {
  pending.push(encodeMessage({ type: MsgType.READ, reqId: i + 1, txId: 0, payload: joinNul([`/vm/00000000-0000-4000-8000-000000000004/image/dm-argv/${ordered[i]}`]) }));
  if (i % 7 !== 6 && i !== FRAMES - 1) continue;
  const all = new Uint8Array(pending.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of pending) {
    all.set(p, off);
    off += p.length;
  }
  pending = [];
  // The way reads from /dev/xen/xenbus arrive: chunks that split headers and payloads.
  for (let at = 0; at < all.length; at += 37) {
    for (const m of reader.push(all.subarray(at, at + 37))) {
      decoded++;
      payloadBytes += splitNul(m.payload)[0].length;
    }
  }
}

console.log(
  `stubdom bench: ${Object.keys(config).length} settings (${problems.length} problems), ` +
    `${argv.length} QEMU args (${argv[0]} .. ${ordered[ordered.length - 1]}), ${decoded} frames (${payloadBytes} path bytes), ${Date.now() - t0} ms of work`,
);
