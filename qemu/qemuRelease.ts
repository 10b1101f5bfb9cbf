// QEMU's upstream release, read from a Debian version of it, and what a release has reached.

/** The upstream major.minor of a Debian version of QEMU ("1:10.0.13+ds-0+deb13u1" -> [10, 0]). */
export function upstreamRelease(debianVersion: string): [number, number] {
  const m = /^(?:\d+:)?(\d+)\.(\d+)/.exec(debianVersion);
  if (!m) throw new Error(`qemu-lean: cannot read QEMU's release from the Debian version ${debianVersion}`);
  return [Number(m[1]), Number(m[2])];
}

/** Whether the Debian version `debianVersion` is of upstream release `since` or later. */
export function reached(debianVersion: string, since: readonly [number, number]): boolean {
  const [major, minor] = upstreamRelease(debianVersion);
  return major > since[0] || (major === since[0] && minor >= since[1]);
}

/**
 * Inside a stubdom, QEMU 9.1 and later (upstream 196fb962ba, "xen: fix stubdom PCI addr") look up
 * the address pcifront gave a passed-through device in pciback's XenStore keys; older ones open
 * sysfs under the host's address (image.json "pcifrontLookup").
 */
export const findsPcifrontAddress = (debianVersion: string): boolean => reached(debianVersion, [9, 1]);
