// One Xen release's share of its xen image: the device model (the lean build from Debian's source,
// or Debian's own binary), Xen's tools and libraries, and the trees they come from, obtained the
// way the release table says (qemu/xenReleases.ts): from this host's packages, or from a cached
// Debian root of the release's suite, which then also answers for every library and file.
import { hostBuildRoot } from "../buildkit/buildRoot.ts";
import { chrootBuildRoot, debianChroot, debianSources, type DebianChrootSpec } from "../buildkit/debianChroot.ts";
import type { Layer } from "../buildkit/debianPackages.ts";
import { BUSYBOX_PACKAGE } from "../rootfs/manifest.ts";
import { DEBIAN_QEMU_PACKAGE, debianQemu, debianXen, XEN_QEMU } from "./debianXen.ts";
import { BUILD_PACKAGES, buildLeanQemu, leanQemuSource } from "./leanQemu.ts";
import type { QemuSource } from "./qemuSource.ts";
import { FIRMWARE_PACKAGES, xenPackages, type XenRelease } from "./xenReleases.ts";

export const XEN_QEMU_CHOICES = ["lean", "debian"] as const;
export type XenQemuChoice = (typeof XEN_QEMU_CHOICES)[number];

export interface XenInputs {
  release: XenRelease;
  qemu: QemuSource;
  /** Trees stacked over `root`: unpacked .debs, the lean build's prefix. */
  layers: Layer[];
  /**
   * The Debian tree under the layers: "/" (this host) or the release's chroot. Libraries are
   * searched there after the layers, and its dpkg database owns what the image takes from it.
   */
  root: string;
  /** The release's Xen tools as the manifest names them: "Debian trixie xen-utils-4.20 4.20.4+...". */
  description: string;
}

/**
 * What a release's Debian root holds: the packages its image takes files from (Xen's, the ROMs,
 * busybox), and the lean build's tools or Debian's QEMU.
 */
export function chrootSpec(release: XenRelease, qemu: XenQemuChoice): DebianChrootSpec {
  return {
    suite: release.suite,
    sources: debianSources(release.suite),
    packages: [...xenPackages(release.release), ...FIRMWARE_PACKAGES, BUSYBOX_PACKAGE, ...(qemu === "lean" ? BUILD_PACKAGES : [DEBIAN_QEMU_PACKAGE])],
  };
}

/** "Debian <suite> xen-utils-<r> <version>": the package that names the release's tools. */
const describe = (release: XenRelease, versions: ReadonlyMap<string, string>): string => {
  const utils = `xen-utils-${release.release}`;
  return `Debian ${release.suite} ${utils} ${versions.get(utils) ?? "(no version)"}`;
};

async function fromHost(release: XenRelease, qemu: XenQemuChoice, log: (line: string) => void): Promise<XenInputs> {
  const root = hostBuildRoot();
  if (root.suite !== release.suite) {
    throw new Error(`Xen ${release.release} comes from this host's own Debian packages, which are ${root.suite}'s, not ${release.suite}'s`);
  }
  const xen = debianXen(release, log);
  return {
    release,
    qemu: qemu === "debian" ? xen.qemu : leanQemuSource(await buildLeanQemu(root, log), release, xen.layers),
    layers: xen.layers,
    root: "/",
    description: describe(release, new Map(xen.layers.map((l) => [l.package, l.version]))),
  };
}

async function fromChroot(release: XenRelease, qemu: XenQemuChoice, log: (line: string) => void): Promise<XenInputs> {
  const chroot = await debianChroot(chrootSpec(release, qemu), log);
  const debian = (): QemuSource =>
    debianQemu(release, `Debian ${release.suite} ${DEBIAN_QEMU_PACKAGE} ${chroot.versions.get(DEBIAN_QEMU_PACKAGE)}`, chroot.versions.get(DEBIAN_QEMU_PACKAGE) ?? "",[], `${chroot.dir}${XEN_QEMU}`);
  return {
    release,
    qemu: qemu === "debian" ? debian() : leanQemuSource(await buildLeanQemu(chrootBuildRoot(chroot), log), release, []),
    layers: [],
    root: chroot.dir,
    description: describe(release, chroot.versions),
  };
}

/** The release's device model, layers and root, made (or found in the cache) as its table entry says. */
export function xenInputs(release: XenRelease, qemu: XenQemuChoice, log: (line: string) => void = () => undefined): Promise<XenInputs> {
  return release.packagesFrom === "host" ? fromHost(release, qemu, log) : fromChroot(release, qemu, log);
}
