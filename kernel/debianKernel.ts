// The stubdom kernel by default: Debian's cloud kernel .deb (apt-get download), unpacked and
// depmod'ed into the cache, keyed by the exact package and version.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheEntry, inputHash } from "../buildkit/cache.ts";

export interface KernelBuild {
  /** `uname -r` of the kernel, e.g. 6.1.0-56-cloud-amd64. */
  release: string;
  package: string;
  version: string;
  vmlinuz: string;
  /** `<dir>/lib/modules/<release>` with modules.dep. */
  modulesDir: string;
  /** The kernel's .config, as Debian ships it in /boot. */
  config: string;
  /** Everything the stubdom needs is built in (kernel/minimalKernel.ts): no module files, no module list. */
  builtIn?: boolean;
}

const run = (cmd: string, args: string[], cwd?: string): string =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** The ABI package behind the `linux-image-cloud-amd64` meta package, and its candidate version. */
export function resolveCloudKernel(meta = "linux-image-cloud-amd64"): { pkg: string; version: string } {
  const deps = run("apt-cache", ["depends", meta]);
  const pkg = /Depends:\s*(linux-image-\S+)/.exec(deps)?.[1];
  if (!pkg) throw new Error(`apt-cache depends ${meta} names no linux-image package; run apt-get update`);
  const version = /^Version:\s*(\S+)/m.exec(run("apt-cache", ["show", "--no-all-versions", pkg]))?.[1];
  if (!version) throw new Error(`apt-cache show ${pkg} gives no version`);
  return { pkg, version };
}

export function debianKernel(log: (s: string) => void = () => undefined): KernelBuild {
  const { pkg, version } = resolveCloudKernel();
  const release = pkg.replace(/^linux-image-/, "");
  // "with-config": entries made before the .config was kept lack it.
  const entry = cacheEntry("kernel", inputHash([pkg, version, "with-config"]));
  const result: KernelBuild = {
    release,
    package: pkg,
    version,
    vmlinuz: join(entry.dir, "vmlinuz"),
    modulesDir: join(entry.dir, "lib/modules", release),
    config: join(entry.dir, "config"),
  };
  if (entry.hit) {
    log(`kernel: ${pkg} ${version} (cached)`);
    return result;
  }
  log(`kernel: downloading ${pkg} ${version}`);
  const work = mkdtempSync(join(tmpdir(), "stubdom-kernel-"));
  try {
    run("apt-get", ["download", "-q", `${pkg}=${version}`], work);
    const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${work}`);
    run("dpkg-deb", ["-x", deb, "x"], work);
    run("depmod", ["-b", join(work, "x"), release]);
    cpSync(join(work, "x/boot", `vmlinuz-${release}`), result.vmlinuz);
    cpSync(join(work, "x/boot", `config-${release}`), result.config);
    cpSync(join(work, "x/lib/modules", release), result.modulesDir, { recursive: true });
    if (!existsSync(join(result.modulesDir, "modules.dep"))) throw new Error(`depmod wrote no modules.dep for ${release}`);
    writeFileSync(entry.stamp, `${pkg} ${version}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`kernel: ${pkg} ${version} unpacked`);
  return result;
}
