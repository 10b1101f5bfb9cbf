// The XenStore paths dom0 and the stubdom share besides health (healthPaths.ts): where dom0 writes
// settings, and where the stubdom serves its console channel. Relative paths are the stubdom's
// own view (its home, /local/domain/<S>); the functions give dom0's absolute path.

/** Settings dom0 writes (owned by dom0, readable by the stubdom). */
export const CONFIG_DIR = "stubdom/config";
export const configDir = (stubdom: number): string => `/local/domain/${stubdom}/${CONFIG_DIR}`;

/**
 * The console vchan: libxenvchan publishes its ring-ref and event-channel here, readable by dom0
 * only. Beside the health directory, not in it, so health readers never meet its keys.
 */
export const CONSOLE_VCHAN_DIR = "data/stubdom-console";
export const consoleVchanDir = (stubdom: number): string => `/local/domain/${stubdom}/${CONSOLE_VCHAN_DIR}`;
