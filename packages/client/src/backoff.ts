/**
 * Exponential backoff with jitter, as socket.io-client computes it: attempt n
 * waits `min × factor^n`, moved up or down by at most `jitter` of itself, and
 * never more than `max`.
 *
 * @example
 * const backoff = new Backoff(1000, 5000, 0.5);
 * setTimeout(reconnect, backoff.duration()); // 500..1500 ms, then 1000..3000, …
 */
export class Backoff {
  attempts = 0;
  declare min: number;
  declare max: number;
  declare jitter: number;
  readonly #factor: number;
  readonly #random: () => number;

  // Assigned here rather than as parameter properties, which ES2022 class
  // fields would emit twice (a field and an assignment).
  constructor(min: number, max: number, jitter: number, factor = 2, random: () => number = Math.random) {
    this.min = min;
    this.max = max;
    this.jitter = jitter;
    this.#factor = factor;
    this.#random = random;
  }

  /** The delay before the next attempt, in ms; counts the attempt. */
  duration(): number {
    // The exponent stops at 31: min × 2^31 is past any useful max, and an
    // unbounded one reaches Infinity after ~1000 attempts, where the jitter
    // makes NaN and the delay 0 (socket.io-client's backo2 does that).
    let ms = this.min * this.#factor ** Math.min(this.attempts++, 31);
    const jitter = this.jitter;
    if (jitter > 0 && jitter <= 1) {
      const rand = this.#random();
      const deviation = Math.floor(rand * jitter * ms);
      ms += Math.floor(rand * 10) & 1 ? deviation : -deviation;
    }
    return Math.min(ms, this.max) | 0;
  }

  reset(): void {
    this.attempts = 0;
  }
}
