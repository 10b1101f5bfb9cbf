// The passthrough bed's e1000 (bedVm.ts PASSTHROUGH_DEVICES.nic) given to the Linux guest of the
// real-guest checks, with the device model in dom0 (the control) and in our stubdom: the guest boots
// over its emulated NIC from dom0 as in linuxGuestRun.ts, and its own init takes a DHCP lease on every
// NIC; a lease from QEMU's user-mode network, which only the passed-through NIC reaches, shows its
// driver bound and packets moving both ways through the IOMMU.
import { seconds, type Checks } from "./checks.ts";
import type { Dom0 } from "./dom0.ts";
import { CONTROL_LINKS, GUEST_LINKS, serveGuests } from "./guestNetwork.ts";
import { PASSTHROUGH_DEVICES, PASSTHROUGH_NIC_LEASE } from "./bedVm.ts";
import { bootSplit, bootSplitText, linuxGuestConfig, type LinuxGuestFiles } from "./linuxGuestRun.ts";
import { createPassthroughGuest, destroyAndGiveBack } from "./pciGuestEnd.ts";
import type { PciFigures } from "./pciRun.ts";

const NIC = PASSTHROUGH_DEVICES.nic;
/** iPXE, Debian's kernel and two leases under nested TCG: about 100 s on this kind of machine. */
const READY_S = 480;

function config(g: string, dm: "stubdom" | "dom0", files: LinuxGuestFiles): string {
  return linuxGuestConfig(g, dm, [dm === "stubdom" ? GUEST_LINKS[0]! : CONTROL_LINKS[0]!], [`pci = [ "${NIC}" ]`], files);
}

export async function runNicGuest(dom0: Dom0, checks: Checks, dm: "stubdom" | "dom0", files: LinuxGuestFiles, saveDir: string): Promise<PciFigures> {
  const label = `NIC passthrough to the Linux guest (${dm === "stubdom" ? "stubdom at 64 MiB" : "device model in dom0"})`;
  const g = `nic-${dm}`;
  const fig: PciFigures = { plan: { name: g, dm, pciback: "default", device: "at create", label } };
  const check = (what: string, ok: boolean, detail: string): boolean => checks.record(`${label}: ${what}`, ok, detail);
  const serial = `/tmp/${g}-serial.log`;
  const created = await createPassthroughGuest(dom0, check, g, config(g, dm, files), "xl create with the NIC succeeds", 200, saveDir);
  fig.createMs = created.ms;
  if (!created.ok) return fig;
  const ready = await dom0.waitFor(`grep -q 'guest: ready' ${serial} 2>/dev/null`, READY_S);
  // RESULTS.md's "to DMA" column holds the NIC guest's "ready".
  const readyMs = ready === undefined ? undefined : created.ms + ready;
  fig.dmaMs = readyMs;
  const lines = (await dom0.sh(`tr -d '\\r' < ${serial} 2>/dev/null | grep -E '^guest: (lease|no lease|ready)'`, 20)).out;
  const said = lines.trim().split("\n").filter((l) => /^guest: (lease|no lease)/.test(l));
  const lease = said.find((l) => l.includes(` ${PASSTHROUGH_NIC_LEASE}/`));
  check(
    "the passed-through e1000's driver binds and gets a DHCP lease through it (QEMU's user network behind the bed's NIC)",
    lease !== undefined,
    readyMs === undefined
      ? `no "guest: ready" within ${READY_S} s; ${said.join("; ") || "no lease lines"}`
      : `ready ${seconds(readyMs)} after xl create began (${bootSplitText(bootSplit(readyMs, lines))}); ${said.join("; ")}`,
  );
  if (dm === "stubdom") {
    const mapped = await dom0.sh(`grep -m1 -aE 'pci: host ${NIC} is ' /var/log/xen/qemu-dm-${g}.log`, 20);
    check("the stubdom shows QEMU the NIC libxl names", mapped.rc === 0, mapped.out.trim().replace(/^.*?pci: /, "pci: ") || "no `pci: host` line on the stubdom console");
  }
  await destroyAndGiveBack(dom0, check, g, NIC, saveDir);
  return fig;
}

/** The NIC guests, control first; dom0 serves their boot as for the main bed's Linux guests. */
export async function runNicGuests(dom0: Dom0, checks: Checks, files: LinuxGuestFiles, saveDir: string, say: (line: string) => void): Promise<PciFigures[]> {
  const served = await serveGuests(dom0, "/mnt/bed");
  if (served) {
    checks.fail("passthrough bed: dom0 serves the Linux guest (bridges, DHCP, TFTP, HTTP)", served);
    return [];
  }
  const figs: PciFigures[] = [];
  for (const dm of ["dom0", "stubdom"] as const) {
    say(`passthrough: the Linux guest with the bed's e1000, device model ${dm === "stubdom" ? "in our stubdom" : "in dom0"}`);
    figs.push(await runNicGuest(dom0, checks, dm, files, saveDir));
  }
  return figs;
}
