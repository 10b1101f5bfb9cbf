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

/**
 * The Kconfig symbol of each module, for the minimal all-built-in kernel (kernel/config/): the
 * Debian kernel builds these `=m`, ours `=y`. A built-in xen-privcmd takes its parameter from the
 * kernel command line instead (`xen_privcmd.unrestricted=1`, set in kernel/config/10-xen.config).
 */
export const moduleSymbols: Readonly<Record<(typeof devModules)[number], string>> = {
  "xen-netfront": "CONFIG_XEN_NETDEV_FRONTEND",
  "xen-blkfront": "CONFIG_XEN_BLKDEV_FRONTEND",
  "xen-pcifront": "CONFIG_XEN_PCIDEV_FRONTEND",
  "xen-evtchn": "CONFIG_XEN_DEV_EVTCHN",
  "xen-gntdev": "CONFIG_XEN_GNTDEV",
  "xen-gntalloc": "CONFIG_XEN_GRANT_DEV_ALLOC",
  "xen-privcmd": "CONFIG_XEN_PRIVCMD",
  tun: "CONFIG_TUN",
  bridge: "CONFIG_BRIDGE",
  virtio_pci: "CONFIG_VIRTIO_PCI",
  virtio_console: "CONFIG_VIRTIO_CONSOLE",
  virtio_net: "CONFIG_VIRTIO_NET",
};
