// The real init's memory as PID 1: the dev rootfs's stubjs + init bundle booted by the native
// tier's harness (unshare'd PID namespace, our xenstored, real QEMU), read from /proc once health
// says running. VmHWM is the peak RSS so far; VmRSS what it holds at that moment.
import { existsSync, readFileSync } from "node:fs";
import { outputs } from "../../host/image/build.ts";
import { NativeStubdom, SHARED } from "../../test/support/nativeStubdom.ts";
import { DEMO_GUEST_PATH } from "../../host/image/flavours.ts";

export interface InitMemory {
  vmHwmKb: number;
  vmRssKb: number;
}

const demoArgv = [
  "-accel", "tcg", "-nodefaults", "-no-user-config", "-display", "none", "-m", "16",
  "-serial", `unix:${SHARED}/serial.sock`,
  "-drive", `file=${DEMO_GUEST_PATH},format=raw,if=ide,index=0,media=disk`, "-boot", "order=c", "-net", "none", "-no-shutdown",
];

/** Undefined (with the reason) when the dev rootfs is not built or this is not root. */
export function initRssUnavailable(): string | undefined {
  if (!existsSync(outputs.devRootfs)) return `${outputs.devRootfs} is not built (npm run build)`;
  if (process.getuid?.() !== 0) return "needs root (unshare, mount)";
  return undefined;
}

const statusKb = (pid: number, key: string): number => {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no ${key} in /proc/${pid}/status`);
  return Number(m[1]);
};

export async function measureInit(boundMs = 60_000): Promise<InitMemory> {
  const s = await NativeStubdom.start({ rootfs: outputs.devRootfs, seed: { stubdom: 5, guest: 4, uuid: "bench-1", name: "bench", argv: demoArgv } });
  try {
    await s.waitHealth("state", (v) => v === "running", boundMs);
    const pid = s.initHostPid();
    return { vmHwmKb: statusKb(pid, "VmHWM"), vmRssKb: statusKb(pid, "VmRSS") };
  } finally {
    await s.stop();
  }
}
