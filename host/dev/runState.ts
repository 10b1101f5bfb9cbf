// Where a live `stubdomctl run` says what it serves, so `status`, `watch` and `console` find the
// dev-mode daemon and consoles: `<state dir>/run.json`, written once the sockets listen and
// removed when the run stops. A file whose process is gone is stale and ignored.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunState {
  /** The `stubdomctl run` process. */
  pid: number;
  /** Its xenstored's dom0 socket. */
  socket: string;
  stubdom: number;
  guest: number;
  /** The stubdom's name in XenStore (`<guest name>-dm`). */
  name: string;
  /** Console number → the unix socket `stubdomctl console` attaches to. */
  consoles: Record<string, string>;
  /** The stubdom VM's QEMU process. */
  qemuPid?: number;
}

export const RUN_STATE_FILE = "run.json";

/**
 * `$STUBDOM_RUN_DIR`, else `/run/stubdom-init` for root, else `$XDG_RUNTIME_DIR/stubdom-init`,
 * else a per-user directory under the temporary directory. Unix socket paths must stay short.
 */
export function runStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STUBDOM_RUN_DIR) return env.STUBDOM_RUN_DIR;
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return "/run/stubdom-init";
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "stubdom-init");
  return join(tmpdir(), `stubdom-init-${uid}`);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The state of the run that owns `dir`, or undefined when there is none or it has ended. */
export function readLiveRunState(dir: string = runStateDir()): RunState | undefined {
  let state: RunState;
  try {
    state = JSON.parse(readFileSync(join(dir, RUN_STATE_FILE), "utf8")) as RunState;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(state.pid) || typeof state.socket !== "string" || !processAlive(state.pid)) return undefined;
  return state;
}

/** Written whole then renamed, so a reader never sees half a file. */
export function writeRunState(dir: string, state: RunState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${RUN_STATE_FILE}.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(state, null, 1) + "\n", { mode: 0o600 });
  renameSync(tmp, join(dir, RUN_STATE_FILE));
}

export function removeRunState(dir: string): void {
  rmSync(join(dir, RUN_STATE_FILE), { force: true });
}
