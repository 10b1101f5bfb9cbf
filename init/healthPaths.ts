// Names of health keys from the contract (healthSchema.ts, data only so the bundle can carry it as
// JSON): the flat key of a service's, QEMU's or a boot step's value, and the directory in dom0's
// terms. Writers and readers build their names here, so neither spells one out.
import { HEALTH_DIR, type BootStep, type DisplayHealthKey, type QemuHealthKey, type ServiceHealthKey, type ServiceName } from "./healthSchema.ts";

export const serviceKey = (name: ServiceName, key: ServiceHealthKey): string => `${name}/${key}`;
export const qemuKey = (key: QemuHealthKey): string => `qemu/${key}`;
export const displayKey = (key: DisplayHealthKey): string => `display/${key}`;
export const bootKey = (step: BootStep): string => `boot-ms/${step}`;

/** Where stubdom `domid`'s health is, as dom0 sees it. */
export const healthDir = (domid: number): string => `/local/domain/${domid}/${HEALTH_DIR}`;
