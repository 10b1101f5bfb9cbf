// The dev-mode demo: guest domain 1 served by stubdom 2, whose device model is TCG QEMU booting
// the boot-sector demo guest with its serial port on hvc3, as libxl puts a guest's serial.
import { DEMO_GUEST_PATH } from "../image/flavours.ts";

export const DEMO = {
  guest: 1,
  stubdom: 2,
  uuid: "00000000-0000-4000-8000-000000000001",
  name: "demo",
  consoles: [1, 2, 3],
} as const;

export const demoArgv = (guestImage = DEMO_GUEST_PATH): string[] => [
  "-accel", "tcg",
  "-nodefaults", "-no-user-config",
  "-name", DEMO.name,
  "-display", "none",
  "-serial", "/dev/hvc3",
  "-m", "16",
  "-drive", `file=${guestImage},format=raw,if=ide,index=0,media=disk`,
  "-boot", "order=c",
  "-net", "none",
  "-no-shutdown",
];
