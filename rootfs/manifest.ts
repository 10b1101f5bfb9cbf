// What goes into a stubdom image, as data: each item says where it lands in the image, where it
// comes from, and which purpose group it is counted under in the size report.

export type Group = "runtime+init" | "busybox" | "qemu" | "qemu-data" | "libraries" | "kernel-modules" | "config" | "demo-guest";

export type ManifestItem =
  /** A host file copied in; `elf` ones also pull in their shared-library closure. */
  | { kind: "host"; image: string; host: string; group: Group; mode?: number; elf?: boolean }
  /** Bytes made by the build. */
  | { kind: "data"; image: string; data: Uint8Array; group: Group; mode?: number }
  | { kind: "symlink"; image: string; target: string; group: Group }
  | { kind: "dir"; image: string; mode: number }
  | { kind: "char"; image: string; mode: number; major: number; minor: number };

/** The directories and device nodes every image has: the kernel opens dev/console before /init. */
export const baseItems: readonly ManifestItem[] = [
  { kind: "char", image: "dev/console", mode: 0o600, major: 5, minor: 1 },
  { kind: "char", image: "dev/null", mode: 0o666, major: 1, minor: 3 },
  ...["proc", "sys", "dev", "tmp", "run", "etc", "bin", "sbin", "usr/bin"].map((d): ManifestItem => ({ kind: "dir", image: d, mode: 0o755 })),
];

/** busybox applets for the init's helpers and for a person debugging on the console. */
export const BUSYBOX_APPLETS = ["sh", "ls", "cat", "ps", "ip", "brctl", "udhcpd", "dmesg", "mount", "kill", "free", "stty"] as const;

export function busyboxItems(host = "/bin/busybox"): ManifestItem[] {
  return [
    { kind: "host", image: "bin/busybox", host, group: "busybox", mode: 0o755 },
    ...BUSYBOX_APPLETS.map((a): ManifestItem => ({ kind: "symlink", image: `bin/${a}`, target: "busybox", group: "busybox" })),
  ];
}
