// The client side of RFB 3.8 (RFC 6143), as much of it as the display bridge needs from QEMU's VNC
// server: no authentication (the socket is the init's alone), 32-bit true colour in the layout
// xen-fbfront has (little endian, red at bit 16), Raw rectangles, DesktopSize for mode changes,
// and QEMU's extended key event, which carries scancodes instead of keysyms. Pure: bytes in,
// events out, one row of pixels buffered at most.

import { decodeUtf8 } from "../runtime/utf8.ts";

export class RfbError extends Error {}

export type RfbEvent =
  | { kind: "ready"; width: number; height: number; name: string }
  /** The guest's screen has this size now (at ready, and at each mode change). */
  | { kind: "size"; width: number; height: number }
  /** One row of a rectangle: width * 4 bytes of B, G, R, X. */
  | { kind: "row"; x: number; y: number; pixels: Uint8Array }
  /** A FramebufferUpdate ended; `rows` counts the pixel rows it carried. */
  | { kind: "update"; rows: number };

export const ENCODING_RAW = 0;
export const ENCODING_DESKTOP_SIZE = -223;
export const ENCODING_QEMU_EXTENDED_KEY = -258;
const SECURITY_NONE = 1;
const BYTES_PER_PIXEL = 4;
/** A cut-text message longer than this is not a VNC server we know. */
const MAX_CUT_TEXT = 1 << 20;

/** The client's first answer: the version it speaks. */
export const CLIENT_VERSION = Uint8Array.from("RFB 003.008\n", (c) => c.charCodeAt(0));

/** Server text (version, reasons, the desktop name): UTF-8, or Latin-1 when it is not. */
function textOf(bytes: Uint8Array): string {
  try {
    return decodeUtf8(bytes);
  } catch {
    return String.fromCharCode(...bytes);
  }
}

const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const be32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

function message(size: number, fill: (v: DataView) => void): Uint8Array {
  const out = new Uint8Array(size);
  fill(new DataView(out.buffer));
  return out;
}

/** SetPixelFormat: 32 bpp, depth 24, little endian, true colour, 8 bits each, R<<16 G<<8 B. */
export const setPixelFormat = (): Uint8Array =>
  message(20, (v) => {
    v.setUint8(0, 0);
    v.setUint8(4, 32);
    v.setUint8(5, 24);
    v.setUint8(6, 0);
    v.setUint8(7, 1);
    v.setUint16(8, 255);
    v.setUint16(10, 255);
    v.setUint16(12, 255);
    v.setUint8(14, 16);
    v.setUint8(15, 8);
    v.setUint8(16, 0);
  });

export const setEncodings = (encodings: readonly number[]): Uint8Array =>
  message(4 + 4 * encodings.length, (v) => {
    v.setUint8(0, 2);
    v.setUint16(2, encodings.length);
    encodings.forEach((e, i) => v.setInt32(4 + 4 * i, e));
  });

export const updateRequest = (incremental: boolean, width: number, height: number): Uint8Array =>
  message(10, (v) => {
    v.setUint8(0, 3);
    v.setUint8(1, incremental ? 1 : 0);
    v.setUint16(6, width);
    v.setUint16(8, height);
  });

/** PointerEvent: `buttons` bit 0 left, 1 middle, 2 right, 3/4 wheel up/down. */
export const pointerEvent = (buttons: number, x: number, y: number): Uint8Array =>
  message(6, (v) => {
    v.setUint8(0, 5);
    v.setUint8(1, buttons);
    v.setUint16(2, x);
    v.setUint16(4, y);
  });

/** QEMU's extended key event: a scancode (QEMU's "qnum", XT set 1 with 0xe0 xx as 0x80|xx). */
export const qemuKeyEvent = (down: boolean, qnum: number): Uint8Array =>
  message(12, (v) => {
    v.setUint8(0, 255);
    v.setUint8(1, 0);
    v.setUint16(2, down ? 1 : 0);
    v.setUint32(4, 0);
    v.setUint32(8, qnum);
  });

/** What a step of the session waits for: exactly this many bytes. */
type Session = Generator<number, void, Uint8Array>;

/**
 * Feeds the server's bytes in, however they are split, and returns the events they complete. The
 * handshake's answers (version, security type, ClientInit) go out through `send`.
 */
export class RfbClient {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private readonly session: Session;
  private want: number;
  private events: RfbEvent[] = [];
  private done = false;

  constructor(private readonly send: (bytes: Uint8Array) => void) {
    this.session = this.run();
    this.want = this.session.next().value as number;
  }

  feed(bytes: Uint8Array): RfbEvent[] {
    if (this.done) throw new RfbError("the RFB session already ended with an error");
    if (bytes.length > 0) {
      this.chunks.push(bytes);
      this.buffered += bytes.length;
    }
    try {
      while (this.buffered >= this.want) {
        const r = this.session.next(this.take(this.want));
        if (r.done) throw new RfbError("the RFB session ended");
        this.want = r.value;
      }
    } catch (e) {
      this.done = true;
      throw e;
    }
    const out = this.events;
    this.events = [];
    return out;
  }

  private take(n: number): Uint8Array {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }

  private *reason(): Generator<number, string, Uint8Array> {
    const len = be32(yield 4, 0);
    if (len > MAX_CUT_TEXT) return `(a reason of ${len} bytes)`;
    return len === 0 ? "" : textOf(yield len);
  }

  private *run(): Session {
    const version = textOf(yield 12);
    if (!/^RFB 003\.00[78]\n$/.test(version)) throw new RfbError(`the VNC server speaks ${JSON.stringify(version)}, not RFB 3.7 or 3.8`);
    this.send(CLIENT_VERSION);
    const count = (yield 1)[0]!;
    if (count === 0) throw new RfbError(`the VNC server refused the connection: ${yield* this.reason()}`);
    const types = [...(yield count)];
    if (!types.includes(SECURITY_NONE)) throw new RfbError(`the VNC server wants authentication (security types ${types.join(", ")}); the bridge's socket should need none`);
    this.send(Uint8Array.of(SECURITY_NONE));
    if (be32(yield 4, 0) !== 0) throw new RfbError(`the VNC server refused the connection: ${yield* this.reason()}`);
    // Shared: an exclusive client would disconnect any other (a debugging viewer).
    this.send(Uint8Array.of(1));
    const init = yield 24;
    const nameLength = be32(init, 20);
    const name = nameLength === 0 ? "" : textOf(yield Math.min(nameLength, MAX_CUT_TEXT));
    let width = be16(init, 0);
    let height = be16(init, 2);
    this.events.push({ kind: "ready", width, height, name }, { kind: "size", width, height });
    for (;;) {
      const type = (yield 1)[0]!;
      if (type === 0) {
        const rects = be16(yield 3, 1);
        let rows = 0;
        for (let i = 0; i < rects; i++) {
          const h = yield 12;
          const [x, y, w, rh] = [be16(h, 0), be16(h, 2), be16(h, 4), be16(h, 6)];
          const encoding = new DataView(h.buffer, h.byteOffset + 8, 4).getInt32(0);
          if (encoding === ENCODING_DESKTOP_SIZE) {
            width = w;
            height = rh;
            this.events.push({ kind: "size", width, height });
          } else if (encoding === ENCODING_RAW) {
            if (x + w > width || y + rh > height) throw new RfbError(`a ${w}x${rh} rectangle at ${x},${y} lies outside the ${width}x${height} screen`);
            for (let row = 0; row < rh && w > 0; row++) {
              // Read before `this.events`: the list is swapped for a new one at every feed.
              const pixels = yield w * BYTES_PER_PIXEL;
              this.events.push({ kind: "row", x, y: y + row, pixels });
            }
            rows += w > 0 ? rh : 0;
          } else if (encoding !== ENCODING_QEMU_EXTENDED_KEY) {
            throw new RfbError(`the VNC server sent a rectangle in encoding ${encoding}, which the bridge did not ask for`);
          }
        }
        this.events.push({ kind: "update", rows });
      } else if (type === 1) {
        const colours = be16(yield 5, 3);
        yield colours * 6;
      } else if (type === 2) {
        // Bell: nothing to ring.
      } else if (type === 3) {
        const len = be32(yield 7, 3);
        if (len > MAX_CUT_TEXT) throw new RfbError(`the VNC server sent ${len} bytes of cut text`);
        if (len > 0) yield len;
      } else {
        throw new RfbError(`the VNC server sent message type ${type}, which the bridge does not know`);
      }
    }
  }
}
