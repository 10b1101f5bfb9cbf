// From libxl's dm-argv to the argv the stubdom runs: the restore placeholder becomes an inherited
// fd, the save console becomes fdset 1, QMP monitors are added on sockets the init already
// listens on (so nobody waits for QEMU to create them), and the seccomp sandbox is on.

export const RESTORE_PLACEHOLDER = "$STUBDOM_RESTORE_INCOMING_ARG";
export const SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

/** Fd numbers as the QEMU child sees them. */
export interface QemuFds {
  initQmp: number;
  libxlQmp?: number;
  save?: number;
  restore?: number;
}

export class DmArgsError extends Error {}

const monitor = (id: string, fd: number): string[] => ["-chardev", `socket,id=${id},fd=${fd},server=on,wait=off`, "-mon", `chardev=${id},mode=control`];

export function translateDmArgv(argv: readonly string[], fds: QemuFds, sandbox: boolean): string[] {
  const out = argv.map((a) => {
    if (a !== RESTORE_PLACEHOLDER) return a;
    if (fds.restore === undefined) throw new DmArgsError("dm-argv asks to restore from the saved state, but the restore console (device/console/2, hvc2) does not exist");
    return `fd:${fds.restore}`;
  });
  if (fds.save !== undefined) out.push("-add-fd", `fd=${fds.save},set=1`);
  out.push(...monitor("stubdom-init-qmp", fds.initQmp));
  if (fds.libxlQmp !== undefined) out.push(...monitor("libxl-qmp", fds.libxlQmp));
  if (sandbox && !argv.includes("-sandbox")) out.push("-sandbox", SANDBOX);
  return out;
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
    if (!ifname) throw new DmArgsError(`-netdev ${argv[i + 1]} has no ifname=; the stubdom cannot bridge it`);
    const m = /^vif[0-9]+\.([0-9]+)-emu$/.exec(ifname);
    if (!m) throw new DmArgsError(`tap ${ifname} is not named vif<guest>.<devid>-emu as libxl names it`);
    taps.push({ id: opts.get("id") ?? "", ifname, devid: Number(m[1]) });
  });
  return taps;
}
