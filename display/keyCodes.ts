// Linux input keycodes (what xen-kbdfront reports, as the dom0 VNC server's xenfb backend sends
// them) to QEMU's key numbers ("qnum": the PC's XT scancode set 1, a 0xe0-prefixed code written
// 0x80 | code), which QEMU's extended key event takes. The numbers are the PC keyboard's, as
// keycodemapdb (QEMU's keymap source) lists them.

/** Keycodes 1-83 (Esc to keypad '.') are their own scancode; these are the rest of a PC keyboard. */
const BEYOND_83: Readonly<Record<number, number>> = {
  85: 0x76, // zenkaku/hankaku
  86: 0x56, // the key left of Z on ISO keyboards
  87: 0x57, // F11
  88: 0x58, // F12
  89: 0x73, // ro
  90: 0x78, // katakana
  91: 0x77, // hiragana
  92: 0x79, // henkan
  93: 0x70, // katakana/hiragana
  94: 0x7b, // muhenkan
  95: 0x5c, // keypad JP comma
  96: 0x9c, // keypad Enter
  97: 0x9d, // right Ctrl
  98: 0xb5, // keypad /
  99: 0x54, // SysRq
  100: 0xb8, // right Alt
  102: 0xc7, // Home
  103: 0xc8, // Up
  104: 0xc9, // Page Up
  105: 0xcb, // Left
  106: 0xcd, // Right
  107: 0xcf, // End
  108: 0xd0, // Down
  109: 0xd1, // Page Down
  110: 0xd2, // Insert
  111: 0xd3, // Delete
  113: 0xa0, // Mute
  114: 0xae, // Volume Down
  115: 0xb0, // Volume Up
  116: 0xde, // Power
  117: 0x59, // keypad =
  119: 0xc6, // Pause
  121: 0x7e, // keypad comma
  124: 0x7d, // yen
  125: 0xdb, // left Meta
  126: 0xdc, // right Meta
  127: 0xdd, // Compose (menu)
  142: 0xdf, // Sleep
  143: 0xe3, // Wake
};

/** The qnum of a Linux keycode, or undefined for a key a PC keyboard does not have. */
export function qnumOf(keycode: number): number | undefined {
  if (keycode >= 1 && keycode <= 83) return keycode;
  return BEYOND_83[keycode];
}
