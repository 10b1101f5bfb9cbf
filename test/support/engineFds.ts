// What a file descriptor of the engine world points at: an endpoint shared by reference between
// PID 1 and the children that inherit it (the last reference closes it). Reads never block: an
// endpoint with nothing to give says EAGAIN, and the event loop only calls a read handler when the
// endpoint is readable.
import type { Transport } from "../../runtime/xenstore/client.ts";
import { bytesOf, WorldError, type FakeFs } from "./engineFs.ts";

export interface Endpoint {
  readonly label: string;
  /** Up to `max` bytes; empty = end of file; throws EAGAIN when nothing is there yet. */
  read(max: number): Uint8Array;
  readable(): boolean;
  write(bytes: Uint8Array): number;
  /** The last reference is gone. */
  release(): void;
}

const again = (label: string): WorldError => new WorldError("EAGAIN", `${label}: nothing to read`);

function take(inbox: Uint8Array[], max: number): Uint8Array {
  const out: number[] = [];
  while (inbox.length > 0 && out.length < max) {
    const head = inbox[0];
    const n = Math.min(head.length, max - out.length);
    for (let i = 0; i < n; i++) out.push(head[i]);
    if (n === head.length) inbox.shift();
    else inbox[0] = head.subarray(n);
  }
  return Uint8Array.from(out);
}

/** A shared endpoint with a reference count. */
export class Ref {
  private refs = 1;
  constructor(readonly endpoint: Endpoint) {}
  dup(): Ref {
    this.refs++;
    return this;
  }
  drop(): void {
    if (--this.refs === 0) this.endpoint.release();
  }
}

export class FileEndpoint implements Endpoint {
  private offset = 0;
  constructor(
    private readonly fs: FakeFs,
    readonly label: string,
  ) {}
  private data(): Uint8Array {
    const n = this.fs.need(this.label);
    if (n.kind !== "file") throw new WorldError("EISDIR", `${this.label} is not a file`);
    return n.data;
  }
  read(max: number): Uint8Array {
    const d = this.data();
    const out = d.slice(this.offset, this.offset + max);
    this.offset += out.length;
    return out;
  }
  readable = (): boolean => true;
  write(bytes: Uint8Array): number {
    const d = this.data();
    const next = new Uint8Array(Math.max(d.length, this.offset + bytes.length));
    next.set(d);
    next.set(bytes, this.offset);
    this.offset += bytes.length;
    this.fs.put(this.label, { kind: "file", data: next });
    return bytes.length;
  }
  /** ftruncate(0) and lseek(0). */
  truncate(): void {
    this.fs.put(this.label, { kind: "file", data: new Uint8Array(0) });
    this.offset = 0;
  }
  release(): void {}
}

export class NullEndpoint implements Endpoint {
  readonly label = "/dev/null";
  read = (): Uint8Array => new Uint8Array(0);
  readable = (): boolean => true;
  write = (bytes: Uint8Array): number => bytes.length;
  release(): void {}
}

/** A console: what is written is kept as text; nothing ever arrives to read. */
export class TtyEndpoint implements Endpoint {
  raw = false;
  private text = "";
  constructor(readonly label: string) {}
  read(): Uint8Array {
    throw again(this.label);
  }
  readable = (): boolean => false;
  write(bytes: Uint8Array): number {
    this.text += new TextDecoder().decode(bytes);
    return bytes.length;
  }
  get output(): string {
    return this.text;
  }
  release(): void {}
}

/** One end of a connected stream socket. The host side (a fake program) listens with onData. */
export class SocketEnd implements Endpoint {
  private readonly inbox: Uint8Array[] = [];
  private peer: SocketEnd | undefined;
  private peerClosed = false;
  private closed = false;
  private dataCb: ((bytes: Uint8Array) => void) | undefined;
  private closeCb: (() => void) | undefined;

  private constructor(readonly label: string) {}

  static pair(label: string): [SocketEnd, SocketEnd] {
    const a = new SocketEnd(`${label} (client)`);
    const b = new SocketEnd(`${label} (server)`);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  /** Host side: bytes as they arrive, instead of queueing them for read(). */
  onData(cb: (bytes: Uint8Array) => void, onClose?: () => void): void {
    this.dataCb = cb;
    this.closeCb = onClose;
    for (const b of this.inbox.splice(0)) cb(b);
    if (this.peerClosed) onClose?.();
  }

  send(text: string | Uint8Array): void {
    this.write(bytesOf(text));
  }

  private deliver(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.dataCb) this.dataCb(bytes);
    else this.inbox.push(bytes.slice());
  }

  read(max: number): Uint8Array {
    if (this.inbox.length > 0) return take(this.inbox, max);
    if (this.peerClosed) return new Uint8Array(0);
    throw again(this.label);
  }

  readable = (): boolean => this.inbox.length > 0 || this.peerClosed;

  write(bytes: Uint8Array): number {
    if (this.closed || this.peerClosed) throw new WorldError("EPIPE", `${this.label}: the other end is closed`);
    this.peer?.deliver(bytes);
    return bytes.length;
  }

  release(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.peer) {
      this.peer.peerClosed = true;
      this.peer.closeCb?.();
    }
  }
}

/** One end of a pipe: the read end gets what the write end was given. */
export class PipeEnd implements Endpoint {
  private readonly inbox: Uint8Array[] = [];
  private peer: PipeEnd | undefined;
  private writerGone = false;

  private constructor(
    readonly label: string,
    private readonly writes: boolean,
  ) {}

  /** [read end, write end]. */
  static pair(label: string): [PipeEnd, PipeEnd] {
    const r = new PipeEnd(`${label} (read end)`, false);
    const w = new PipeEnd(`${label} (write end)`, true);
    r.peer = w;
    w.peer = r;
    return [r, w];
  }

  /** Everything written so far, as text (for tests). */
  get text(): string {
    return this.inbox.map((b) => new TextDecoder().decode(b)).join("");
  }

  read(max: number): Uint8Array {
    if (this.writes) throw new WorldError("EBADF", `${this.label} is not readable`);
    if (this.inbox.length > 0) return take(this.inbox, max);
    if (this.writerGone) return new Uint8Array(0);
    throw again(this.label);
  }

  readable = (): boolean => !this.writes && (this.inbox.length > 0 || this.writerGone);

  write(bytes: Uint8Array): number {
    if (!this.writes) throw new WorldError("EBADF", `${this.label} is not writable`);
    this.peer?.inbox.push(bytes.slice());
    return bytes.length;
  }

  release(): void {
    if (this.writes && this.peer) this.peer.writerGone = true;
  }
}

/** A listening unix socket; whoever holds it (a fake program) takes connections with onConnection. */
export class ListenerEndpoint implements Endpoint {
  private readonly backlog: SocketEnd[] = [];
  private acceptor: ((end: SocketEnd) => void) | undefined;
  closed = false;
  constructor(
    readonly label: string,
    private readonly onRelease: () => void,
  ) {}
  connect(): SocketEnd {
    if (this.closed) throw new WorldError("ECONNREFUSED", `${this.label}: nobody listens`);
    const [client, server] = SocketEnd.pair(this.label);
    if (this.acceptor) this.acceptor(server);
    else this.backlog.push(server);
    return client;
  }
  onConnection(cb: (end: SocketEnd) => void): void {
    this.acceptor = cb;
    for (const s of this.backlog.splice(0)) cb(s);
  }
  read(): Uint8Array {
    throw again(this.label);
  }
  readable = (): boolean => false;
  write(): number {
    throw new WorldError("ENOTCONN", `${this.label} is a listening socket`);
  }
  release(): void {
    this.closed = true;
    for (const s of this.backlog.splice(0)) s.release();
    this.onRelease();
  }
}

/** /dev/xen/xenbus (or the dev-mode virtio port): each write is one whole message to xenstored. */
export class XenbusEndpoint implements Endpoint {
  private readonly inbox: Uint8Array[] = [];
  private closedReason: string | undefined;
  constructor(
    readonly label: string,
    private readonly transport: Transport,
  ) {
    transport.onData((bytes) => void this.inbox.push(bytes.slice()));
    transport.onClose((reason) => (this.closedReason = reason));
  }
  read(max: number): Uint8Array {
    if (this.inbox.length > 0) return take(this.inbox, max);
    if (this.closedReason !== undefined) return new Uint8Array(0);
    throw again(this.label);
  }
  readable = (): boolean => this.inbox.length > 0 || this.closedReason !== undefined;
  write(bytes: Uint8Array): number {
    if (this.closedReason !== undefined) throw new WorldError("EIO", `${this.label}: ${this.closedReason}`);
    this.transport.write(bytes.slice());
    return bytes.length;
  }
  release(): void {
    if (this.closedReason === undefined) this.transport.close();
  }
}
