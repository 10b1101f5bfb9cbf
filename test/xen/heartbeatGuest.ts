// The HVM guest of the Xen tier: one boot sector, given to xl as a 1 MiB raw disk. It prints the
// project's demo line on COM1, then a "beat" line every BEAT_TICKS BIOS timer ticks (18.2 Hz), so
// the test can see the device model still serving the guest after a QEMU restart. Between beats it
// sleeps in `sti; hlt` (with interrupts off Xen would read the halt as a power-off) and touches no
// port QEMU emulates: a restart is only safe while no I/O request is in flight.
// At boot it writes a value into the UART's scratch register, which QEMU keeps in the serial
// device's migration state, and at every beat reads it back: "beat" while it holds, "beat: UART
// scratch register lost" once it does not (a QEMU restarted from reset, a restore that lost the
// device state). At each beat it also reads ACPI PM1a_STS (Xen emulates it at 0xb000 for qemu-xen guests): once
// `xl shutdown -F` (or `xl trigger power`) has set the power button bit, it prints a last line and
// requests soft-off (SLP_EN, type 0) through PM1a_CNT, which QEMU handles by shutting the domain down.
import { DEMO_GUEST_LINE } from "../../qemu/demoGuest.ts";
import { assemble, bootDisk, bootSector, hi, lo, printRoutine, text } from "./bootSector.ts";

export const GUEST_HELLO = DEMO_GUEST_LINE;
export const GUEST_BEAT = "beat";
export const GUEST_BYE = "power button: soft-off";
/** The beat line when the scratch register no longer holds the guest's value. */
export const GUEST_LOST = "beat: UART scratch register lost";
/** About 10 s between beats: longer than a QEMU restart inside the stubdom takes. */
export const BEAT_TICKS = 182;
export const BEAT_SECONDS = BEAT_TICKS / 18.2;

const BDA_TICKS = 0x046c;
const COM1 = 0x3f8;
const COM1_SCRATCH = COM1 + 7;
const SCRATCH_VALUE = 0xa5;
const PM1A_STS = 0xb000;
const PM1A_CNT = 0xb004;
const SLP_EN = 0x2000;
const PWRBTN_STS_HIGH_BYTE = 0x01; // bit 8 of PM1a_STS

export function heartbeatGuestSector(beatTicks = BEAT_TICKS): Uint8Array {
  const code = assemble([
    0x31, 0xc0, // xor ax, ax
    0x8e, 0xd8, // mov ds, ax
    0xfc, // cld
    0xbe, { abs16: "hello" }, // mov si, hello
    0xe8, { rel16: "print" }, // call print
    0xba, lo(COM1_SCRATCH), hi(COM1_SCRATCH), // mov dx, COM1 scratch
    0xb0, SCRATCH_VALUE, // mov al, SCRATCH_VALUE
    0xee, // out dx, al
    { label: "beat" },
    0x8b, 0x1e, lo(BDA_TICKS), hi(BDA_TICKS), // mov bx, [ticks]
    { label: "sleep" },
    0xfb, // sti
    0xf4, // hlt
    0xa1, lo(BDA_TICKS), hi(BDA_TICKS), // mov ax, [ticks]
    0x29, 0xd8, // sub ax, bx
    0x3d, lo(beatTicks), hi(beatTicks), // cmp ax, beatTicks
    0x72, { rel8: "sleep" }, // jb sleep
    0xba, lo(PM1A_STS), hi(PM1A_STS), // mov dx, PM1a_STS
    0xed, // in ax, dx
    0x3d, 0xff, 0xff, // cmp ax, 0xffff   (nothing there: all ones)
    0x74, { rel8: "tick" }, // je tick
    0xf6, 0xc4, PWRBTN_STS_HIGH_BYTE, // test ah, PWRBTN_STS >> 8
    0x75, { rel8: "off" }, // jnz off
    { label: "tick" },
    0xbe, { abs16: "beatLine" }, // mov si, beatLine
    0xba, lo(COM1_SCRATCH), hi(COM1_SCRATCH), // mov dx, COM1 scratch
    0xec, // in al, dx
    0x3c, SCRATCH_VALUE, // cmp al, SCRATCH_VALUE
    0x74, { rel8: "say" }, // je say
    0xbe, { abs16: "lostLine" }, // mov si, lostLine
    { label: "say" },
    0xe8, { rel16: "print" }, // call print
    0xeb, { rel8: "beat" }, // jmp beat
    { label: "off" },
    0xbe, { abs16: "bye" }, // mov si, bye
    0xe8, { rel16: "print" }, // call print
    0xba, lo(PM1A_CNT), hi(PM1A_CNT), // mov dx, PM1a_CNT
    0xb8, lo(SLP_EN), hi(SLP_EN), // mov ax, SLP_EN (SLP_TYP 0: soft-off)
    0xef, // out dx, ax
    { label: "idle" },
    0xfb, // sti
    0xf4, // hlt
    0xeb, { rel8: "idle" }, // jmp idle
    ...printRoutine(COM1),
    { label: "hello" }, ...text(`${GUEST_HELLO}\r\n`),
    { label: "beatLine" }, ...text(`${GUEST_BEAT}\r\n`),
    { label: "lostLine" }, ...text(`${GUEST_LOST}\r\n`),
    { label: "bye" }, ...text(`${GUEST_BYE}\r\n`),
  ]);
  return bootSector("heartbeat guest", code);
}

/** The sector at the start of a 1 MiB raw disk, as xl's `disk=` takes it. */
export const heartbeatGuestDisk = (beatTicks = BEAT_TICKS): Uint8Array => bootDisk(heartbeatGuestSector(beatTicks));
