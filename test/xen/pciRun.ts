// PCI passthrough on the bed's variant with an emulated IOMMU (bedVm.ts `passthrough`): QEMU's edu
// device, made assignable in dom0 with xen-pciback, goes to the edu guest (eduGuest.ts), with the
// device model in dom0 (the control) and in our stubdom, in pciback's default mode where the stubdom
// sees the device at another address. The guest finds it, uses its BAR, checks a DMA round trip
// through the IOMMU and counts INTx and MSI interrupts. With the device model in dom0, `xl
// pci-detach` and `xl pci-attach` take the device away while the guest runs and give it back. With
// a stubdom, libxl (4.17 to 4.21) refuses any `xl pci-detach`: it looks for the device in the
// guest's own pciback directory, which it writes only for the stubdom (libxl_pci.c do_pci_remove,
// libxl__device_pci_add_xenstore); the check is that it still does, and that the guest keeps the
// device. `xl pci-attach` to a running stubdom guest is checked on a guest created without the
// device (`passthrough = "enabled"`). Then once more with xen-pciback passthrough=1, where the
// stubdom sees the host's address. MSI from a stubdom's QEMU needs pciback to let the stubdom set
// the MSI enable bit: dom0 does one of the two things the README tells an admin, pciback's
// allow_interrupt_control just before the device goes to the stubdom (pciback clears it each time
// a guest gives the device back), or `permissive=1` on the device in xl.cfg.
import type { Checks } from "./checks.ts";
import { seconds } from "./checks.ts";
import { Dom0, q, sinceT0 } from "./dom0.ts";
import { EDU_BANNER, EDU_BAR0_OK, EDU_DMA_OK, EDU_FOUND, EDU_INTX_OK, EDU_MSI_OK } from "./eduGuest.ts";
import type { StagedFiles } from "./guestRun.ts";
import { PASSTHROUGH_DEVICES } from "./bedVm.ts";
import { runNicGuests } from "./pciNicRun.ts";
import { createPassthroughGuest, destroyAndGiveBack, xlLastLines } from "./pciGuestEnd.ts";
import { xlConfig } from "./xlConfig.ts";

const EDU = PASSTHROUGH_DEVICES.edu;
const DEVICES = Object.values(PASSTHROUGH_DEVICES).join(" ");

export interface PciPlan {
  name: string;
  dm: "stubdom" | "dom0";
  /** pciback's mode when this guest runs. */
  pciback: "default" | "passthrough=1";
  /** The device in xl.cfg at create, or given by `xl pci-attach` once the guest runs. */
  device: "at create" | "attached";
  /** Then `xl pci-detach` while the guest runs: it works and the device comes back with pci-attach, or libxl refuses it. */
  detach?: "and back" | "refused";
  /** How a stubdom's QEMU is let to enable MSI (the README's two ways). */
  msi?: "allow_interrupt_control" | "permissive=1";
  label: string;
}

export const PCI_PLANS: readonly PciPlan[] = [
  { name: "pci-dom0", dm: "dom0", pciback: "default", device: "at create", detach: "and back", label: "passthrough, device model in dom0" },
  { name: "pci-stubdom", dm: "stubdom", pciback: "default", device: "at create", detach: "refused", msi: "allow_interrupt_control", label: "passthrough, stubdom (pciback's default mode)" },
  { name: "pci-stubdom-attach", dm: "stubdom", pciback: "default", device: "attached", msi: "allow_interrupt_control", label: "passthrough, stubdom, xl pci-attach to a running guest" },
  { name: "pci-stubdom-pt", dm: "stubdom", pciback: "passthrough=1", device: "at create", msi: "permissive=1", label: "passthrough, stubdom (xen-pciback passthrough=1, permissive=1)" },
];

export interface PciFigures {
  plan: PciPlan;
  createMs?: number;
  /** From xl create to the guest's DMA verdict. */
  dmaMs?: number;
  detachMs?: number;
  attachMs?: number;
}

/** Whether the bed can pass devices at all: the IOMMU in Xen, pciback in dom0, edu and the NIC assignable. */
export async function preparePassthrough(dom0: Dom0, checks: Checks): Promise<boolean> {
  const info = (await dom0.sh("xl info | grep -E '^virt_caps'; xl dmesg | grep -m3 -E 'I/O virtualisation|Interrupt Remapping|Queued Invalidation'", 30)).out;
  const iommu = checks.record("passthrough bed: Xen uses the emulated IOMMU (virt_caps hvm_directio)", /hvm_directio/.test(info), info.trim().replace(/\s*\n\s*/g, "; "));
  if (!iommu) return false;
  return assignable(dom0, checks, "default");
}

/** Loads xen-pciback in `mode` (unloading it first when loaded) and makes edu and the NIC assignable. */
async function assignable(dom0: Dom0, checks: Checks, mode: PciPlan["pciback"]): Promise<boolean> {
  const r = await dom0.sh(
    [
      "set -e",
      `if lsmod | grep -q '^xen_pciback'; then for d in ${DEVICES}; do xl pci-assignable-remove $d 2>/dev/null || true; done; rmmod xen-pciback; fi`,
      `modprobe xen-pciback${mode === "default" ? "" : ` ${mode}`}`,
      `for d in ${DEVICES}; do xl pci-assignable-add $d; done`,
      "xl pci-assignable-list",
    ].join("\n"),
    60,
  );
  const listed = Object.values(PASSTHROUGH_DEVICES).every((d) => r.out.includes(d));
  return checks.record(`passthrough bed: edu (${EDU}) and the e1000 (${PASSTHROUGH_DEVICES.nic}) assignable with xen-pciback ${mode === "default" ? "in its default mode" : mode}`, r.rc === 0 && listed, r.out.trim().replace(/\s*\n\s*/g, "; "));
}

/**
 * The `nth` line (1-based) of the guest's serial file that starts with `prefix`, waited for up to `s`
 * seconds; the checks match it against the guest's own regexes here, not with grep's dialect.
 */
async function serialLine(dom0: Dom0, file: string, prefix: string, s: number, nth = 1): Promise<{ ms?: number; line?: string }> {
  const ms = await dom0.waitFor(`[ "$(grep -acF ${q(prefix)} ${file} 2>/dev/null)" -ge ${nth} ]`, s);
  const lines = (await dom0.read(file)).split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.startsWith(prefix));
  return { ms, line: lines[nth - 1] };
}

/**
 * The guest's report after a device appears, in its order: the line's prefix, the check, what it must
 * match, how long to wait; without the first line the rest cannot come, and the DMA line times the plan.
 */
const REPORT: readonly { prefix: string; what: string; ok: RegExp; waitS: number; needed?: true; dma?: true }[] = [
  { prefix: "edu: 1234:11e8 at", what: "the guest finds edu (1234:11e8) on its PCI bus", ok: EDU_FOUND, waitS: 60, needed: true },
  { prefix: "edu: bar0", what: "the guest reads edu's registers through BAR0 (id 010000ed, liveness)", ok: EDU_BAR0_OK, waitS: 30 },
  { prefix: "edu: dma", what: "edu's DMA round trip through the IOMMU is intact", ok: EDU_DMA_OK, waitS: 30, dma: true },
  { prefix: "edu: intx", what: "edu's INTx interrupts reach the guest", ok: EDU_INTX_OK, waitS: 30 },
  { prefix: "edu: msi", what: "edu's MSI interrupts reach the guest", ok: EDU_MSI_OK, waitS: 30 },
];

/** Each line of the guest's report as a check; a device the guest does not find ends it. True when the DMA round trip was intact. */
async function report(dom0: Dom0, check: (w: string, ok: boolean, d: string) => boolean, serial: string, nth: number, when: string): Promise<boolean> {
  let dmaOk = false;
  for (const r of REPORT) {
    const got = await serialLine(dom0, serial, r.prefix, r.waitS, nth);
    const ok = check(`${when}: ${r.what}`, got.line !== undefined && r.ok.test(got.line), got.line ?? `no "${r.prefix}" line within ${r.waitS} s`);
    if (r.needed && !ok) return false;
    if (r.dma) dmaOk = ok;
  }
  return dmaOk;
}

/** `xl pci-<verb>` of edu on guest `g`: exit status, time, and xl's last lines. */
async function xlPci(dom0: Dom0, g: string, verb: "attach" | "detach"): Promise<{ ok: boolean; ms: number; said: string }> {
  const r = await dom0.values(["t0=$(date +%s%N)", `timeout 60 xl pci-${verb} ${g} ${EDU} > /tmp/${g}-${verb}.log 2>&1; echo rc=$?`, `echo ms=${sinceT0}`].join("\n"), 80);
  const said = xlLastLines(await dom0.read(`/tmp/${g}-${verb}.log`));
  return { ok: r.values.rc === "0", ms: Number(r.values.ms), said: `xl exit ${r.values.rc ?? "?"} in ${seconds(Number(r.values.ms))}${said ? `; ${said}` : ""}` };
}

export async function runPassthroughGuest(dom0: Dom0, checks: Checks, plan: PciPlan, files: StagedFiles, eduDisk: string, saveDir: string): Promise<PciFigures> {
  const g = plan.name;
  const fig: PciFigures = { plan };
  const check = (what: string, ok: boolean, detail: string): boolean => checks.record(`${plan.label}: ${what}`, ok, detail);
  const serial = `/tmp/${g}-serial.log`;
  const cfg =
    xlConfig({
      name: g, disk: `/tmp/${g}.img`, serialFile: serial, dom0Dm: plan.dm === "dom0",
      stubdomKernel: files.kernel, stubdomRootfs: files.rootfs, stubdomCmdline: files.cmdline,
    }) + (plan.device === "at create" ? `pci = [ "${EDU}${plan.msi === "permissive=1" ? ",permissive=1" : ""}" ]\n` : `passthrough = "enabled"\n`);
  // The README's way for MSI: pciback lets the stubdom set the MSI enable bit until the device comes back.
  const allowMsi = async (): Promise<void> => {
    if (plan.msi !== "allow_interrupt_control") return;
    const r = await dom0.sh(`echo ${EDU} > /sys/bus/pci/drivers/pciback/allow_interrupt_control`, 20);
    check("dom0 lets the stubdom enable MSI (pciback's allow_interrupt_control)", r.rc === 0, r.out.trim() || "set");
  };
  if (plan.device === "at create") await allowMsi();
  const what = plan.device === "at create" ? "xl create with the device succeeds" : "xl create with passthrough enabled succeeds";
  const created = await createPassthroughGuest(dom0, check, g, cfg, what, 120, saveDir, `cp ${q(eduDisk)} /tmp/${g}.img`);
  fig.createMs = created.ms;
  if (!created.ok) return fig;
  const hello = await serialLine(dom0, serial, EDU_BANNER, 60);
  check("the guest's serial line arrives", hello.ms !== undefined, hello.line ?? "nothing within 60 s");
  const t = Date.now();
  if (plan.device === "attached") {
    await allowMsi();
    const attach = await xlPci(dom0, g, "attach");
    fig.attachMs = attach.ms;
    if (!check("xl pci-attach while the guest runs succeeds", attach.ok, attach.said)) return destroyAndGiveBack(dom0, check, g, EDU, saveDir).then(() => fig);
  }
  if (plan.dm === "stubdom") {
    const mapped = await dom0.sh(`grep -m1 -aE 'pci: host ${EDU} is ' /var/log/xen/qemu-dm-${g}.log`, 20);
    check("the stubdom shows QEMU the device libxl names (its console says where pcifront put it)", mapped.rc === 0, mapped.out.trim().replace(/^.*?pci: /, "pci: ") || "no `pci: host` line on the stubdom console");
  }
  const when = plan.device === "at create" ? "at boot" : "after xl pci-attach";
  if ((await report(dom0, check, serial, 1, when)) && fig.createMs !== undefined) fig.dmaMs = fig.createMs + (Date.now() - t);

  if (plan.detach === "and back") {
    const detach = await xlPci(dom0, g, "detach");
    fig.detachMs = detach.ms;
    const gone = await serialLine(dom0, serial, "edu: gone", 30);
    check("xl pci-detach while the guest runs: the device leaves the guest", detach.ok && gone.line !== undefined, `${detach.said}${gone.line ? `; the guest says "${gone.line}"` : "; no \"edu: gone\" within 30 s"}`);
    const attach = await xlPci(dom0, g, "attach");
    fig.attachMs = attach.ms;
    if (check("xl pci-attach while the guest runs succeeds", attach.ok, attach.said)) await report(dom0, check, serial, 2, "after xl pci-attach");
  } else if (plan.detach === "refused") {
    const detach = await xlPci(dom0, g, "detach");
    const goneLines = await dom0.sh(`tr -d '\\r' < ${serial} | grep -c '^edu: gone'`, 20);
    check("xl pci-detach: libxl refuses it for a stubdom guest, as upstream libxl does, and the guest keeps the device", !detach.ok && /unable to remove device/.test(detach.said) && goneLines.out.trim() === "0", detach.said);
  }
  return destroyAndGiveBack(dom0, check, g, EDU, saveDir).then(() => fig);
}

/** Every passthrough guest on a bed already booted as the passthrough variant. */
export async function runPassthrough(dom0: Dom0, checks: Checks, files: StagedFiles, eduDisk: string, saveDir: string, say: (line: string) => void): Promise<PciFigures[]> {
  if (!(await preparePassthrough(dom0, checks))) return [];
  const figs: PciFigures[] = await runNicGuests(dom0, checks, files, saveDir, say);
  let mode: PciPlan["pciback"] = "default";
  for (const plan of PCI_PLANS) {
    if (plan.pciback !== mode) {
      mode = plan.pciback;
      if (!(await assignable(dom0, checks, mode))) break;
    }
    say(`passthrough guest ${plan.name}: ${plan.label}`);
    figs.push(await runPassthroughGuest(dom0, checks, plan, files, eduDisk, saveDir));
  }
  return figs;
}
