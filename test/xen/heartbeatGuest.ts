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

export const GUEST_HELLO = DEMO_GUEST_LINE;
export const GUEST_BEAT = "beat";
export const GUEST_BYE = "power button: soft-off";
/** The beat line when the scratch register no longer holds the guest's value. */
export const GUEST_LOST = "beat: UART scratch register lost";
/** About 10 s between beats: longer than a QEMU restart inside the stubdom takes. */
export const BEAT_TICKS = 182;
export const BEAT_SECONDS = BEAT_TICKS / 18.2;

const ORIGIN = 0x7c00;
const BDA_TICKS = 0x046c;
const COM1 = 0x3f8;
const COM1_SCRATCH = COM1 + 7;
const SCRATCH_VALUE = 0xa5;
const PM1A_STS = 0xb000;
const PM1A_CNT = 0xb004;
const SLP_EN = 0x2000;
const PWRBTN_STS_HIGH_BYTE = 0x01; // bit 8 of PM1a_STS

type Item = number | { rel8: string } | { rel16: string } | { abs16: string } | { label: string };

const lo = (n: number): number => n & 0xff;
const hi = (n: number): number => (n >> 8) & 0xff;

/** Lays out bytes, labels and jumps; resolves them in a second pass. */
function assemble(items: readonly Item[]): number[] {
  const labels = new Map<string, number>();
  let at = 0;
  const size = (i: Item): number => (typeof i === "number" ? 1 : "label" in i ? 0 : "rel8" in i ? 1 : 2);
  for (const i of items) {
    if (typeof i === "object" && "label" in i) labels.set(i.label, at);
    at += size(i);
  }
  const where = (name: string): number => {
    const v = labels.get(name);
    if (v === undefined) throw new Error(`heartbeat guest: no label ${name}`);
    return v;
  };
  const out: number[] = [];
  for (const i of items) {
    if (typeof i === "number") out.push(i);
    else if ("rel8" in i) {
      const d = where(i.rel8) - (out.length + 1);
      if (d < -128 || d > 127) throw new Error(`heartbeat guest: jump to ${i.rel8} out of range`);
      out.push(d & 0xff);
    } else if ("rel16" in i) {
      const d = where(i.rel16) - (out.length + 2);
      out.push(lo(d), hi(d));
    } else if ("abs16" in i) out.push(lo(ORIGIN + where(i.abs16)), hi(ORIGIN + where(i.abs16)));
  }
  return out;
}

const text = (s: string): number[] => [...Array.from(s, (c) => c.charCodeAt(0)), 0];

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
    { label: "print" },
    0xba, lo(COM1), hi(COM1), // mov dx, COM1
    { label: "next" },
    0xac, // lodsb
    0x84, 0xc0, // test al, al
    0x74, { rel8: "done" }, // jz done
    0xee, // out dx, al
    0xeb, { rel8: "next" }, // jmp next
    { label: "done" },
    0xc3, // ret
    { label: "hello" }, ...text(`${GUEST_HELLO}\r\n`),
    { label: "beatLine" }, ...text(`${GUEST_BEAT}\r\n`),
    { label: "lostLine" }, ...text(`${GUEST_LOST}\r\n`),
    { label: "bye" }, ...text(`${GUEST_BYE}\r\n`),
  ]);
  if (code.length > 510) throw new Error(`heartbeat guest is ${code.length} bytes; a boot sector holds 510`);
  const sector = new Uint8Array(512);
  sector.set(code, 0);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** The sector at the start of a 1 MiB raw disk, as xl's `disk=` takes it. */
export function heartbeatGuestDisk(beatTicks = BEAT_TICKS): Uint8Array {
  const disk = new Uint8Array(1 << 20);
  disk.set(heartbeatGuestSector(beatTicks), 0);
  return disk;
}
