// An HVM test guest for PCI passthrough: it drives QEMU's `edu` teaching device (1234:11e8, QEMU
// docs/specs/edu.rst) the way a driver would, so a test can see a passed-through device work in
// the guest: config space, MMIO, DMA both ways, INTx and MSI. Real-mode code written as bytes
// (bootSector.ts), given to xl as a 1 MiB raw disk: the boot sector loads the rest from the boot
// drive (int 13h) to 0x7e00. About once a second it scans PCI bus 0 (0xcf8/0xcfc) for the device
// and reports each arrival once, then "gone" when it has left, so a hot-plug (xl pci-attach) and a
// hot-unplug (xl pci-detach) show as lines on COM1. It also plays the OS's part in an ACPI
// hot-unplug on the PIIX4 hotplug controller that Xen's DSDT uses (0xae00): what PCID lists as
// being removed it ejects through B0EJ, as the DSDT's _EJ0 would (xen tools/libacpi/mk_dsdt.c).
// INTx is taken as a modern OS takes it, through the IOAPIC to the local APIC, never the 8259: under
// Xen (its CPUID signature) on the GSI that Xen's fixed formula gives the device's slot and pin; on
// plain QEMU on the pin of the ISA IRQ its line has. A hot-plugged device has no BAR and no
// interrupt line from the firmware: the guest sets BAR0 itself and takes the line from the PIIX
// PIRQ router, as hvmloader would have.
// MMIO above 1 MiB is read in "unreal mode": a moment in protected mode loads FS with a flat 4 GiB
// descriptor, whose limit real mode then keeps, until BIOS code reloads FS; so it is redone before
// every MMIO sequence. Between scans and while waiting it sleeps in `sti; hlt` (with interrupts off
// Xen would read the halt as a power-off).
import { assemble, bootDisk, bootSector, hi, lo, printRoutine, text, type Item } from "./bootSector.ts";

export const EDU_BANNER = "edu guest: scanning for 1234:11e8";
/** Group 1: the device number on bus 0, two hex digits. */
export const EDU_FOUND = /^edu: 1234:11e8 at 00:([0-9a-f]{2})\.0$/;
/** Group 1: BAR0; 2: the id register; 3: the liveness check. "unassigned" when BAR0 stayed 0. */
export const EDU_BAR0 = /^edu: bar0 ([0-9a-f]{8}) (?:id ([0-9a-f]{8}) live (ok|bad)|unassigned)$/;
/** edu's identification register: version 1.0, 0xed. */
export const EDU_ID = "010000ed";
export const EDU_BAR0_OK = /^edu: bar0 [0-9a-f]{8} id 010000ed live ok$/;
export const EDU_DMA = /^edu: dma (ok|bad|timeout)$/;
export const EDU_DMA_OK = /^edu: dma ok$/;
/**
 * Group 1: interrupts counted of 3; 2: the IOAPIC pin (GSI, decimal) they came in on, or "none" when
 * the device has no interrupt pin or no line could be had.
 */
export const EDU_INTX = /^edu: intx (\d)\/3 gsi (\d+|none)$/;
export const EDU_INTX_OK = /^edu: intx 3\/3 gsi \d+$/;
/** Group 1: MSIs counted of 3, or "none" when the device lists no MSI capability. */
export const EDU_MSI = /^edu: msi (?:(\d)\/3|none)$/;
export const EDU_MSI_OK = /^edu: msi 3\/3$/;
export const EDU_GONE = /^edu: gone$/;
/** What the guest writes to a BAR0 that the firmware left unassigned (a hot-plugged device). */
export const HOTPLUG_BAR0 = 0xf8000000;

const COM1 = 0x3f8;
const BDA_TICKS = 0x046c; // BIOS timer ticks, 18.2 a second
const SCAN_TICKS = 18; // about a second between scans
const DMA_TICKS = 37; // about 2 s for a transfer edu finishes 100 ms after its start
const IRQ_TICKS = 18; // about a second for each raised interrupt to be counted
const LOAD_AT = 0x7e00; // where the boot sector loads the rest
const BUF_SEG = 0x1000; // the DMA buffers: 0x10000 (to edu) and 0x10100 (back): past our code, below 2^28
const BUF_PHYS = BUF_SEG << 4;
const DMA_LEN = 256;
const EDU_DMA_BUF = 0x40000; // edu's 4 KiB buffer in its DMA address space
const PCID = 0xae04; // PIIX4 ACPI hotplug: slots being removed
const B0EJ = 0xae08; // writing a slot's bit ejects it
const PIIX_PIRQ = 0x80000860; // config address of 00:01.0 0x60: PIRQA..D routes, one byte each
const IOAPIC = 0xfec00000; // index register; the data window at +0x10
const INTX_VECTOR = 0x61; // free in the real-mode IVT
const LAPIC_EOI = 0xfee000b0;
const LAPIC_SVR = 0xfee000f0;
const LAPIC_LVT0 = 0xfee00350;
const MSI_ADDRESS = 0xfee00000; // fixed delivery to APIC id 0, the boot CPU
const MSI_VECTOR = 0x60; // free in the real-mode IVT
const LIVENESS_IN = 0x12345678;

const dword = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
/** mov eax, fs:[ebx+reg]: a 32-bit read of edu register `reg` (ebx = BAR0, FS flat). */
const mmioRead = (reg: number): number[] => (reg < 0x80 ? [0x64, 0x67, 0x66, 0x8b, 0x43, reg] : [0x64, 0x67, 0x66, 0x8b, 0x83, ...dword(reg)]);
/** mov fs:[ebx+reg], eax: a 32-bit write of edu register `reg`. */
const mmioWrite = (reg: number): number[] => (reg < 0x80 ? [0x64, 0x67, 0x66, 0x89, 0x43, reg] : [0x64, 0x67, 0x66, 0x89, 0x83, ...dword(reg)]);
/** mov eax, imm32 */
const movEax = (n: number): number[] => [0x66, 0xb8, ...dword(n)];
const call = (label: string): Item[] => [0xe8, { rel16: label }];
const say = (label: string): Item[] => [0xbe, { abs16: label }, ...call("print")]; // mov si, label; call print

/** The boot sector's code: load `sectors` more sectors to 0x7e00 and jump there. */
const loader = (sectors: number): Item[] => [
  0xea, { abs16: "start" }, 0x00, 0x00, // jmp 0000:start (a BIOS may enter at 07c0:0000)
  { label: "start" },
  0xfa, // cli
  0x31, 0xc0, // xor ax, ax
  0x8e, 0xd8, // mov ds, ax
  0x8e, 0xc0, // mov es, ax
  0x8e, 0xd0, // mov ss, ax
  0xbc, 0x00, 0x7c, // mov sp, 0x7c00
  0xfb, // sti
  0xfc, // cld
  0xe4, 0x92, // in al, 0x92
  0x0c, 0x02, // or al, 2      (A20 on: a BAR may have bit 20 set)
  0x24, 0xfe, // and al, 0xfe  (not a reset)
  0xe6, 0x92, // out 0x92, al
  0xb8, sectors, 0x02, // mov ax, 0x02nn: int 13h read, nn sectors
  0xb9, 0x02, 0x00, // mov cx, 2: cylinder 0, sector 2
  0xb6, 0x00, // mov dh, 0: head 0; dl is the boot drive as the BIOS left it
  0xbb, lo(LOAD_AT), hi(LOAD_AT), // mov bx, 0x7e00
  0xcd, 0x13, // int 13h
  0x72, { rel8: "loadFailed" }, // jc loadFailed
  0xe9, { rel16: "main" }, // jmp main
  { label: "loadFailed" },
  ...say("loadFailedLine"),
  { label: "stuck" },
  0xfb, // sti
  0xf4, // hlt
  0xeb, { rel8: "stuck" }, // jmp stuck
  ...printRoutine(COM1),
  { label: "loadFailedLine" }, ...text("edu guest: disk read failed\r\n"),
];

/** Everything after the boot sector, from 0x7e00. */
const body: Item[] = [
  { label: "main" },
  ...say("banner"),

  { label: "loop" },
  // Hot-unplug: eject whatever the hotplug controller says is being removed.
  0xba, lo(PCID), hi(PCID), // mov dx, PCID
  0x66, 0xed, // in eax, dx
  0x66, 0x83, 0xf8, 0xff, // cmp eax, -1   (no controller: all ones)
  0x74, { rel8: "scan" }, // je scan
  0x66, 0x85, 0xc0, // test eax, eax
  0x74, { rel8: "scan" }, // jz scan
  0xba, lo(B0EJ), hi(B0EJ), // mov dx, B0EJ
  0x66, 0xef, // out dx, eax
  { label: "scan" },
  0xc6, 0x06, { abs16: "devNum" }, 0x00, // mov byte [devNum], 0
  { label: "scanNext" },
  0x30, 0xc0, // xor al, al   (register 0: vendor and device id)
  ...call("cfgRead"),
  0x66, 0x3d, 0x34, 0x12, 0xe8, 0x11, // cmp eax, 0x11e81234
  0x74, { rel8: "present" }, // je present
  0xfe, 0x06, { abs16: "devNum" }, // inc byte [devNum]
  0x80, 0x3e, { abs16: "devNum" }, 32, // cmp byte [devNum], 32
  0x72, { rel8: "scanNext" }, // jb scanNext
  0x80, 0x3e, { abs16: "reported" }, 0, // cmp byte [reported], 0   (absent: was it here?)
  0x74, { rel8: "sleep" }, // je sleep
  0xc6, 0x06, { abs16: "reported" }, 0, // mov byte [reported], 0   (a re-attach is reported again)
  ...say("goneLine"),
  0xeb, { rel8: "sleep" }, // jmp sleep
  { label: "present" },
  0x80, 0x3e, { abs16: "reported" }, 0, // cmp byte [reported], 0
  0x75, { rel8: "sleep" }, // jne sleep
  ...call("report"),
  0xc6, 0x06, { abs16: "reported" }, 1, // mov byte [reported], 1
  { label: "sleep" },
  0x8b, 0x1e, lo(BDA_TICKS), hi(BDA_TICKS), // mov bx, [ticks]
  { label: "nap" },
  0xfb, // sti
  0xf4, // hlt
  0xa1, lo(BDA_TICKS), hi(BDA_TICKS), // mov ax, [ticks]
  0x29, 0xd8, // sub ax, bx
  0x3d, SCAN_TICKS, 0x00, // cmp ax, SCAN_TICKS
  0x72, { rel8: "nap" }, // jb nap
  0xe9, { rel16: "loop" }, // jmp loop

  // report: the device at 00:[devNum].0 is new: set it up and exercise it.
  { label: "report" },
  ...say("foundLine"),
  0xa0, { abs16: "devNum" }, // mov al, [devNum]
  ...call("hex8"),
  ...say("foundTail"),
  0xb0, 0x10, // mov al, 0x10   (BAR0)
  ...call("cfgRead"),
  0x66, 0x25, 0xf0, 0xff, 0xff, 0xff, // and eax, 0xfffffff0
  0x75, { rel8: "barSet" }, // jnz barSet
  0xb0, 0x10, // mov al, 0x10   (unassigned: hot-plugged; edu's BAR0 is 1 MiB, 32-bit)
  0x66, 0xb9, ...dword(HOTPLUG_BAR0), // mov ecx, HOTPLUG_BAR0
  ...call("cfgWrite"),
  0xb0, 0x10, // mov al, 0x10
  ...call("cfgRead"),
  0x66, 0x25, 0xf0, 0xff, 0xff, 0xff, // and eax, 0xfffffff0
  { label: "barSet" },
  0x66, 0xa3, { abs16: "bar0" }, // mov [bar0], eax
  0xb0, 0x04, // mov al, 4   (command register)
  ...call("cfgRead"),
  0x0c, 0x06, // or al, 6   (memory space, bus master; the rest as it was)
  0x89, 0xc1, // mov cx, ax
  0xb0, 0x04, // mov al, 4
  ...call("cfgWriteW"), // (a word: status bits are write-one-to-clear)
  ...say("barLine"),
  0x66, 0xa1, { abs16: "bar0" }, // mov eax, [bar0]
  ...call("hex32"),
  0x66, 0x85, 0xc0, // test eax, eax
  0x75, { rel8: "barUsable" }, // jnz barUsable
  ...say("unassignedTail"), // (MMIO at 0 would write the IVT)
  0xc3, // ret
  { label: "barUsable" },
  ...say("idText"),
  ...call("unrealBar"),
  ...mmioRead(0x00), // id
  ...call("hex32"),
  ...say("liveText"),
  ...call("unrealBar"),
  ...movEax(LIVENESS_IN),
  ...mmioWrite(0x04), // liveness: reads back inverted
  ...mmioRead(0x04),
  0xbe, { abs16: "okTail" }, // mov si, okTail
  0x66, 0x3d, ...dword(~LIVENESS_IN >>> 0), // cmp eax, ~LIVENESS_IN
  0x74, { rel8: "liveSay" }, // je liveSay
  0xbe, { abs16: "badTail" }, // mov si, badTail
  { label: "liveSay" },
  ...call("print"),
  ...call("dma"),
  ...call("intx"),
  ...call("msi"),
  0xc3, // ret

  // dma: 256 bytes RAM -> edu -> RAM, compared.
  { label: "dma" },
  0x68, lo(BUF_SEG), hi(BUF_SEG), // push BUF_SEG
  0x07, // pop es
  0x31, 0xff, // xor di, di
  0xa0, lo(BDA_TICKS), hi(BDA_TICKS), // mov al, [ticks]   (seed: a new pattern each time)
  0xb9, lo(DMA_LEN), hi(DMA_LEN), // mov cx, DMA_LEN
  { label: "fill" },
  0x26, 0x88, 0x05, // mov es:[di], al   (to edu)
  0xf6, 0xd0, // not al
  0x26, 0x88, 0x85, lo(DMA_LEN), hi(DMA_LEN), // mov es:[di+DMA_LEN], al   (back: its inverse, until edu overwrites it)
  0xf6, 0xd0, // not al
  0x04, 0x07, // add al, 7
  0x47, // inc di
  0xe2, { rel8: "fill" }, // loop fill
  ...call("unrealBar"),
  ...movEax(BUF_PHYS), ...mmioWrite(0x80), // source: our buffer
  ...movEax(EDU_DMA_BUF), ...mmioWrite(0x88), // destination: edu's
  ...movEax(DMA_LEN), ...mmioWrite(0x90), // count
  ...movEax(1), ...mmioWrite(0x98), // start, RAM -> edu
  ...call("dmaWait"),
  0x72, { rel8: "dmaTimeout" }, // jc dmaTimeout
  ...call("unrealBar"),
  ...movEax(EDU_DMA_BUF), ...mmioWrite(0x80), // source: edu's buffer
  ...movEax(BUF_PHYS + DMA_LEN), ...mmioWrite(0x88), // destination: our second buffer
  ...movEax(DMA_LEN), ...mmioWrite(0x90), // count
  ...movEax(3), ...mmioWrite(0x98), // start, edu -> RAM
  ...call("dmaWait"),
  0x72, { rel8: "dmaTimeout" }, // jc dmaTimeout
  0x1e, // push ds
  0x06, // push es
  0x1f, // pop ds   (both buffers in BUF_SEG)
  0x31, 0xf6, // xor si, si
  0xbf, lo(DMA_LEN), hi(DMA_LEN), // mov di, DMA_LEN
  0xb9, lo(DMA_LEN), hi(DMA_LEN), // mov cx, DMA_LEN
  0xf3, 0xa6, // repe cmpsb
  0x1f, // pop ds
  0xbe, { abs16: "dmaOkLine" }, // mov si, dmaOkLine
  0x74, { rel8: "dmaSay" }, // je dmaSay
  0xbe, { abs16: "dmaBadLine" }, // mov si, dmaBadLine
  0xeb, { rel8: "dmaSay" }, // jmp dmaSay
  { label: "dmaTimeout" },
  0xbe, { abs16: "dmaTimeoutLine" }, // mov si, dmaTimeoutLine
  { label: "dmaSay" },
  0x31, 0xc0, // xor ax, ax
  0x8e, 0xc0, // mov es, ax
  ...call("print"),
  0xc3, // ret

  // dmaWait: until edu clears DMA command bit 0, at most DMA_TICKS; CF set on timeout.
  { label: "dmaWait" },
  0x8b, 0x3e, lo(BDA_TICKS), hi(BDA_TICKS), // mov di, [ticks]
  { label: "dmaPoll" },
  ...call("unrealBar"),
  ...mmioRead(0x98),
  0xa8, 0x01, // test al, 1
  0x74, { rel8: "dmaDone" }, // jz dmaDone
  0xfb, // sti
  0xf4, // hlt
  0xa1, lo(BDA_TICKS), hi(BDA_TICKS), // mov ax, [ticks]
  0x29, 0xf8, // sub ax, di
  0x3d, DMA_TICKS, 0x00, // cmp ax, DMA_TICKS
  0x72, { rel8: "dmaPoll" }, // jb dmaPoll
  0xf9, // stc
  0xc3, // ret
  { label: "dmaDone" },
  0xf8, // clc
  0xc3, // ret

  // intx: edu's INTx through the IOAPIC, 3 raised interrupts counted by eduHandler. Pin [gsi] sends
  // INTX_VECTOR to the local APIC (APIC id 0), level-triggered, active-high, while the step lasts;
  // the 8259 is left as the BIOS had it (the line masked there).
  { label: "intx" },
  0xb0, 0x3c, // mov al, 0x3c
  ...call("cfgRead"), // al: interrupt line, ah: pin
  0x88, 0xe1, // mov cl, ah
  0xfe, 0xc9, // dec cl   (INTx, 0 = INTA)
  0x80, 0xf9, 0x03, // cmp cl, 3
  0x77, { rel8: "noGsi" }, // ja noGsi   (pin 0: no INTx)
  0x50, // push ax
  0x51, // push cx
  ...call("onXen"),
  0x84, 0xc0, // test al, al
  0x59, // pop cx
  0x58, // pop ax
  0x74, { rel8: "qemuGsi" }, // jz qemuGsi
  // Xen: the GSI is fixed by slot and pin, whatever the line says (hvm_pci_intx_gsi):
  // (((dev << 2) + (dev >> 3) + intx) & 31) + 16.
  0xa0, { abs16: "devNum" }, // mov al, [devNum]
  0x88, 0xc4, // mov ah, al
  0xc0, 0xe0, 0x02, // shl al, 2
  0xc0, 0xec, 0x03, // shr ah, 3
  0x00, 0xe0, // add al, ah
  0x00, 0xc8, // add al, cl
  0x24, 0x1f, // and al, 31
  0x04, 0x10, // add al, 16
  0xeb, { rel8: "haveGsi" }, // jmp haveGsi
  { label: "noGsi" },
  ...say("noGsiLine"),
  0xc3, // ret
  { label: "qemuGsi" },
  // Plain QEMU: the PIIX PIRQ router drives the ISA IRQ of the line, and the IOAPIC pin of that number.
  0x3c, 0x01, // cmp al, 1
  0x72, { rel8: "deriveLine" }, // jb deriveLine
  0x3c, 0x0f, // cmp al, 15
  0x76, { rel8: "haveGsi" }, // jbe haveGsi
  { label: "deriveLine" },
  // Nobody wrote the line (hot-plug): the PIRQ link of (device, pin) routes it, link
  // (dev + intx - 1) & 3 (QEMU's pci_slot_get_pirq).
  0x02, 0x0e, { abs16: "devNum" }, // add cl, [devNum]
  0xfe, 0xc9, // dec cl
  0x80, 0xe1, 0x03, // and cl, 3
  0xc0, 0xe1, 0x03, // shl cl, 3
  ...movEax(PIIX_PIRQ),
  0xba, 0xf8, 0x0c, // mov dx, 0xcf8
  0x66, 0xef, // out dx, eax
  0xb2, 0xfc, // mov dl, 0xfc
  0x66, 0xed, // in eax, dx
  0x66, 0xd3, 0xe8, // shr eax, cl
  0xa8, 0x80, // test al, 0x80   (link disabled)
  0x75, { rel8: "noGsi" }, // jnz noGsi
  0x24, 0x0f, // and al, 0x0f
  0x3c, 0x03, // cmp al, 3
  0x72, { rel8: "noGsi" }, // jb noGsi
  { label: "haveGsi" },
  0xa2, { abs16: "gsi" }, // mov [gsi], al
  0xfa, // cli
  ...call("apicUp"),
  0xbb, lo(INTX_VECTOR * 4), hi(INTX_VECTOR * 4), // mov bx, INTX_VECTOR * 4
  ...call("hook"),
  0x66, 0xb9, ...dword(0x8000 | INTX_VECTOR), // mov ecx, 0x8000 | INTX_VECTOR   (fixed, physical, active-high, level, unmasked)
  ...call("ioapicEntry"),
  0xfb, // sti
  ...call("raise3"),
  0xfa, // cli
  0x66, 0xb9, ...dword(0x18000 | INTX_VECTOR), // mov ecx, 0x18000 | INTX_VECTOR   (masked again)
  ...call("ioapicEntry"),
  0xbb, lo(INTX_VECTOR * 4), hi(INTX_VECTOR * 4), // mov bx, INTX_VECTOR * 4
  ...call("unhook"),
  ...call("apicDown"),
  0xfb, // sti
  ...say("intxText"),
  ...call("putCount"),
  ...say("gsiText"),
  0xa0, { abs16: "gsi" }, // mov al, [gsi]
  0xd4, 0x0a, // aam   (ah = tens, al = ones)
  0x05, 0x30, 0x30, // add ax, '00'
  0x80, 0xfc, 0x30, // cmp ah, '0'
  0x74, { rel8: "ones" }, // je ones
  0x50, // push ax
  0x88, 0xe0, // mov al, ah
  ...call("putc"),
  0x58, // pop ax
  { label: "ones" },
  ...call("putc"),
  ...say("crlf"),
  0xc3, // ret

  // ioapicEntry: the IOAPIC's redirection entry for pin [gsi]: low dword ecx, high dword 0 (APIC
  // id 0), the high one first. With interrupts off; clobbers eax, esi.
  { label: "ioapicEntry" },
  ...call("unreal"),
  0x66, 0xbe, ...dword(IOAPIC), // mov esi, IOAPIC
  0x66, 0x0f, 0xb6, 0x06, { abs16: "gsi" }, // movzx eax, byte [gsi]
  0x66, 0xd1, 0xe0, // shl eax, 1
  0x04, 0x11, // add al, 0x11   (the entry's high dword)
  0x64, 0x67, 0x66, 0x89, 0x06, // mov fs:[esi], eax
  0x64, 0x67, 0x66, 0xc7, 0x46, 0x10, ...dword(0), // mov dword fs:[esi+0x10], 0
  0x66, 0x48, // dec eax   (its low dword)
  0x64, 0x67, 0x66, 0x89, 0x06, // mov fs:[esi], eax
  0x64, 0x67, 0x66, 0x89, 0x4e, 0x10, // mov fs:[esi+0x10], ecx
  0xc3, // ret

  // onXen: al = 1 under Xen (its CPUID leaves say "XenVMMXenVMM", at 0x40000000 or, with
  // viridian, 0x40000100 and so on), else 0. Clobbers eax, ebx, ecx, edx, esi.
  { label: "onXen" },
  0x66, 0xbe, ...dword(0x40000000), // mov esi, 0x40000000
  { label: "xenLeaf" },
  0x66, 0x89, 0xf0, // mov eax, esi
  0x0f, 0xa2, // cpuid
  0x66, 0x81, 0xfb, 0x58, 0x65, 0x6e, 0x56, // cmp ebx, "XenV"
  0x74, { rel8: "isXen" }, // je isXen
  0x66, 0x81, 0xc6, ...dword(0x100), // add esi, 0x100
  0x66, 0x81, 0xfe, ...dword(0x40010000), // cmp esi, 0x40010000
  0x72, { rel8: "xenLeaf" }, // jb xenLeaf
  0x30, 0xc0, // xor al, al
  0xc3, // ret
  { label: "isXen" },
  0xb0, 0x01, // mov al, 1
  0xc3, // ret

  // msi: edu's MSI to the local APIC, vector MSI_VECTOR, 3 raised interrupts counted by eduHandler.
  { label: "msi" },
  0xb0, 0x34, // mov al, 0x34   (capabilities pointer)
  ...call("cfgRead"),
  0xb9, 48, 0x00, // mov cx, 48   (a bound on the walk)
  { label: "capNext" },
  0x24, 0xfc, // and al, 0xfc
  0x74, { rel8: "noCap" }, // jz noCap
  0xa2, { abs16: "msiCap" }, // mov [msiCap], al
  ...call("cfgRead"), // al: id, ah: next
  0x3c, 0x05, // cmp al, 5   (MSI)
  0x74, { rel8: "capFound" }, // je capFound
  0x88, 0xe0, // mov al, ah
  0xe2, { rel8: "capNext" }, // loop capNext
  { label: "noCap" },
  ...say("noMsiLine"),
  0xc3, // ret
  { label: "capFound" },
  0x66, 0xc1, 0xe8, 0x10, // shr eax, 16
  0xa3, { abs16: "msiCtl" }, // mov [msiCtl], ax   (message control)
  0xfa, // cli
  ...call("apicUp"),
  0xbb, lo(MSI_VECTOR * 4), hi(MSI_VECTOR * 4), // mov bx, MSI_VECTOR * 4
  ...call("hook"),
  0xfb, // sti
  0xa0, { abs16: "msiCap" }, // mov al, [msiCap]
  0x04, 0x04, // add al, 4   (message address)
  0x66, 0xb9, ...dword(MSI_ADDRESS), // mov ecx, MSI_ADDRESS
  ...call("cfgWrite"),
  0xb3, 0x08, // mov bl, 8   (message data, 32-bit capability)
  0xf6, 0x06, { abs16: "msiCtl" }, 0x80, // test byte [msiCtl], 0x80   (64-bit capable)
  0x74, { rel8: "msiData" }, // jz msiData
  0xa0, { abs16: "msiCap" }, // mov al, [msiCap]
  0x04, 0x08, // add al, 8   (upper address)
  0x66, 0x31, 0xc9, // xor ecx, ecx
  ...call("cfgWrite"),
  0xb3, 0x0c, // mov bl, 0x0c   (message data, 64-bit capability)
  { label: "msiData" },
  0xa0, { abs16: "msiCap" }, // mov al, [msiCap]
  0x00, 0xd8, // add al, bl
  0xb9, MSI_VECTOR, 0x00, // mov cx, MSI_VECTOR   (fixed, edge)
  ...call("cfgWriteW"), // (a word: what follows a 32-bit capability's data is not its own)
  0xa0, { abs16: "msiCap" }, // mov al, [msiCap]
  0x04, 0x02, // add al, 2   (message control)
  0x8b, 0x0e, { abs16: "msiCtl" }, // mov cx, [msiCtl]
  0x80, 0xc9, 0x01, // or cl, 1   (MSI enable, one message: also turns INTx off)
  ...call("cfgWriteW"),
  ...call("raise3"),
  0xa0, { abs16: "msiCap" }, // mov al, [msiCap]
  0x04, 0x02, // add al, 2
  0x8b, 0x0e, { abs16: "msiCtl" }, // mov cx, [msiCtl]
  0x80, 0xe1, 0xfe, // and cl, 0xfe   (MSI off again)
  ...call("cfgWriteW"),
  0xfa, // cli
  0xbb, lo(MSI_VECTOR * 4), hi(MSI_VECTOR * 4), // mov bx, MSI_VECTOR * 4
  ...call("unhook"),
  ...call("apicDown"),
  0xfb, // sti
  ...say("msiText"),
  ...call("putCount"),
  ...say("msiTail"),
  0xc3, // ret

  // apicUp: a software-disabled local APIC takes no interrupt, an MSI or one the IOAPIC sends: enable
  // it, with LINT0 as ExtINT so that the 8259 (the BIOS tick) still gets through; apicDown puts
  // both back. With interrupts off; clobber eax, esi.
  { label: "apicUp" },
  0xc6, 0x06, { abs16: "apicWasOff" }, 0x00, // mov byte [apicWasOff], 0
  ...call("unreal"),
  0x66, 0xbe, ...dword(LAPIC_SVR), // mov esi, LAPIC_SVR
  0x64, 0x67, 0x66, 0x8b, 0x06, // mov eax, fs:[esi]
  0xf6, 0xc4, 0x01, // test ah, 1   (bit 8: APIC software enable)
  0x75, { rel8: "apicOn" }, // jnz apicOn
  0xfe, 0x06, { abs16: "apicWasOff" }, // inc byte [apicWasOff]
  0x66, 0xa3, { abs16: "svrOld" }, // mov [svrOld], eax
  0x66, 0x0d, ...dword(0x1ff), // or eax, 0x1ff   (enabled, spurious vector 0xff)
  0x64, 0x67, 0x66, 0x89, 0x06, // mov fs:[esi], eax
  0x66, 0xbe, ...dword(LAPIC_LVT0), // mov esi, LAPIC_LVT0
  0x64, 0x67, 0x66, 0x8b, 0x06, // mov eax, fs:[esi]
  0x66, 0xa3, { abs16: "lvt0Old" }, // mov [lvt0Old], eax
  ...movEax(0x700), // ExtINT, unmasked
  0x64, 0x67, 0x66, 0x89, 0x06, // mov fs:[esi], eax
  { label: "apicOn" },
  0xc3, // ret
  { label: "apicDown" },
  0x80, 0x3e, { abs16: "apicWasOff" }, 0x00, // cmp byte [apicWasOff], 0
  0x74, { rel8: "apicLeft" }, // je apicLeft
  ...call("unreal"),
  0x66, 0xbe, ...dword(LAPIC_LVT0), // mov esi, LAPIC_LVT0
  0x66, 0xa1, { abs16: "lvt0Old" }, // mov eax, [lvt0Old]
  0x64, 0x67, 0x66, 0x89, 0x06, // mov fs:[esi], eax
  0x66, 0xbe, ...dword(LAPIC_SVR), // mov esi, LAPIC_SVR
  0x66, 0xa1, { abs16: "svrOld" }, // mov eax, [svrOld]
  0x64, 0x67, 0x66, 0x89, 0x06, // mov fs:[esi], eax
  { label: "apicLeft" },
  0xc3, // ret

  // hook: the IVT entry at bx (vector * 4) = 0000:eduHandler, the old one kept; unhook puts it back.
  // With interrupts off; clobber eax.
  { label: "hook" },
  0x66, 0x8b, 0x07, // mov eax, [bx]
  0x66, 0xa3, { abs16: "oldVec" }, // mov [oldVec], eax
  0xc7, 0x07, { abs16: "eduHandler" }, // mov word [bx], eduHandler
  0xc7, 0x47, 0x02, 0x00, 0x00, // mov word [bx+2], 0
  0xc3, // ret
  { label: "unhook" },
  0x66, 0xa1, { abs16: "oldVec" }, // mov eax, [oldVec]
  0x66, 0x89, 0x07, // mov [bx], eax
  0xc3, // ret

  // raise3: raises edu's interrupt 3 times (0x60), each time waiting for a handler to count it.
  { label: "raise3" },
  0xc6, 0x06, { abs16: "irqCount" }, 0x00, // mov byte [irqCount], 0
  0xb0, 0x01, // mov al, 1
  { label: "raiseNext" },
  0x50, // push ax
  ...call("unrealBar"),
  ...movEax(1),
  ...mmioWrite(0x60), // raise
  0x58, // pop ax
  0x8b, 0x3e, lo(BDA_TICKS), hi(BDA_TICKS), // mov di, [ticks]
  { label: "irqPoll" },
  0xfa, // cli   (no wake-up lost between the check and the hlt)
  0x38, 0x06, { abs16: "irqCount" }, // cmp [irqCount], al
  0x73, { rel8: "counted" }, // jae counted
  0xfb, // sti
  0xf4, // hlt
  0x8b, 0x0e, lo(BDA_TICKS), hi(BDA_TICKS), // mov cx, [ticks]
  0x29, 0xf9, // sub cx, di
  0x83, 0xf9, IRQ_TICKS, // cmp cx, IRQ_TICKS
  0x72, { rel8: "irqPoll" }, // jb irqPoll
  { label: "counted" },
  0xfb, // sti
  0xfe, 0xc0, // inc al
  0x3c, 0x04, // cmp al, 4
  0x72, { rel8: "raiseNext" }, // jb raiseNext
  ...call("unrealBar"),
  0x66, 0x83, 0xc8, 0xff, // or eax, -1
  ...mmioWrite(0x64), // acknowledge all: nothing left asserted, whatever was counted
  0xc3, // ret

  // eduHandler, for INTx and MSI alike: acknowledge edu, count, end the interrupt at the local APIC
  // (for INTx, level-triggered, that EOI also clears the IOAPIC entry's remote IRR).
  { label: "eduHandler" },
  0x66, 0x60, // pushad
  0x1e, // push ds
  0x0f, 0xa0, // push fs
  0x31, 0xc0, // xor ax, ax
  0x8e, 0xd8, // mov ds, ax
  ...call("unrealBar"),
  ...mmioRead(0x24), // interrupt status
  ...mmioWrite(0x64), // acknowledge it
  0xfe, 0x06, { abs16: "irqCount" }, // inc byte [irqCount]
  0x66, 0xbe, ...dword(LAPIC_EOI), // mov esi, LAPIC_EOI
  0x66, 0x31, 0xc0, // xor eax, eax
  0x64, 0x67, 0x66, 0x89, 0x06, // mov fs:[esi], eax
  0x0f, 0xa1, // pop fs
  0x1f, // pop ds
  0x66, 0x61, // popad
  0xcf, // iret

  // unrealBar: FS flat (unreal), ebx = BAR0.
  { label: "unrealBar" },
  ...call("unreal"),
  0x66, 0x8b, 0x1e, { abs16: "bar0" }, // mov ebx, [bar0]
  0xc3, // ret
  // unreal: FS = 0 with a 4 GiB limit, loaded in protected mode; keeps every other register.
  { label: "unreal" },
  0x9c, // pushf
  0xfa, // cli
  0x66, 0x50, // push eax
  0x0f, 0x01, 0x16, { abs16: "gdtr" }, // lgdt [gdtr]
  0x0f, 0x20, 0xc0, // mov eax, cr0
  0x0c, 0x01, // or al, 1
  0x0f, 0x22, 0xc0, // mov cr0, eax   (protected mode)
  0x6a, 0x08, // push 8
  0x0f, 0xa1, // pop fs   (the flat data descriptor)
  0x24, 0xfe, // and al, 0xfe
  0x0f, 0x22, 0xc0, // mov cr0, eax   (real mode again; FS keeps its limit)
  0x6a, 0x00, // push 0
  0x0f, 0xa1, // pop fs   (base 0)
  0x66, 0x58, // pop eax
  0x9d, // popf
  0xc3, // ret

  // PCI configuration space of 00:[devNum].0, through 0xcf8/0xcfc.
  // cfgSel: selects register al (its dword); dx = 0xcfc. Clobbers eax.
  { label: "cfgSel" },
  0x24, 0xfc, // and al, 0xfc
  0x66, 0x0f, 0xb6, 0xc0, // movzx eax, al
  0x8a, 0x26, { abs16: "devNum" }, // mov ah, [devNum]
  0xc0, 0xe4, 0x03, // shl ah, 3   (device << 11)
  0x66, 0x0d, ...dword(0x80000000), // or eax, 0x80000000   (enable)
  0xba, 0xf8, 0x0c, // mov dx, 0xcf8
  0x66, 0xef, // out dx, eax
  0xb2, 0xfc, // mov dl, 0xfc
  0xc3, // ret
  // cfgRead: eax = the dword at register al.
  { label: "cfgRead" },
  ...call("cfgSel"),
  0x66, 0xed, // in eax, dx
  0xc3, // ret
  // cfgWrite: the dword at register al = ecx.
  { label: "cfgWrite" },
  ...call("cfgSel"),
  0x66, 0x89, 0xc8, // mov eax, ecx
  0x66, 0xef, // out dx, eax
  0xc3, // ret
  // cfgWriteW: the word at register al (even) = cx.
  { label: "cfgWriteW" },
  0x50, // push ax
  ...call("cfgSel"),
  0x58, // pop ax
  0x24, 0x03, // and al, 3
  0x00, 0xc2, // add dl, al
  0x89, 0xc8, // mov ax, cx
  0xef, // out dx, ax
  0xc3, // ret

  // Output on COM1. hex32: eax as 8 hex digits, eax kept; hex8: al as 2; both clobber cx, dx.
  { label: "hex8" },
  0x66, 0xc1, 0xe0, 0x18, // shl eax, 24
  0xb9, 0x02, 0x00, // mov cx, 2
  0xeb, { rel8: "hexDigit" }, // jmp hexDigit
  { label: "hex32" },
  0xb9, 0x08, 0x00, // mov cx, 8
  { label: "hexDigit" },
  0x66, 0xc1, 0xc0, 0x04, // rol eax, 4
  0x50, // push ax
  0x24, 0x0f, // and al, 0x0f
  0x04, 0x30, // add al, '0'
  0x3c, 0x39, // cmp al, '9'
  0x76, { rel8: "hexOut" }, // jbe hexOut
  0x04, 0x27, // add al, 'a' - '0' - 10
  { label: "hexOut" },
  ...call("putc"),
  0x58, // pop ax
  0xe2, { rel8: "hexDigit" }, // loop hexDigit
  0xc3, // ret
  // putCount: the interrupts counted, one digit.
  { label: "putCount" },
  0xa0, { abs16: "irqCount" }, // mov al, [irqCount]
  0x04, 0x30, // add al, '0'
  // putc: al; clobbers dx.
  { label: "putc" },
  0xba, lo(COM1), hi(COM1), // mov dx, COM1
  0xee, // out dx, al
  0xc3, // ret

  { label: "banner" }, ...text(`${EDU_BANNER}\r\n`),
  { label: "foundLine" }, ...text("edu: 1234:11e8 at 00:"),
  { label: "foundTail" }, ...text(".0\r\n"),
  { label: "barLine" }, ...text("edu: bar0 "),
  { label: "unassignedTail" }, ...text(" unassigned\r\n"),
  { label: "idText" }, ...text(" id "),
  { label: "liveText" }, ...text(" live "),
  { label: "okTail" }, ...text("ok\r\n"),
  { label: "badTail" }, ...text("bad\r\n"),
  { label: "dmaOkLine" }, ...text("edu: dma ok\r\n"),
  { label: "dmaBadLine" }, ...text("edu: dma bad\r\n"),
  { label: "dmaTimeoutLine" }, ...text("edu: dma timeout\r\n"),
  { label: "intxText" }, ...text("edu: intx "),
  { label: "gsiText" }, ...text("/3 gsi "),
  { label: "noGsiLine" }, ...text("edu: intx 0/3 gsi none\r\n"),
  { label: "msiText" }, ...text("edu: msi "),
  { label: "msiTail" }, ...text("/3\r\n"),
  { label: "crlf" }, ...text("\r\n"),
  { label: "noMsiLine" }, ...text("edu: msi none\r\n"),
  { label: "goneLine" }, ...text("edu: gone\r\n"),

  // Variables.
  { label: "reported" }, 0,
  { label: "devNum" }, 0,
  { label: "gsi" }, 0,
  { label: "irqCount" }, 0,
  { label: "msiCap" }, 0,
  { label: "apicWasOff" }, 0,
  { label: "msiCtl" }, 0, 0,
  { label: "bar0" }, 0, 0, 0, 0,
  { label: "oldVec" }, 0, 0, 0, 0,
  { label: "svrOld" }, 0, 0, 0, 0,
  { label: "lvt0Old" }, 0, 0, 0, 0,
  // The GDT for unreal mode: the null descriptor, then selector 8: base 0, limit 4 GiB, data, writable.
  { label: "gdt" }, 0, 0, 0, 0, 0, 0, 0, 0,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00,
  { label: "gdtr" }, 15, 0, { abs16: "gdt" }, 0, 0,
];

const WHAT = "edu guest";

/** The whole image: the boot sector (loader, padding, signature), then the body from 0x7e00. */
function image(sectors: number): number[] {
  const boot = loader(sectors);
  const bootLength = assemble([...boot, { label: "main" }], WHAT).length;
  if (bootLength > 510) throw new Error(`${WHAT}: its loader is ${bootLength} bytes; a boot sector holds 510`);
  const code = assemble([...boot, ...new Array<number>(510 - bootLength).fill(0), 0x55, 0xaa, ...body], WHAT);
  // What bootSector() would make of the loader, so the first sector is checked like the others.
  const first = bootSector(`${WHAT} boot sector`, code.slice(0, 510));
  if (first.some((b, i) => b !== code[i])) throw new Error(`${WHAT}: boot sector misassembled`);
  return code;
}

/** The sectors after the boot sector (what the boot sector loads). */
export const EDU_GUEST_SECTORS = Math.ceil((image(0).length - 512) / 512);

export function eduGuestImage(): Uint8Array {
  return Uint8Array.from(image(EDU_GUEST_SECTORS));
}

/** The guest at the start of a 1 MiB raw disk, as xl's `disk=` takes it. */
export const eduGuestDisk = (): Uint8Array => bootDisk(eduGuestImage());
