// The kernel modules each image flavour loads (the Debian cloud kernel builds these as modules;
// XEN_PV and HVC_XEN are built in). Order here does not matter: loadOrder resolves dependencies.

/** What a stubdom needs on Xen: PV NIC/disk/PCI frontends, grant and event-channel devices, taps and bridges. */
export const xenModules = [
  "xen-netfront",
  "xen-blkfront",
  "xen-pcifront",
  "xen-evtchn",
  "xen-gntdev",
  "xen-gntalloc",
  "xen-privcmd",
  "tun",
  "bridge",
] as const;

/** Dev mode adds the virtio devices that stand in for Xen's consoles, XenStore channel and vif. */
export const devModules = [...xenModules, "virtio_pci", "virtio_console", "virtio_net"] as const;

/**
 * Module parameters. Debian's privcmd limits a domU to its target's memory; libxendevicemodel
 * probes with an invalid domid and QEMU then fails "failed to map ioreq server resources".
 */
export const moduleParams: Readonly<Record<string, string>> = { xen_privcmd: "unrestricted=1" };
