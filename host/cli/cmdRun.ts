// `stubdomctl run`: dev mode end to end. Starts our xenstored, writes libxl's keys for the demo
// guest, boots the stubdom VM, waits (bounded) for health `running`, publishes where its sockets
// are (run.json in the state dir) and says how to look. Ctrl-C stops everything it started.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { outputs } from "../image/build.ts";
import { CliError, EXIT, EXIT_CODES_HELP, parseFlags, usageError } from "./args.ts";
import { formatDetails, formatTable, readStubdom } from "./healthView.ts";
import { appendGuestImage, GUEST_IMAGE_PATH } from "./guestImage.ts";
import { readLiveRunState, removeRunState, runStateDir, writeRunState, type RunState } from "../dev/runState.ts";
import { DEMO, demoArgv } from "../dev/demo.ts";
import { DevStubdom } from "../dev/devStubdom.ts";
import { HVC_COUNT } from "../dev/devVm.ts";
import { DEMO_GUEST_LINE } from "../../qemu/demoGuest.ts";

export const RUNNING_TIMEOUT_MS = 180_000;
const GUEST_LINE_TIMEOUT_MS = 60_000;
const DEFAULT_MEMORY_MIB = 512;
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export const RUN_HELP = `usage: stubdomctl run [--guest IMAGE] [--memory MiB] [--once] [-v]

Dev mode, no Xen: starts the development xenstored, seeds libxl's keys for guest ${DEMO.guest} and
stubdom ${DEMO.stubdom}, boots the stubdom kernel and rootfs under QEMU (TCG) with consoles hvc0..hvc3,
waits up to ${RUNNING_TIMEOUT_MS / 1000} s for its health state to be running, and prints how to inspect it.
One progress line per step, each starting "run: ". Ctrl-C stops the VM and the daemon and removes
the sockets: no process is left behind (exit 0 once all is stopped).

While it runs, its state dir ($STUBDOM_RUN_DIR, default /run/stubdom-init for root) holds
xenstored.sock and run.json, which \`stubdomctl status\`, \`watch\` and \`console\` read.

options:
  --guest IMAGE   boot this disk image (raw or qcow2) as the guest instead of the demo boot sector
  --memory MiB    the stubdom VM's memory (default ${DEFAULT_MEMORY_MIB}, at least 32)
  --once          stop everything as soon as the stubdom is running (and the demo guest has spoken)
  -v, --verbose   also print the supervisor log (hvc0) and the guest serial (hvc3) as they arrive
  -h, --help      this text

${EXIT_CODES_HELP}`;

/** The build outputs, wherever the command is run from. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const built = (path: string): string => {
  const abs = resolve(ROOT, path);
  if (!existsSync(abs)) throw new CliError(`${abs} does not exist: build it first (npm run build)`, EXIT.failed);
  return abs;
};

const consolePath = (dir: string, n: number): string => join(dir, `console-hvc${n}.sock`);

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseFlags("run", args, {
    guest: { type: "string" },
    memory: { type: "string" },
    once: { type: "boolean" },
    verbose: { type: "boolean", short: "v" },
  });
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return EXIT.ok;
  }
  const memoryMiB = values.memory === undefined ? DEFAULT_MEMORY_MIB : Number(values.memory);
  if (!/^[0-9]+$/.test(values.memory ?? "0") || !(memoryMiB >= 32 && memoryMiB <= 65536)) {
    throw usageError(`--memory ${JSON.stringify(values.memory)} is not a whole number of MiB from 32 to 65536`);
  }
  const kernel = built(outputs.kernel);
  const rootfs = built(outputs.devRootfs);
  const dir = runStateDir();
  const other = readLiveRunState(dir);
  if (other) throw new CliError(`another run (pid ${other.pid}) owns ${dir}: stop it, or set STUBDOM_RUN_DIR to another directory`, EXIT.failed);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const guest = values.guest === undefined ? undefined : appendGuestImage(values.guest, rootfs, dir, memoryMiB);
  const argv = guest ? demoArgv(GUEST_IMAGE_PATH).map((a) => (a.startsWith("file=") ? a.replace("format=raw", `format=${guest.format}`) : a)) : demoArgv();

  // From here on a signal means: stop what is started, then return.
  let interrupted: string | undefined;
  const signalled = new Promise<string>((resolve) => {
    const on = (sig: string): void => {
      if (interrupted === undefined) console.log(`run: ${sig}: stopping`);
      interrupted ??= sig;
      resolve(sig);
    };
    for (const sig of SIGNALS) process.on(sig, on);
  });
  const step = (s: string): void => console.log(`run: ${s}`);
  const t0 = Date.now();
  const secs = (): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

  const ds = await DevStubdom.start({ kernel, rootfs: guest?.rootfs ?? rootfs, memoryMiB, runDir: dir, seed: { ...DEMO, argv } }).catch((e: Error) => {
    if (guest) rmSync(guest.rootfs, { force: true });
    throw e;
  });
  step(`xenstored serving ${ds.socket}`);
  step(`seeded guest ${DEMO.guest} (${DEMO.name}) and stubdom ${DEMO.stubdom} (${DEMO.name}-dm): ${argv.length} QEMU arguments${guest ? `, guest image ${values.guest} (${guest.format})` : ""}`);
  const stop = async (): Promise<void> => {
    await ds.stop();
    removeRunState(dir);
    for (let n = 0; n < HVC_COUNT; n++) rmSync(consolePath(dir, n), { force: true });
    if (guest) rmSync(guest.rootfs, { force: true });
  };
  try {
    const consoles: Record<string, string> = {};
    for (let n = 0; n < HVC_COUNT; n++) {
      await ds.vm.hvc[n].serveAttach(consolePath(dir, n));
      consoles[String(n)] = consolePath(dir, n);
    }
    const state: RunState = { pid: process.pid, socket: ds.socket, stubdom: DEMO.stubdom, guest: DEMO.guest, name: `${DEMO.name}-dm`, consoles, qemuPid: ds.vm.pid };
    writeRunState(dir, state);
    if (values.verbose) {
      ds.vm.hvc[0].lines.onLine((l) => console.log(`hvc0| ${l}`));
      ds.vm.hvc[3].lines.onLine((l) => console.log(`hvc3| ${l}`));
    }
    step(`stubdom VM started: QEMU pid ${ds.vm.pid}, consoles hvc0..hvc${HVC_COUNT - 1}, state in ${dir}`);
    step(`waiting up to ${RUNNING_TIMEOUT_MS / 1000} s for ${ds.healthPath("state")} = running`);
    const booted = await Promise.race([
      ds.waitRunning(RUNNING_TIMEOUT_MS).then(
        () => undefined,
        (e: Error) => e,
      ),
      signalled.then(() => undefined),
    ]);
    if (interrupted !== undefined) return EXIT.ok;
    if (booted) {
      process.stderr.write(`stubdomctl run: ${booted.message}\n--- kernel console (last lines) ---\n${ds.vm.console.lines.all.slice(-4000)}\n--- hvc0 (last lines) ---\n${ds.vm.hvc[0].lines.all.slice(-4000)}\n`);
      return EXIT.failed;
    }
    const qemuInside = await ds.xs.readString(ds.healthPath("qemu/pid")).catch(() => "?");
    step(`stubdom ${DEMO.stubdom} is running after ${secs()} (its device model is pid ${qemuInside} inside)`);
    if (!guest) {
      const spoke = await Promise.race([ds.vm.hvc[3].lines.waitFor(new RegExp(DEMO_GUEST_LINE), GUEST_LINE_TIMEOUT_MS).then(() => true, () => false), signalled.then(() => false)]);
      if (interrupted !== undefined) return EXIT.ok;
      if (spoke) step(`the demo guest printed its line on hvc3 after ${secs()}: ${DEMO_GUEST_LINE}`);
      else step(`the demo guest printed nothing on hvc3 within ${GUEST_LINE_TIMEOUT_MS / 1000} s`);
    }
    const health = await readStubdom(ds.xs, DEMO.stubdom).catch(() => undefined);
    if (health) process.stdout.write(`\n${formatTable([health])}${formatDetails(health, true)}`);
    console.log(`
inspect it:
  XENSTORED_PATH=${ds.socket} xenstore-ls -p /local/domain/${DEMO.stubdom}
  stubdomctl status ${DEMO.stubdom}
  stubdomctl watch ${DEMO.stubdom}
  stubdomctl console ${DEMO.stubdom} 3     the guest's serial (Ctrl-] detaches)
  stubdomctl console ${DEMO.stubdom} 0     the supervisor's log
Ctrl-C stops the VM and the daemon.`);
    if (values.once) return EXIT.ok;
    const exit = await Promise.race([ds.vm.exited, signalled.then(() => undefined)]);
    if (exit && interrupted === undefined) {
      step(`the stubdom VM exited by itself (code ${exit.code}, signal ${exit.signal})`);
      return EXIT.failed;
    }
    return EXIT.ok;
  } finally {
    await stop();
    step(`stopped: QEMU pid ${ds.vm.pid} has exited, xenstored is closed, ${dir} is clean`);
  }
}
