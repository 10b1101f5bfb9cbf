// The XenStore wire format (xen/include/public/io/xs_wire.h): a 16-byte little-endian header
// { type, req_id, tx_id, len } followed by `len` payload bytes, at most 4096.
export const HEADER_SIZE = 16;
export const PAYLOAD_MAX = 4096;

/** xsd_sockmsg_type. 23-26 are newer than Xen 4.17, whose xenstored answers them ENOSYS. */
export const MsgType = {
  CONTROL: 0,
  DIRECTORY: 1,
  READ: 2,
  GET_PERMS: 3,
  WATCH: 4,
  UNWATCH: 5,
  TRANSACTION_START: 6,
  TRANSACTION_END: 7,
  INTRODUCE: 8,
  RELEASE: 9,
  GET_DOMAIN_PATH: 10,
  WRITE: 11,
  MKDIR: 12,
  RM: 13,
  SET_PERMS: 14,
  WATCH_EVENT: 15,
  ERROR: 16,
  IS_DOMAIN_INTRODUCED: 17,
  RESUME: 18,
  SET_TARGET: 19,
  RESET_WATCHES: 21,
  DIRECTORY_PART: 22,
  GET_FEATURE: 23,
  SET_FEATURE: 24,
  GET_QUOTA: 25,
  SET_QUOTA: 26,
  /** "Guaranteed to remain an invalid type". */
  INVALID: 0xffff,
} as const;
export type MsgTypeName = keyof typeof MsgType;

const typeNames = new Map<number, MsgTypeName>(
  (Object.keys(MsgType) as MsgTypeName[]).map((k) => [MsgType[k], k]),
);
export const msgTypeName = (t: number): string => typeNames.get(t) ?? `type ${t}`;

/** xsd_errors[] in xs_wire.h order; an ERROR reply carries one of these names. */
export const ERROR_NAMES = [
  "EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO",
  "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM",
] as const;
export type XsErrorName = (typeof ERROR_NAMES)[number];

/** XENSTORE_SERVER_FEATURE_* bits, as GET_FEATURE / SET_FEATURE carry them. */
export const Feature = { RECONNECTION: 1, ERROR: 2, WATCHDEPTH: 4, DOMID_ANY: 8 } as const;

/** DOMID_SELF from xen.h: IS_DOMAIN_INTRODUCED answers T for it. */
export const DOMID_SELF = 0x7ff0;

export interface Message {
  type: number;
  reqId: number;
  txId: number;
  payload: Uint8Array;
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
  }
}

export function encodeMessage(m: Message): Uint8Array {
  if (m.payload.length > PAYLOAD_MAX) {
    throw new FrameError(`${msgTypeName(m.type)} payload of ${m.payload.length} bytes exceeds ${PAYLOAD_MAX}`);
  }
  const out = new Uint8Array(HEADER_SIZE + m.payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, m.type, true);
  v.setUint32(4, m.reqId >>> 0, true);
  v.setUint32(8, m.txId >>> 0, true);
  v.setUint32(12, m.payload.length, true);
  out.set(m.payload, HEADER_SIZE);
  return out;
}

/**
 * Reassembles whole messages from a byte stream: a read from /dev/xen/xenbus or a socket may hold
 * part of a message or several. A length over PAYLOAD_MAX is a protocol violation (FrameError).
 */
export class FrameReader {
  private buf = new Uint8Array(0);

  push(chunk: Uint8Array): Message[] {
    let joined = chunk;
    if (this.buf.length > 0) {
      joined = new Uint8Array(this.buf.length + chunk.length);
      joined.set(this.buf, 0);
      joined.set(chunk, this.buf.length);
    }
    const out: Message[] = [];
    let off = 0;
    while (joined.length - off >= HEADER_SIZE) {
      const v = new DataView(joined.buffer, joined.byteOffset + off, HEADER_SIZE);
      const len = v.getUint32(12, true);
      if (len > PAYLOAD_MAX) throw new FrameError(`frame declares ${len} payload bytes, over ${PAYLOAD_MAX}`);
      if (joined.length - off < HEADER_SIZE + len) break;
      out.push({
        type: v.getUint32(0, true),
        reqId: v.getUint32(4, true),
        txId: v.getUint32(8, true),
        payload: joined.slice(off + HEADER_SIZE, off + HEADER_SIZE + len),
      });
      off += HEADER_SIZE + len;
    }
    this.buf = joined.slice(off);
    return out;
  }

  get pending(): number {
    return this.buf.length;
  }
}
