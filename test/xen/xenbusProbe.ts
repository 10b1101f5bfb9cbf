// Run in dom0 by `stubjs` (bundled like the init): our XenStore client over the Linux xenbus device,
// /dev/xen/xenbus, the channel the stubdom's init uses. Each round keeps ARGS reads in flight at
// once, as the init does when it reads libxl's dm-argv, plus one write like a health update, and
// checks that every read returns its own key's value and every write lands where it was sent.
// Prints one line: `xenbus-probe: reads=N wrong=N writes=N misplaced=N`.
import * as std from "qjs:std";
import { quickjsSys } from "../../runtime/sysQuickjs.ts";
import { XenStoreClient } from "../../runtime/xenstore/client.ts";
import { deviceTransport } from "../../runtime/xenstore/deviceTransport.ts";
import { decodeText } from "../../runtime/xenstore/payload.ts";

const ARGS = 21;
const ROUNDS = 300;
const BASE = "/local/domain/0/xenbus-probe";

async function probe(): Promise<string> {
  const xs = new XenStoreClient(deviceTransport(quickjsSys(), "/dev/xen/xenbus"));
  const keys = Array.from({ length: ARGS }, (_, i) => String(i + 1).padStart(3, "0"));
  for (const k of keys) await xs.write(`${BASE}/arg/${k}`, `value-${k}`);
  let reads = 0;
  let wrong = 0;
  let firstWrong = "";
  for (let round = 0; round < ROUNDS; round++) {
    const write = xs.write(`${BASE}/health/pid`, String(round)).catch(() => undefined);
    const values = await Promise.all(keys.map((k) => xs.read(`${BASE}/arg/${k}`).then(decodeText, (e: Error) => `error ${e.message}`)));
    await write;
    values.forEach((v, i) => {
      reads++;
      if (v === `value-${keys[i]}`) return;
      wrong++;
      firstWrong ||= ` first: ${keys[i]} read ${JSON.stringify(v)}`;
    });
  }
  // Sequentially now: each argument key still holds its own value, unless a write landed on it.
  let misplaced = 0;
  for (const k of keys) if (decodeText(await xs.read(`${BASE}/arg/${k}`)) !== `value-${k}`) misplaced++;
  return `xenbus-probe: reads=${reads} wrong=${wrong} writes=${ROUNDS} misplaced=${misplaced}${firstWrong}`;
}

probe().then(
  (line) => {
    console.log(line);
    std.exit(0);
  },
  (e: Error) => {
    console.log(`xenbus-probe: failed: ${e.message}`);
    std.exit(1);
  },
);
