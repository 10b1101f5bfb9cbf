// What the daemon knows per domain. Without a hypervisor to ask, every domid counts as an existing
// domain (C xenstored asks Xen, answers ENOENT for unknown ones and ignores perm entries naming
// dead domains); a domain is introduced by INTRODUCE or by its channel connecting, and stops being
// so by RELEASE or its channel closing.
import { Feature } from "../../runtime/xenstore/wire.ts";
import { DEFAULT_QUOTAS, type QuotaName } from "./quota.ts";

/** The features this daemon has: only <depth> on WATCH (the others are about the shared ring). */
export const SUPPORTED_FEATURES = Feature.WATCHDEPTH;

export interface Domain {
  readonly domid: number;
  introduced: boolean;
  /** Open channel connections (dev mode: the VM's virtio port, one at a time). */
  channels: number;
  /** SET_TARGET: the guest this domain is device model for. */
  target?: number;
  features: number;
  /** This domain's limits, copied from the global ones when the daemon first heard of it. */
  readonly quotas: Record<QuotaName, number>;
  watches: number;
  transactions: number;
}

export class Domains {
  private readonly known = new Map<number, Domain>();
  /** SET_QUOTA without a domid: the limits of domains not yet known. */
  readonly globalQuotas: Record<QuotaName, number> = { ...DEFAULT_QUOTAS };

  get(domid: number): Domain {
    let d = this.known.get(domid);
    if (!d) {
      d = { domid, introduced: domid === 0, channels: 0, features: SUPPORTED_FEATURES, quotas: { ...this.globalQuotas }, watches: 0, transactions: 0 };
      this.known.set(domid, d);
    }
    return d;
  }

  find(domid: number): Domain | undefined {
    return this.known.get(domid);
  }

  forget(domid: number): void {
    this.known.delete(domid);
  }

  /** `domid`'s limit on `name`; 0 (none) for dom0, which no quota binds. */
  limit(domid: number, name: QuotaName): number {
    return domid === 0 ? 0 : this.get(domid).quotas[name];
  }
}
