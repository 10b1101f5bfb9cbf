// The dev-mode demo guest: one 512-byte boot sector that prints a known line on COM1 and idles.
// It ends in `sti; hlt` (a halted CPU with interrupts off reads as powered off to Xen).

export const DEMO_GUEST_LINE = "stubdom demo guest: hello from the device model";

const ORIGIN = 0x7c00;

export function demoGuestImage(line = DEMO_GUEST_LINE): Uint8Array {
  const code = [
    0x31, 0xc0, // xor ax, ax
    0x8e, 0xd8, // mov ds, ax
    0xfc, // cld
    0xbe, 0, 0, // mov si, <message>   (patched below)
    0xba, 0xf8, 0x03, // mov dx, 0x3f8     (COM1 data port)
    0xac, // next: lodsb
    0x84, 0xc0, // test al, al
    0x74, 0x03, // jz idle
    0xee, // out dx, al
    0xeb, 0xf8, // jmp next
    0xfb, // idle: sti
    0xf4, // hlt
    0xeb, 0xfd, // jmp hlt
  ];
  const message = ORIGIN + code.length;
  code[6] = message & 0xff;
  code[7] = message >> 8;
  const text = Array.from(`${line}\r\n`, (ch) => ch.charCodeAt(0));
  const sector = new Uint8Array(512);
  if (code.length + text.length + 1 > 510) throw new Error(`demo guest line is too long (${line.length} characters)`);
  sector.set(code, 0);
  sector.set(text, code.length);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}
