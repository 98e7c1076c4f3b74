import { clock, type Clock } from "./platform";

/**
 * The heartbeat watchdog (engine.io-protocol v4, "Heartbeat"): the server
 * pings every pingInterval and waits pingTimeout for the pong, so a client
 * that hears nothing for pingInterval + pingTimeout knows the server (or the
 * path to it) is gone. Any packet counts as a sign of life.
 *
 * `feed()` runs per packet, so it only records the time; the one timer
 * re-arms itself for the remainder when it fires early.
 */
export class Watchdog {
  #last = 0;
  #ms = 0;
  #id: unknown;
  #onTimeout: () => void;
  #c: Clock;

  constructor(onTimeout: () => void, c: Clock = clock) {
    this.#onTimeout = onTimeout;
    this.#c = c;
  }

  /** Starts (or restarts) watching, with `ms` of allowed silence. */
  start(ms: number): void {
    this.stop();
    this.#ms = ms;
    this.feed();
    this.#arm(ms);
  }

  /** A packet arrived. */
  feed(): void {
    this.#last = this.#c.now();
  }

  stop(): void {
    this.#c.clearTimeout(this.#id);
  }

  #arm(ms: number): void {
    this.#id = this.#c.setTimeout(() => {
      const left = this.#last + this.#ms - this.#c.now();
      if (left > 0) this.#arm(left);
      else this.#onTimeout();
    }, ms);
  }
}
