// The supervisor's settings: one TypeBox schema, the single source of their shape, defaults and
// documentation. The init bundle gets this as plain JSON Schema at build time (init/bundle.ts),
// so TypeBox itself never ships in the stubdom. `live: false` marks a setting read only at boot:
// a change from dom0 is said on hvc0 to wait for the next boot, never silently dropped.
import Type, { type Static } from "typebox";

export const ConfigSchema = Type.Object({
  restart: Type.Union([Type.Literal("no"), Type.Literal("on-failure"), Type.Literal("always")], {
    default: "no",
    description: "When QEMU is restarted after it exits: never, after a failure (non-zero code or a signal), or always. Not by default: a restarted QEMU's devices start from reset under the running guest (README: \"What a QEMU restart means for a guest\").",
  }),
  "restart-burst": Type.Integer({ minimum: 1, maximum: 100, default: 5, description: "Starts within restart-window-s after which a further failure is final (state failed)." }),
  "restart-window-s": Type.Integer({ minimum: 1, maximum: 3600, default: 60, description: "The window, in seconds, the burst limit counts starts in." }),
  "backoff-initial-ms": Type.Integer({ minimum: 0, maximum: 60_000, default: 100, description: "Delay before the first restart; it doubles on each consecutive failure." }),
  "backoff-max-ms": Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000, description: "The longest delay between restarts." }),
  "debug-shell": Type.Boolean({ default: false, description: "A root shell for whoever attaches to the stubdom: on a Xen host through dom0's console channel (`stubdomctl console S`, a vchan only dom0 can map; with it off that channel shows the log and runs nothing typed), and on hvc0 (in dev mode `stubdomctl console`). Whoever has it is root in the stubdom, so it is off by default." }),
  "log-level": Type.Union([Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")], { default: "info", description: "Least severe supervisor log line written to hvc0." }),
  sandbox: Type.Boolean({ default: true, live: false, description: "Start QEMU with -sandbox on (seccomp: no obsolete calls, no privilege raising, no spawning, no resource control)." }),
  "restore-failure": Type.Union([Type.Literal("stop"), Type.Literal("fresh-start")], {
    default: "stop",
    description: "When QEMU cannot restore libxl's saved device state (xl restore, or the receiving side of xl migrate): stop (state failed and QEMU is not started again, so libxl's restore fails) or fresh-start (QEMU starts without the saved state: state degraded, the guest's devices reset).",
  }),
  "qmp-interval-s": Type.Integer({ minimum: 1, maximum: 3600, default: 5, description: "Seconds between QMP query-status health checks; a missed answer makes the state degraded." }),
  modules: Type.Boolean({ default: true, live: false, description: "Load the kernel modules listed in /etc/stubdom/modules (off only for tests that share the host's kernel)." }),
  xenstore: Type.String({ default: "", maxLength: 256, live: false, description: "XenStore channel to use instead of /dev/xen/xenbus or the dev-mode virtio port (a device or a unix socket)." }),
});

export type Config = Static<typeof ConfigSchema>;
