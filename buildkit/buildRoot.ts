// Where a build's commands run: on this host, or inside a Debian root of another suite (a chroot,
// buildkit/debianChroot.ts). Either way a command sees the build's work directory, a host
// directory, so a build (the lean QEMU's) is one code path for both.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A command as the host spawns it. */
export interface CommandLine {
  cmd: string;
  args: string[];
  cwd: string;
}

/**
 * Turns `cmd args`, to run in `dir` (a host directory under the runner's work directory), into
 * the command line that runs it in the root. Paths among the args are relative to `dir`.
 */
export type CommandRunner = (cmd: string, args: readonly string[], dir: string) => CommandLine;

export interface BuildRoot {
  /** The Debian suite whose compiler, libraries and sources the commands get ("bookworm", "trixie"). */
  suite: string;
  /** For logs: "this host", or the chroot's directory. */
  where: string;
  /** A runner whose commands see the host directory `work` and what lies below it. */
  at(work: string): CommandRunner;
}

/** VERSION_CODENAME of an os-release file's text. */
export function osReleaseCodename(text: string): string | undefined {
  return /^VERSION_CODENAME=["']?([a-z]+)["']?$/m.exec(text)?.[1];
}

/** This host as a build root: commands run as they are, in the directory asked for. */
export function hostBuildRoot(osRelease = "/etc/os-release"): BuildRoot {
  const suite = osReleaseCodename(readFileSync(osRelease, "utf8"));
  if (!suite) throw new Error(`${osRelease} names no VERSION_CODENAME: which Debian suite is this host?`);
  return { suite, where: "this host", at: () => (cmd, args, dir) => ({ cmd, args: [...args], cwd: dir }) };
}

/** Runs a short command of a root; its stdout, or an error naming the command, where it ran, and its stderr. */
export function runIn(runner: CommandRunner, cmd: string, args: readonly string[], dir: string): string {
  const line = runner(cmd, args, dir);
  try {
    return execFileSync(line.cmd, line.args, { cwd: line.cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`${cmd} ${args.join(" ")} (in ${dir}) failed: ${stderr.split("\n").slice(-5).join("\n") || (e as Error).message}`);
  }
}

/** The host path `dir` (under `work`) as a command in a root that sees `work` at `mount`. */
export function pathInside(work: string, dir: string, mount: string): string {
  const w = work.replace(/\/+$/, "");
  if (dir !== w && !dir.startsWith(`${w}/`)) throw new Error(`${dir} is not under the build's work directory ${w}`);
  return join(mount, dir.slice(w.length));
}
