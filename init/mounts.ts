// The filesystems PID 1 mounts before anything else, as data.
import type { Sys } from "../runtime/sys.ts";

/** mount(2)'s flags the init uses (linux/mount.h). */
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;

export interface MountSpec {
  source: string;
  target: string;
  fstype: string;
  flags: number;
  data: string;
}

export const bootMounts: readonly MountSpec[] = [
  { source: "proc", target: "/proc", fstype: "proc", flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: "" },
  { source: "sysfs", target: "/sys", fstype: "sysfs", flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: "" },
  { source: "devtmpfs", target: "/dev", fstype: "devtmpfs", flags: MS_NOSUID, data: "mode=0755" },
  { source: "devpts", target: "/dev/pts", fstype: "devpts", flags: MS_NOSUID | MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620" },
  { source: "tmpfs", target: "/tmp", fstype: "tmpfs", flags: MS_NOSUID | MS_NODEV, data: "size=4m,mode=1777" },
  // /run holds the sockets and the device state of a save (deviceState.ts): tens of kB, more with big devices.
  { source: "tmpfs", target: "/run", fstype: "tmpfs", flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: "size=16m,mode=0755" },
];

/** Mounts each entry; a target that is already mounted (EBUSY) counts as done. */
export function mountAll(sys: Sys, specs: readonly MountSpec[] = bootMounts): void {
  for (const m of specs) {
    sys.mkdir(m.target);
    try {
      sys.mount(m.source, m.target, m.fstype, m.flags, m.data);
    } catch (e) {
      if ((e as { code?: string }).code !== "EBUSY") throw e;
    }
  }
}
