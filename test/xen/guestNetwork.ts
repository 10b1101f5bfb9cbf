// What dom0 serves the Linux guest on two bridges of its own (xenbr0 and xenbr2, the guest's NICs
// with devids 0 and 2): DHCP with a fixed lease per MAC and TFTP for iPXE's boot script (dnsmasq),
// HTTP for the kernel, the initramfs, a payload to download and a CGI that takes an upload
// (busybox httpd). Files come from the host's staging share; what dom0 serves is in /tmp/www.
import type { Dom0 } from "./dom0.ts";
import { q } from "./dom0.ts";
import { GUEST_CMDLINE } from "./linuxGuest.ts";

export interface GuestLink {
  devid: number;
  bridge: string;
  /** dom0's address on the bridge. */
  host: string;
  /** The lease the guest's NIC gets. */
  guest: string;
  mac: string;
}

export const GUEST_LINKS: readonly GuestLink[] = [
  { devid: 0, bridge: "xenbr0", host: "10.99.0.1", guest: "10.99.0.10", mac: "00:16:3e:00:00:10" },
  { devid: 2, bridge: "xenbr2", host: "10.99.2.1", guest: "10.99.2.10", mac: "00:16:3e:00:00:12" },
];
/** The second guest (the control) gets leases of its own on the same bridges. */
export const CONTROL_LINKS: readonly GuestLink[] = GUEST_LINKS.map((l) => ({ ...l, guest: l.guest.replace(/\.10$/, ".20"), mac: l.mac.replace(/:1(\d)$/, ":2$1") }));

export const PAYLOAD_BYTES = 2 << 20;

/** iPXE's script: the kernel and the initramfs over HTTP from dom0 on the first bridge. */
const bootScript = (): string =>
  ["#!ipxe", `kernel http://${GUEST_LINKS[0]!.host}/vmlinuz ${GUEST_CMDLINE}`, `initrd http://${GUEST_LINKS[0]!.host}/initrd.gz`, "boot", ""].join("\n");

/** The upload CGI: the request body into /tmp/www/uploads/<name>, its sha256 back. */
const uploadCgi = [
  "#!/bin/sh",
  'name=$(echo "$QUERY_STRING" | tr -cd "a-z0-9-")',
  'head -c "$CONTENT_LENGTH" > "/tmp/www/uploads/$name"',
  'printf "Content-Type: text/plain\\r\\n\\r\\n"',
  'sha256sum "/tmp/www/uploads/$name" | cut -d" " -f1',
  "",
].join("\n");

/** Bridges, dnsmasq and httpd, once per bed. `share` holds vmlinuz and initrd.gz. */
export async function serveGuests(dom0: Dom0, share: string): Promise<string | undefined> {
  const links = [...GUEST_LINKS, ...CONTROL_LINKS];
  const hosts = links.map((l) => `--dhcp-host=${l.mac},${l.guest}`).join(" ");
  const ranges = GUEST_LINKS.map((l) => `--dhcp-range=${l.host.replace(/\.1$/, ".100")},${l.host.replace(/\.1$/, ".200")},1h`).join(" ");
  const r = await dom0.sh(
    [
      "set -e",
      ...GUEST_LINKS.map((l) => `ip link add ${l.bridge} type bridge && ip addr add ${l.host}/24 dev ${l.bridge} && ip link set ${l.bridge} up`),
      "mkdir -p /tmp/www/cgi-bin /tmp/www/uploads",
      `cp ${q(`${share}/vmlinuz`)} ${q(`${share}/initrd.gz`)} /tmp/www/`,
      `printf '%s' ${q(bootScript())} > /tmp/www/boot.ipxe`,
      `printf '%s' ${q(uploadCgi)} > /tmp/www/cgi-bin/upload && chmod 755 /tmp/www/cgi-bin/upload`,
      `head -c ${PAYLOAD_BYTES} /dev/urandom > /tmp/www/payload && sha256sum /tmp/www/payload | cut -d' ' -f1 > /tmp/www/payload.sha256`,
      `dnsmasq --port=0 --bind-interfaces ${GUEST_LINKS.map((l) => `--interface=${l.bridge}`).join(" ")} ${ranges} ${hosts} --dhcp-boot=boot.ipxe --enable-tftp --tftp-root=/tmp/www --log-dhcp --log-facility=/tmp/dnsmasq.log --pid-file=/run/dnsmasq.pid`,
      "busybox httpd -h /tmp/www -p 80",
      "echo served",
    ].join("\n"),
    60,
  );
  return r.out.includes("served") ? undefined : r.out.trim();
}
