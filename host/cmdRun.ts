// `stubdomctl run`: dev mode end to end. Starts our xenstored, writes libxl's keys for the demo
// guest, boots the stubdom VM, waits (bounded) for health `running`, and says where to look.
import { parseArgs } from "node:util";
import { outputs } from "./build.ts";
import { DEMO, demoArgv } from "./demo.ts";
import { DevStubdom } from "./devStubdom.ts";
import { DEMO_GUEST_LINE } from "../qemu/demoGuest.ts";

export const RUNNING_TIMEOUT_MS = 180_000;
const GUEST_LINE_TIMEOUT_MS = 60_000;

async function dumpHealth(ds: DevStubdom, dir: string, indent = "  "): Promise<string[]> {
  const lines: string[] = [];
  for (const child of await ds.xs.directory(dir).catch(() => [])) {
    const path = `${dir}/${child}`;
    const value = await ds.xs.readString(path).catch(() => "");
    lines.push(`${indent}${child} = ${JSON.stringify(value)}`);
    lines.push(...(await dumpHealth(ds, path, indent + "  ")));
  }
  return lines;
}

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { memory: { type: "string" }, once: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write("usage: stubdomctl run [--memory MiB] [--once]\n  --once  stop everything as soon as the stubdom is running\n");
    return 0;
  }
  const memoryMiB = values.memory === undefined ? undefined : Number(values.memory);
  if (memoryMiB !== undefined && !(Number.isInteger(memoryMiB) && memoryMiB >= 32)) {
    process.stderr.write(`stubdomctl run: --memory ${JSON.stringify(values.memory)} is not a whole number of MiB ≥ 32\n`);
    return 2;
  }
  const step = (s: string): void => console.log(`run: ${s}`);
  step("starting xenstored and seeding the demo guest's keys (guest 1, stubdom 2)");
  const ds = await DevStubdom.start({
    kernel: outputs.kernel,
    rootfs: outputs.devRootfs,
    memoryMiB,
    seed: { ...DEMO, argv: demoArgv() },
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    step("stopping");
    await ds.stop();
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void stop());
  ds.vm.hvc[0].lines.onLine((l) => console.log(`hvc0| ${l}`));
  ds.vm.hvc[3].lines.onLine((l) => console.log(`guest serial (hvc3)| ${l}`));
  step(`stubdom VM booting (QEMU pid ${ds.vm.pid}, sockets in ${ds.runDir})`);
  const t0 = Date.now();
  try {
    await ds.waitRunning(RUNNING_TIMEOUT_MS);
  } catch (e) {
    process.stderr.write(`stubdomctl run: ${(e as Error).message}\n--- kernel console ---\n${ds.vm.console.lines.all.slice(-4000)}\n`);
    await stop();
    return 1;
  }
  step(`health state = running after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  try {
    await ds.vm.hvc[3].lines.waitFor(new RegExp(DEMO_GUEST_LINE), GUEST_LINE_TIMEOUT_MS);
    step(`the demo guest printed its line on its serial port after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    process.stderr.write(`stubdomctl run: ${(e as Error).message}\n`);
  }
  const healthDir = `/local/domain/${DEMO.stubdom}/data/stubdom`;
  console.log(`${healthDir}:\n${(await dumpHealth(ds, healthDir)).join("\n")}`);
  console.log(`
inspect it:
  XENSTORED_PATH=${ds.socket} xenstore-ls -p /local/domain/${DEMO.stubdom}
  the guest's serial (hvc3) and the supervisor log (hvc0) print here, prefixed.
Ctrl-C stops the VM and the daemon.`);
  if (values.once) {
    await stop();
    return 0;
  }
  await ds.vm.exited;
  await stop();
  return 0;
}
