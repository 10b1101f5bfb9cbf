// Where the stubdom's XenStore channel is: Xen's xenbus device, else (dev mode) the virtio-serial
// port named org.xen.xenstore. Without udev there is no /dev/virtio-ports/ symlink, so the port's
// name is read from sysfs.
import type { Sys } from "../runtime/sys.ts";

export const XENBUS_DEVICE = "/dev/xen/xenbus";
export const VIRTIO_PORT_NAME = "org.xen.xenstore";

export function findXenStoreDevice(sys: Sys): string | undefined {
  if (sys.exists(XENBUS_DEVICE)) return XENBUS_DEVICE;
  const classDir = "/sys/class/virtio-ports";
  if (!sys.exists(classDir)) return undefined;
  for (const port of sys.readdir(classDir)) {
    const nameFile = `${classDir}/${port}/name`;
    if (sys.exists(nameFile) && sys.readText(nameFile).trim() === VIRTIO_PORT_NAME) return `/dev/${port}`;
  }
  return undefined;
}
