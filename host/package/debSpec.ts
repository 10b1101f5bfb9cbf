// What one Debian package of stubdom-init is, per Xen release, as data: its name, version,
// dependencies, and where its files go on a Debian host of that release.
import { XEN_RELEASE_TABLE, type XenReleaseName } from "../../qemu/xenReleases.ts";

export const PACKAGE_NAME = "stubdom-init";
export const MAINTAINER = "stubdom-init developers <stubdom-init@localhost>";

/** Where the packaged stubdomctl bundle lives; /usr/bin/stubdomctl starts it with Debian's node. */
export const LIB_DIR = "/usr/lib/stubdom-init";
export const BUNDLE_PATH = `${LIB_DIR}/stubdomctl.cjs`;
export const NODE = "/usr/bin/node";
/** Debian 12 ships nodejs 18, Debian 13 nodejs 20: the bundle targets the older one. */
export const NODE_TARGET = "node18";

/** The path libxl runs as the dom0 end of a Linux stubdom's QMP channel (libxl_dm.c, 4.17 to 4.20). */
export const LIBXL_VCHAN_PROXY = "/usr/bin/vchan-socket-proxy";

/**
 * libxl's firmware directory (libxl__xenfirmwaredir_path(), where hvmloader is): libxl looks there
 * for qemu-stubdom-linux-kernel and qemu-stubdom-linux-rootfs when xl.cfg names neither. Debian
 * builds libxl with XENFIRMWAREDIR=/usr/lib/xen-<release>/boot: the string is in Debian 12's
 * libxenlight.so.4.17.0 and Debian 13's libxenlight.so.4.20.0, and xen-utils-<release> puts
 * hvmloader there in both.
 */
export const firmwareDir = (release: XenReleaseName): string => `/usr/lib/xen-${release}/boot`;

/** What buildDebs takes as the version: an upstream version, optionally with a Debian revision (`0.1.0`, `0.1.0-2`). */
export const VERSION_RE = /^[0-9][A-Za-z0-9.+~]*(?:-[A-Za-z0-9.+~]+)?$/;

/**
 * The package's version for one release: the upstream version, the Debian revision (1 unless
 * given) and the release, as Debian marks a build for one distribution (+deb12u1):
 * `0.1.0` for Xen 4.17 is `0.1.0-1+xen4.17`, `0.1.0-2` is `0.1.0-2+xen4.17`. The revision makes it
 * a non-native package, which is what it is: stubdom-init's own release, packaged. A bad version
 * is a sentence naming it.
 */
export function debVersion(version: string, release: XenReleaseName): string {
  if (!VERSION_RE.test(version)) {
    throw new Error(`package version ${JSON.stringify(version)} is not UPSTREAM or UPSTREAM-REVISION (a digit, then letters, digits, ".", "+" or "~")`);
  }
  return `${version.includes("-") ? version : `${version}-1`}+xen${release}`;
}

export interface DebSpec {
  release: XenReleaseName;
  /** The Debian suite that ships this Xen release (bookworm, trixie). */
  suite: string;
  /** Debian's major release, for sentences ("Debian 12"). */
  debian: string;
  version: string;
  depends: string[];
  firmwareDir: string;
  /**
   * The target of the link the package's maintainer scripts keep at LIBXL_VCHAN_PROXY, for a
   * release whose Debian packages may lack it: xen-utils-4.17 installs the program under
   * /usr/lib/xen-4.17/bin only, and not every Debian 12 xen-utils-common links it into /usr/bin
   * (today's in bookworm, 4.17.5+72, and bookworm-security, 4.17.7+13, do: to their
   * xen-utils-wrapper). Debian 13's xen-utils-common ships that link, so 4.20 has no scripts.
   */
  vchanLink?: string;
}

const DEBIAN_RELEASE: Record<string, string> = { bookworm: "Debian 12", trixie: "Debian 13" };

export function debSpec(release: XenReleaseName, upstream: string): DebSpec {
  const suite = XEN_RELEASE_TABLE[release].suite;
  return {
    release,
    suite,
    debian: DEBIAN_RELEASE[suite] ?? `Debian ${suite}`,
    version: debVersion(upstream, release),
    depends: [`xen-utils-${release}`, "nodejs (>= 18)"],
    firmwareDir: firmwareDir(release),
    ...(release === "4.17" ? { vchanLink: `/usr/lib/xen-${release}/bin/vchan-socket-proxy` } : {}),
  };
}

/** Debian's file name for it: stubdom-init_0.1.0+xen4.17_amd64.deb. */
export const debFileName = (spec: DebSpec): string => `${PACKAGE_NAME}_${spec.version}_amd64.deb`;
