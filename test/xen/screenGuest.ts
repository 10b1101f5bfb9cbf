// The Xen tier's guest for the screen and keyboard: one boot sector. It switches to VGA text mode
// 3 with the cursor off, writes SCREEN_TEXT in white on blue at the top left, and says so on COM1.
// Then it reports each key the BIOS reads (int 16h) as "key <scancode in hex>" on COM1; the key
// GRAPHICS_SCANCODE ('g') switches to mode 13h (320x200, 256 colours) and draws sixteen vertical
// bars, bar i in palette colour i, and says so; then REDRAW_SCANCODE ('r') starts redrawing the
// whole screen without end. Everything the test compares is what QEMU draws
// from the guest's VGA, so the pictures of the same moment match pixel for pixel whichever QEMU
// (in dom0, or in our stubdom behind the display bridge) drew them.
import { assemble, bootDisk, bootSector, hi, lo, printRoutine, text } from "./bootSector.ts";

export const SCREEN_TEXT = "STUBDOM SCREEN TEST 0123456789";
export const SAID_TEXT = "screen: text";
export const SAID_GRAPHICS = "screen: graphics";
/** The line the guest prints for a key, with the BIOS scancode as two lower-case hex digits. */
export const saidKey = (scancode: number): string => `key ${scancode.toString(16).padStart(2, "0")}`;
/** 'a' on a PC keyboard, and 'g', which also switches to graphics. */
export const A_SCANCODE = 0x1e;
export const GRAPHICS_SCANCODE = 0x22;
/**
 * 'r', in graphics mode: the guest redraws the whole screen for good, each frame in the next colour,
 * and writes FRAME_MARK on COM1 after each (the redraw benchmark).
 */
export const REDRAW_SCANCODE = 0x13;
export const FRAME_MARK = "f";
/** Mode 13h's width, and the width of each of the sixteen bars in it. */
export const GRAPHICS_WIDTH = 320;
export const GRAPHICS_HEIGHT = 200;
export const BAR_WIDTH = GRAPHICS_WIDTH / 16;

const COM1 = 0x3f8;
const ATTRIBUTE = 0x1f; // white on blue, no blink

export function screenGuestSector(): Uint8Array {
  const code = assemble(
    [
      0x31, 0xc0, // xor ax, ax
      0x8e, 0xd8, // mov ds, ax
      0xfc, // cld
      0xb8, 0x03, 0x00, // mov ax, 0x0003 (text mode 3, screen cleared)
      0xcd, 0x10, // int 10h
      0xb4, 0x01, // mov ah, 1
      0xb9, 0x00, 0x20, // mov cx, 0x2000 (cursor off)
      0xcd, 0x10, // int 10h
      0xb8, 0x00, 0xb8, // mov ax, 0xb800
      0x8e, 0xc0, // mov es, ax
      0x31, 0xff, // xor di, di
      0xbe, { abs16: "screenText" }, // mov si, screenText
      0xb4, ATTRIBUTE, // mov ah, ATTRIBUTE
      { label: "cell" },
      0xac, // lodsb
      0x84, 0xc0, // test al, al
      0x74, { rel8: "written" }, // jz written
      0xab, // stosw (character and attribute)
      0xeb, { rel8: "cell" }, // jmp cell
      { label: "written" },
      0xbe, { abs16: "saidText" }, // mov si, saidText
      0xe8, { rel16: "print" }, // call print
      { label: "keys" },
      0xb4, 0x00, // mov ah, 0
      0xcd, 0x16, // int 16h (waits for a key: ah = scancode)
      0x50, // push ax
      0xbe, { abs16: "keyWord" }, // mov si, keyWord
      0xe8, { rel16: "print" }, // call print
      0x58, // pop ax
      0x50, // push ax
      0x88, 0xe0, // mov al, ah
      0xe8, { rel16: "hexByte" }, // call hexByte
      0xbe, { abs16: "lineEnd" }, // mov si, lineEnd
      0xe8, { rel16: "print" }, // call print
      0x58, // pop ax
      0x80, 0xfc, REDRAW_SCANCODE, // cmp ah, REDRAW_SCANCODE
      0x74, { rel8: "redraw" }, // je redraw
      0x80, 0xfc, GRAPHICS_SCANCODE, // cmp ah, GRAPHICS_SCANCODE
      0x75, { rel8: "keys" }, // jne keys
      0xb8, 0x13, 0x00, // mov ax, 0x0013
      0xcd, 0x10, // int 10h
      0xb8, 0x00, 0xa0, // mov ax, 0xa000
      0x8e, 0xc0, // mov es, ax
      0x31, 0xff, // xor di, di
      0xba, lo(GRAPHICS_HEIGHT), hi(GRAPHICS_HEIGHT), // mov dx, rows
      { label: "row" },
      0x30, 0xdb, // xor bl, bl (colour 0)
      { label: "bar" },
      0x88, 0xd8, // mov al, bl
      0x88, 0xdc, // mov ah, bl
      0x66, 0xc1, 0xe0, 0x10, // shl eax, 16
      0x88, 0xd8, // mov al, bl
      0x88, 0xdc, // mov ah, bl
      0xb9, lo(BAR_WIDTH / 4), hi(BAR_WIDTH / 4), // mov cx, BAR_WIDTH / 4
      0xf3, 0x66, 0xab, // rep stosd (each write to VGA memory is an exit to the device model: 4 bytes at a time)
      0xfe, 0xc3, // inc bl
      0x80, 0xfb, 0x10, // cmp bl, 16
      0x72, { rel8: "bar" }, // jb bar
      0x4a, // dec dx
      0x75, { rel8: "row" }, // jnz row
      0xbe, { abs16: "saidGraphics" }, // mov si, saidGraphics
      0xe8, { rel16: "print" }, // call print
      0xeb, { rel8: "keys" }, // jmp keys
      { label: "redraw" },
      0xb8, 0x00, 0xa0, // mov ax, 0xa000
      0x8e, 0xc0, // mov es, ax
      { label: "frame" },
      0x31, 0xff, // xor di, di
      0x88, 0xd8, // mov al, bl
      0x88, 0xdc, // mov ah, bl
      0x66, 0xc1, 0xe0, 0x10, // shl eax, 16
      0x88, 0xd8, // mov al, bl
      0x88, 0xdc, // mov ah, bl
      0xb9, lo(GRAPHICS_WIDTH * GRAPHICS_HEIGHT / 4), hi(GRAPHICS_WIDTH * GRAPHICS_HEIGHT / 4), // mov cx, dwords
      0xf3, 0x66, 0xab, // rep stosd
      0xfe, 0xc3, // inc bl (the next frame's colour)
      0xba, lo(COM1), hi(COM1), // mov dx, COM1
      0xb0, FRAME_MARK.charCodeAt(0), // mov al, FRAME_MARK
      0xee, // out dx, al
      0xeb, { rel8: "frame" }, // jmp frame
      { label: "hexByte" },
      0x50, // push ax
      0xc0, 0xe8, 0x04, // shr al, 4
      0xe8, { rel16: "nibble" }, // call nibble
      0x58, // pop ax
      0x24, 0x0f, // and al, 0x0f
      { label: "nibble" },
      0x24, 0x0f, // and al, 0x0f
      0x04, 0x30, // add al, '0'
      0x3c, 0x39, // cmp al, '9'
      0x76, { rel8: "digit" }, // jbe digit
      0x04, 0x27, // add al, 'a' - '0' - 10
      { label: "digit" },
      0xba, lo(COM1), hi(COM1), // mov dx, COM1
      0xee, // out dx, al
      0xc3, // ret
      ...printRoutine(COM1),
      { label: "screenText" }, ...text(SCREEN_TEXT),
      { label: "saidText" }, ...text(`${SAID_TEXT}\r\n`),
      { label: "saidGraphics" }, ...text(`${SAID_GRAPHICS}\r\n`),
      { label: "keyWord" }, ...text("key "),
      { label: "lineEnd" }, ...text("\r\n"),
    ],
    "screen guest",
  );
  return bootSector("screen guest", code);
}

export const screenGuestDisk = (): Uint8Array => bootDisk(screenGuestSector());
