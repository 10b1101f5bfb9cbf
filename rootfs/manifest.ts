// What goes into a stubdom image, as data: each item says where it lands in the image, where it
// comes from, and which purpose group it is counted under in the size report.
import type { ImageInfo } from "./imageInfo.ts";
import { layeredFs, type LayeredFs } from "./closureFs.ts";
import type { Layer } from "../buildkit/debianPackages.ts";

/** Purpose groups of the size report. */
export const GROUPS = [
  "qemu", "libraries", "firmware", "kernel-modules", "busybox", "runtime+init", "xen-tools", "dev-qemu", "demo-guest", "config",
] as const;
export type Group = (typeof GROUPS)[number];

/** The package of files the build itself makes (the runtime, the init bundle, config). */
export const BUILD = "build";

export type ManifestItem =
  /**
   * A host file copied in. `elf` ones also pull in their shared-library closure; their image path must
   * lead, through the manifest's layers, to this same file. `package` overrides the provenance lookup.
   */
  | { kind: "host"; image: string; host: string; group: Group; mode?: number; elf?: boolean; package?: string }
  /** Bytes made by the build. */
  | { kind: "data"; image: string; data: Uint8Array; group: Group; mode?: number }
  | { kind: "symlink"; image: string; target: string; group: Group }
  | { kind: "dir"; image: string; mode: number }
  | { kind: "char"; image: string; mode: number; major: number; minor: number };

export interface Manifest {
  flavour: string;
  /** Written to /etc/stubdom/image.json; the init reads `qemu` to know what to exec. */
  imageInfo: ImageInfo;
  items: ManifestItem[];
  /**
   * Host trees stacked over `root` (first wins) where libraries are searched and whose files have a
   * known package: unpacked .debs, the kernel's modules, a build's prefix.
   */
  layers: Layer[];
  /**
   * The Debian tree under the layers: "/" (this host) or a chroot of another Debian release. It is
   * searched last, and its own dpkg database names the package of each file taken from it.
   */
  root: string;
  /** What each input is, for the manifest file: e.g. qemu -> "Debian qemu-system-xen 1:7.2...". */
  sources: Record<string, string>;
}

/** The stacked trees an image's files and libraries come from, over its Debian root (this host's own / by default). */
export const manifestFs = (layers: readonly Layer[], root = "/"): LayeredFs => layeredFs([...layers.map((l) => l.dir), root]);

/** The directories and device nodes every image has: the kernel opens dev/console before /init. */
export const baseItems: readonly ManifestItem[] = [
  { kind: "char", image: "dev/console", mode: 0o600, major: 5, minor: 1 },
  { kind: "char", image: "dev/null", mode: 0o666, major: 1, minor: 3 },
  ...["proc", "sys", "dev", "tmp", "run", "etc", "bin", "sbin", "usr/bin"].map((d): ManifestItem => ({ kind: "dir", image: d, mode: 0o755 })),
];

/** busybox applets for a person in the debug shell (`stubdomctl console`), and its shell. The init itself runs none. */
export const BUSYBOX_APPLETS = [
  "sh", "ls", "cat", "ps", "ip", "brctl", "udhcpd", "dmesg", "mount", "kill", "free", "stty",
  "grep", "head", "tail", "less", "sleep", "tty", "hostname", "uptime", "top", "df", "du", "find", "vi",
] as const;

/** Debian's static busybox, which every image takes from its Debian root. */
export const BUSYBOX_PACKAGE = "busybox-static";
const BUSYBOX = "/bin/busybox";

/** busybox, found through `fs` (an image's trees), and its applets. */
export function busyboxItems(fs: LayeredFs): ManifestItem[] {
  if (!fs.exists(BUSYBOX)) throw new Error(`${BUSYBOX} is not in the image's trees: install ${BUSYBOX_PACKAGE}`);
  return [
    { kind: "host", image: BUSYBOX.slice(1), host: fs.hostPath(fs.realpath(BUSYBOX)), group: "busybox", mode: 0o755, elf: true },
    ...BUSYBOX_APPLETS.map((a): ManifestItem => ({ kind: "symlink", image: `bin/${a}`, target: "busybox", group: "busybox" })),
  ];
}
