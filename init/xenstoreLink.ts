// Keeps the stubdom's XenStore channel up. A lost channel (xenstored restarted, the dev-mode port
// closed, a frame that makes no sense) is one log line; then the channel is reopened with a
// doubling backoff up to RECONNECT_MAX_MS, for as long as it takes, with one more line when
// it stays down and one when it is back. Meanwhile every request fails at once (EPIPE), so nothing
// waits on it; once back, every watch is registered again and health is written anew.
import type { Sys } from "../runtime/sys.ts";
import type { Transport, XenStoreClient } from "../runtime/xenstore/client.ts";
import type { Log } from "./log.ts";

export const RECONNECT_FIRST_MS = 500;
export const RECONNECT_MAX_MS = 30_000;
/** Failed attempts after which the link says it is still down (then once per QUIET_EVERY more). */
export const STILL_DOWN_AFTER = 4;
export const QUIET_EVERY = 20;
/** A channel lost again this soon after coming back keeps the backoff where it was. */
export const STABLE_AFTER_MS = 10_000;

/** The wait before reconnect attempt `n` (1-based). */
export const reconnectDelay = (n: number): number => Math.min(RECONNECT_FIRST_MS * 2 ** (n - 1), RECONNECT_MAX_MS);

export class XenStoreLink {
  private attempts = 0;
  private lostAt = 0;
  private upAt = 0;

  constructor(
    private readonly sys: Sys,
    private readonly log: Log,
    private readonly xs: XenStoreClient,
    private readonly label: string,
    private readonly open: () => Transport,
    /** Runs once each time the channel is back (watches already registered again). */
    private readonly onRestored: () => void,
  ) {
    xs.onLost((reason) => this.lost(reason));
  }

  private lost(reason: string): void {
    const flapping = this.upAt > 0 && this.sys.now() - this.upAt < STABLE_AFTER_MS;
    if (!flapping) this.attempts = 0;
    this.lostAt = this.sys.now();
    this.log.error(`xenstore: lost ${this.label}: ${reason}; reconnecting, every ${RECONNECT_FIRST_MS / 1000} s doubling up to ${RECONNECT_MAX_MS / 1000} s`);
    this.schedule();
  }

  private schedule(): void {
    this.attempts++;
    this.sys.setTimer(reconnectDelay(this.attempts), () => this.attempt());
  }

  private attempt(): void {
    let transport: Transport;
    try {
      transport = this.open();
    } catch (e) {
      const n = this.attempts;
      if (n === STILL_DOWN_AFTER || (n > STILL_DOWN_AFTER && (n - STILL_DOWN_AFTER) % QUIET_EVERY === 0)) {
        this.log.warn(`xenstore: ${this.label} still cannot be opened after ${n} attempts (${(e as Error).message}); retrying every ${reconnectDelay(n + 1) / 1000} s`);
      }
      return this.schedule();
    }
    const downS = ((this.sys.now() - this.lostAt) / 1000).toFixed(1);
    this.upAt = this.sys.now();
    this.xs.reconnect(transport).then(
      () => {
        this.log.info(`xenstore: ${this.label} is back after ${this.attempts} attempt(s), ${downS} s without it; watches registered again`);
        this.onRestored();
      },
      (e: Error) => {
        // Lost again at once: `lost` has already scheduled the next attempt.
        if (this.xs.lost === undefined) this.log.warn(`xenstore: ${this.label} is back, but registering the watches again failed: ${e.message}`);
      },
    );
  }
}
