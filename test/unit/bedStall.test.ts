// What the host says of a stalled bed (test/xen/bedStall.ts): the vCPU's state from QEMU's
// `info registers` and the local APIC timer from `info lapic`, as QEMU 7.2 prints them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { lapicTimerSummary, registerSummary } from "../../test/xen/bedStall.ts";

const registers = (hlt: 0 | 1): string =>
  [
    "CPU#0",
    "RAX=0000000000000000 RBX=ffff830021c00000 RCX=0000000000000080 RDX=ffff830000000000",
    `RIP=ffff82d040216240 RFL=00000286 [--S--P-] CPL=0 II=0 A20=1 SMM=0 HLT=${hlt}`,
    "ES =0000 0000000000000000 00000000 00000000",
  ].join("\n");

const lapic = [
  "dumping local APIC state for CPU 0 ",
  "",
  "LVT0\t 0x00010700 active-hi edge  masked                      ExtINT (vec 0)",
  "LVTT\t 0x000000fa active-hi edge                 one-shot     Fixed  (vec 250)",
  "Timer\t DCR=0xb (divide by 1) initial_count = 776288 current_count = 0",
  "SPIV\t 0x000001ff APIC enabled, focus=off, spurious vec 255",
  "ISR\t (none)",
  "IRR\t 250 ",
].join("\n");

const registerRows: [string, string, string][] = [
  ["halted", registers(1), "vCPU halted at RIP ffff82d040216240 (CPL 0)"],
  ["running", registers(0), "vCPU running at RIP ffff82d040216240 (CPL 0)"],
  ["the monitor's error", "(QEMU's monitor did not answer \"info registers\" within 10000 ms)", "registers unreadable: (QEMU's monitor did not answer \"info registers\" within 10000 ms)"],
];
for (const [name, text, want] of registerRows) {
  test(`registerSummary: ${name}`, () => assert.is(registerSummary(text), want));
}

test("lapicTimerSummary: the timer, its count, and the vectors in service and pending", () => {
  assert.is(
    lapicTimerSummary(lapic),
    "LAPIC LVTT 0x000000fa active-hi edge one-shot Fixed (vec 250); Timer DCR=0xb (divide by 1) initial_count = 776288 current_count = 0; ISR (none); IRR 250",
  );
});

test("lapicTimerSummary: an answer without the timer says so", () => {
  assert.is(lapicTimerSummary("unknown command: 'info lapic'"), "LAPIC unreadable: unknown command: 'info lapic'");
});

test.run();
