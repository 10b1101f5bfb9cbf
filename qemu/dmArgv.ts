// QEMU's argv, from libxl's keys to the exec. libxl writes one argument per key,
// /vm/<uuid>/image/dm-argv/001, 002, ... (%03d, so past 999 the keys grow to 1000, 1001): the keys
// are put in numeric order, never lexical. The taps in it say which NICs to bridge. Then the
// restore placeholder becomes an inherited fd, the save console becomes fdset 1, QMP monitors are
// added on sockets the init already listens on (so nobody waits for QEMU to create them), and the
// seccomp sandbox is on. A restarted QEMU runs without the restore (it cannot read the stream again).

export const RESTORE_PLACEHOLDER = "$STUBDOM_RESTORE_INCOMING_ARG";
export const SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

/** Fd numbers as the QEMU child sees them. */
export interface QemuFds {
  initQmp: number;
  libxlQmp?: number;
  save?: number;
  restore?: number;
}

export class DmArgvError extends Error {}

/**
 * The argument keys in numeric order; the numbering must run 1..N with one key per number, no gap
 * and no stray key.
 */
export function orderDmArgvKeys(keys: readonly string[]): string[] {
  const stray = keys.filter((k) => !/^[0-9]{1,9}$/.test(k));
  if (stray.length > 0) throw new DmArgvError(`dm-argv has keys that are not argument numbers: ${stray.slice(0, 3).join(", ")}${stray.length > 3 ? ` (+${stray.length - 3} more)` : ""}`);
  if (keys.length === 0) throw new DmArgvError("dm-argv is empty");
  const sorted = [...keys].sort((a, b) => Number(a) - Number(b) || a.length - b.length);
  for (let i = 1; i < sorted.length; i++) {
    if (Number(sorted[i]) === Number(sorted[i - 1])) throw new DmArgvError(`dm-argv has two keys for argument ${Number(sorted[i])}: ${sorted[i - 1]} and ${sorted[i]}`);
  }
  sorted.forEach((k, i) => {
    if (Number(k) !== i + 1) throw new DmArgvError(`dm-argv numbering has a gap: expected argument ${i + 1}, found key ${k}`);
  });
  return sorted;
}

const monitor = (id: string, fd: number): string[] => ["-chardev", `socket,id=${id},fd=${fd},server=on,wait=off`, "-mon", `chardev=${id},mode=control`];

export function translateDmArgv(argv: readonly string[], fds: QemuFds, sandbox: boolean): string[] {
  const out = argv.map((a) => {
    if (a !== RESTORE_PLACEHOLDER) return a;
    if (fds.restore === undefined) throw new DmArgvError("dm-argv asks to restore from the saved state, but the restore console (device/console/2, hvc2) does not exist");
    return `fd:${fds.restore}`;
  });
  if (fds.save !== undefined) out.push("-add-fd", `fd=${fds.save},set=1`);
  out.push(...monitor("stubdom-init-qmp", fds.initQmp));
  if (fds.libxlQmp !== undefined) out.push(...monitor("libxl-qmp", fds.libxlQmp));
  if (sandbox && !argv.includes("-sandbox")) out.push("-sandbox", SANDBOX);
  return out;
}

/** `-incoming <placeholder>` restores once; a restarted QEMU cannot read the stream again. */
export function withoutIncoming(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "-incoming" && argv[i + 1] === RESTORE_PLACEHOLDER) i++;
    else out.push(argv[i]);
  }
  return out;
}

/**
 * QEMU's VNC server for the display bridge, on a unix socket. libxl's `-k <keymap>` (xl's `keymap=`)
 * goes: the bridge sends scancodes (QEMU's extended key event), which no keymap translates, and the
 * image carries only the en-us keymap the VNC server loads when none is named.
 */
export function withBridgeVnc(argv: readonly string[], socket: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "-k") i++;
    else out.push(argv[i]!);
  }
  return [...out, "-vnc", `unix:${socket}`];
}

/**
 * A CD drive's disc as libxl gave it at boot (`-drive if=none,readonly=on,id=ide-N,file=/dev/xvdX,
 * format=...`) may be gone when QEMU starts again after `xl cd-eject`: such a drive starts empty
 * (no file=, no format=) instead of QEMU refusing to start. `exists` says whether a path is there.
 */
export function withoutMissingDiscs(argv: readonly string[], exists: (path: string) => boolean): string[] {
  return argv.map((arg, i) => {
    if (argv[i - 1] !== "-drive" || !/(^|,)readonly=on(,|$)/.test(arg) || !/(^|,)id=ide-\d+(,|$)/.test(arg)) return arg;
    const file = /(?:^|,)file=([^,]*)/.exec(arg)?.[1];
    if (file === undefined || exists(file)) return arg;
    return arg.split(",").filter((o) => !o.startsWith("file=") && !o.startsWith("format=")).join(",");
  });
}

export interface TapNetdev {
  id: string;
  ifname: string;
  /** The vif devid, from libxl's `vif<guest>.<devid>-emu` name. */
  devid: number;
}

/** Splits a QEMU option string `a,b=c,d=e` into key/value pairs (`,,` is a literal comma). */
export function parseOptionList(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.replace(/,,/g, "\u0000").split(",")) {
    const eq = part.indexOf("=");
    const restore = (x: string): string => x.replace(/\u0000/g, ",");
    if (eq < 0) out.set("", restore(part));
    else out.set(part.slice(0, eq), restore(part.slice(eq + 1)));
  }
  return out;
}

/** Every `-netdev tap,...,ifname=...` in the argv. */
export function tapNetdevs(argv: readonly string[]): TapNetdev[] {
  const taps: TapNetdev[] = [];
  argv.forEach((a, i) => {
    if (a !== "-netdev" || i + 1 >= argv.length) return;
    const opts = parseOptionList(argv[i + 1]);
    const type = opts.get("type") ?? opts.get("");
    if (type !== "tap") return;
    const ifname = opts.get("ifname");
    if (!ifname) throw new DmArgvError(`-netdev ${argv[i + 1]} has no ifname=; the stubdom cannot bridge it`);
    const m = /^vif[0-9]+\.([0-9]+)-emu$/.exec(ifname);
    if (!m) throw new DmArgvError(`tap ${ifname} is not named vif<guest>.<devid>-emu as libxl names it`);
    taps.push({ id: opts.get("id") ?? "", ifname, devid: Number(m[1]) });
  });
  return taps;
}
