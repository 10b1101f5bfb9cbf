// The xl.cfg of the Xen tier's guest: an HVM guest whose device model is our stubdom. Only the
// stubdomain_* lines are ours; the rest is the smallest HVM guest the bed runs (a raw disk served
// by the dom0 QEMU that libxl starts for the stubdom anyway, the serial port into a file, no VGA).

export interface GuestSpec {
  name: string;
  /** Paths as dom0 sees them. */
  disk: string;
  serialFile: string;
  /** Our images; the installed package's (libxl's firmware directory) when not given. */
  stubdomKernel?: string;
  stubdomRootfs?: string;
  /** MiB; undefined leaves libxl's default (128 MiB in 4.17). */
  stubdomMemory?: number;
  stubdomCmdline?: string;
  /** The control: the device model runs in dom0 (no stubdomain lines at all). */
  dom0Dm?: boolean;
}

/** The lines a Xen admin adds to an HVM guest's config to use our stubdom. */
export function stubdomLines(s: Pick<GuestSpec, "stubdomKernel" | "stubdomRootfs" | "stubdomMemory" | "stubdomCmdline">): string[] {
  return [
    `device_model_version = "qemu-xen"`,
    `device_model_stubdomain_override = 1`,
    ...(s.stubdomKernel === undefined ? [] : [`stubdomain_kernel = "${s.stubdomKernel}"`]),
    ...(s.stubdomRootfs === undefined ? [] : [`stubdomain_ramdisk = "${s.stubdomRootfs}"`]),
    ...(s.stubdomCmdline === undefined ? [] : [`stubdomain_cmdline = "${s.stubdomCmdline}"`]),
    ...(s.stubdomMemory === undefined ? [] : [`stubdomain_memory = ${s.stubdomMemory}`]),
  ];
}

/** The Linux guest's own lines (test:xen and the seeds' bench): iPXE boot, ttyS0 a pty, ttyS1 a file, no screen. */
export function linuxGuestLines(name: string): string[] {
  return [
    `serial = [ "pty", "file:/tmp/${name}-serial.log" ]`,
    `boot = "n"`,
    `vga = "none"`,
    `vnc = 0`,
    `on_poweroff = "destroy"`,
    `on_crash = "destroy"`,
    `device_model_version = "qemu-xen"`,
  ];
}

export function xlConfig(s: GuestSpec): string {
  return [
    `name = "${s.name}"`,
    `type = "hvm"`,
    `memory = 64`,
    `vcpus = 1`,
    `disk = [ "format=raw,vdev=hda,access=rw,backendtype=qdisk,target=${s.disk}" ]`,
    `serial = "file:${s.serialFile}"`,
    `vga = "none"`,
    `vnc = 0`,
    `sdl = 0`,
    `boot = "c"`,
    `on_poweroff = "destroy"`,
    `on_crash = "destroy"`,
    ...(s.dom0Dm ? [`device_model_version = "qemu-xen"`] : stubdomLines(s)),
    "",
  ].join("\n");
}
