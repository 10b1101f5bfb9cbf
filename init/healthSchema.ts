// The health contract: every key the stubdom writes under /local/domain/<S>/data/stubdom/, the
// form of its value and what it means. One TypeBox schema per level, as the settings have theirs
// (configSchema.ts): the init writes by these names (healthModel.ts), `stubdomctl status` and
// `watch` read by them, README's health table is rendered from them, and the tests check what is
// written against them. The init bundle gets plain JSON Schema (init/bundle.ts); so this module
// exports data only. `form` says in words what a value's pattern admits, for the README.
import Type, { type Static } from "typebox";

/** Relative to the stubdom's own /local/domain/<S> (libxl makes `data` writable by the domain). */
export const HEALTH_DIR = "data/stubdom";

const count = (description: string) => Type.String({ pattern: "^[0-9]+$", description });
const maybeCount = (description: string) => Type.String({ pattern: "^([0-9]+)?$", description });

export const HealthSchema = Type.Object({
  state: Type.Union([Type.Literal("booting"), Type.Literal("running"), Type.Literal("degraded"), Type.Literal("failed"), Type.Literal("stopping")], {
    description: "The stubdom as a whole. Written after every other key of a change, so a watcher on it finds the rest current.",
  }),
  error: Type.String({
    description: "A sentence for every state but running: what the boot is doing, why QEMU is down or restarting, what QMP did not answer, why it is stopping. Empty while running.",
  }),
  "config-problems": Type.String({ description: "One line per refused or unknown setting, naming where it came from and the value kept. Empty when there is none." }),
  "mem-available-kb": maybeCount("MemAvailable: what the stubdom can still spend, in kB; empty when unknown."),
  "mem-free-kb": maybeCount("MemFree, in kB; empty when unknown."),
  "xen-version": Type.String({ description: "The Xen the stubdom runs on (4.20.4), from /sys/hypervisor; empty when it cannot tell (dev mode)." }),
  "image-xen-release": Type.String({
    description: "The Xen release whose libraries the image carries (4.17); when the running Xen is another release, the state is degraded and error says so.",
  }),
});

/** The keys of each supervised program, under `<service>/`. */
export const ServiceHealthSchema = Type.Object({
  state: Type.Union([Type.Literal("down"), Type.Literal("starting"), Type.Literal("up"), Type.Literal("backoff"), Type.Literal("stopping"), Type.Literal("failed")], {
    description: "The service's state; written after its other keys.",
  }),
  pid: maybeCount("Its pid inside the stubdom while it runs; empty otherwise."),
  restarts: count("Starts after the first."),
  "last-exit": Type.String({ pattern: "^(code:[0-9]+|signal:SIG[A-Z0-9]+)?$", form: "`code:N`, `signal:NAME` or empty", description: "How its last run ended, `code:N` or `signal:NAME`; empty before the first end." }),
  since: Type.String({ pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$", form: "ISO 8601 date", description: "When its state began (UTC)." }),
});

/** QEMU's keys besides the service ones, under `qemu/`. */
export const QemuHealthSchema = Type.Object({
  status: Type.String({ description: "QMP `query-status` (running, paused, ...), `no answer`, or empty before the first check." }),
  "rss-kb": maybeCount("QEMU's VmRSS in kB while it is up; empty otherwise."),
});

/** The display bridge's keys besides the service ones, under `display/`. */
export const DisplayHealthSchema = Type.Object({
  mode: Type.String({ pattern: "^([0-9]+x[0-9]+)?$", form: "`WIDTHxHEIGHT` or empty", description: "The guest's screen mode as QEMU draws it (720x400 in VGA text mode); empty before the bridge has connected." }),
  frames: count("Screen updates copied into the vfb since the bridge last connected to QEMU."),
  error: Type.String({ description: "The bridge's last problem since it connected to QEMU (no vkbd, a vfb dom0 does not serve, a mode larger than the vfb); while it is not empty the state is degraded." }),
});

/** The supervised programs, by the name their keys go under. */
export const SERVICES = {
  qemu: "the device model",
  display: "the display bridge: the guest's screen into the vfb and the vkbd's keys into QEMU, while libxl gives the stubdom a vfb (vnc=1, xl's default)",
  "qmp-proxy": "vchan-socket-proxy, libxl's QMP path, on Xen only; when it is not up the state is degraded",
  "console-proxy": "vchan-socket-proxy serving dom0's console channel (`stubdomctl console`), on Xen only; when it is not up the state is degraded",
  "debug-shell": "the root shell on hvc0, while the debug-shell setting is on",
} as const;

/** The boot steps timed under `boot-ms/<step>`, in milliseconds. */
export const BOOT_STEPS = {
  mounts: "mounting /proc, /sys, /dev, /dev/pts, /tmp",
  modules: "loading kernel modules, in an image that has them",
  config: "reading libxl's keys: domid, target, vm, dm-argv",
  network: "bridging each PV NIC with its QEMU tap",
  "qemu-spawn": "spawning QEMU",
} as const;

export type HealthKey = keyof Static<typeof HealthSchema>;
export type ServiceHealthKey = keyof Static<typeof ServiceHealthSchema>;
export type QemuHealthKey = keyof Static<typeof QemuHealthSchema>;
export type DisplayHealthKey = keyof Static<typeof DisplayHealthSchema>;
export type ServiceName = keyof typeof SERVICES;
export type BootStep = keyof typeof BOOT_STEPS;
