// Acknowledgement bookkeeping shared by server and client sockets: ack ids,
// pending callbacks, per-ack timeouts, and cleanup when the socket goes away.
// Socket.IO v5: an EVENT with an id asks for an ACK carrying the same id.

import { AckError } from "./errors";

/**
 * Receives the outcome of one acknowledgement, exactly once: `(null, data)`
 * with the ACK's arguments, or an {@link AckError} (`ACK_TIMEOUT`,
 * `ACK_CLOSED`) and an empty array.
 */
export type AckCallback = (error: AckError | null, data: unknown[]) => void;

/**
 * Timer functions. They must pass extra arguments on to the callback, as the
 * standard `setTimeout` does (Node, browsers and Jest's fake timers all do):
 * the registry uses them instead of allocating a closure per ack.
 */
export interface Timers {
  setTimeout<A extends unknown[]>(callback: (...args: A) => void, ms: number, ...args: A): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link AckRegistry}: inject time for tests and other runtimes. */
export interface AckRegistryOptions {
  /** Default: the global `setTimeout`, looked up at each call (so Jest fake timers apply). */
  setTimeout?: Timers["setTimeout"];
  /** Default: the global `clearTimeout`, looked up at each call. */
  clearTimeout?: Timers["clearTimeout"];
}

interface GlobalTimers {
  setTimeout(callback: (...args: unknown[]) => void, ms: number, ...args: unknown[]): unknown;
  clearTimeout(handle: unknown): void;
}

// Looked up at call time, not import time: fake timers installed later still apply.
function globalSetTimeout<A extends unknown[]>(callback: (...args: A) => void, ms: number, ...args: A): unknown {
  return (globalThis as unknown as GlobalTimers).setTimeout(callback as (...args: unknown[]) => void, ms, ...args);
}
function globalClearTimeout(handle: unknown): void {
  (globalThis as unknown as GlobalTimers).clearTimeout(handle);
}

const NO_DATA: unknown[] = [];
Object.freeze(NO_DATA);

/**
 * Pending acknowledgements of one socket (or one broadcast).
 *
 * Each ack settles once: the first ACK, the timeout or `rejectAll()`,
 * whichever comes first; anything later is ignored. Acks without a timeout
 * allocate no timer.
 *
 * @example
 * ```ts
 * const acks = new AckRegistry();
 * const id = acks.add((err, data) => (err ? console.warn(err.code) : console.log(data)), 5000);
 * send({ type: PacketType.EVENT, nsp: "/", id, data: ["ping"] });
 * // when the ACK arrives:
 * acks.settle(packet.id, packet.data);
 * // when the socket closes:
 * acks.rejectAll("transport close");
 * ```
 */
export class AckRegistry {
  readonly #setTimer: Timers["setTimeout"];
  readonly #clearTimer: Timers["clearTimeout"];
  #callbacks = new Map<number, AckCallback>();
  // TypeScript-private, not #: ack-registry.test.ts checks that no entry is left behind.
  private timers = new Map<number, unknown>();
  #nextId = 0;

  constructor(options?: AckRegistryOptions) {
    this.#setTimer = options?.setTimeout ?? globalSetTimeout;
    this.#clearTimer = options?.clearTimeout ?? globalClearTimeout;
  }

  /** Number of pending acks. */
  get size(): number {
    return this.#callbacks.size;
  }

  /** Whether an ack with this id is pending. */
  has(id: number): boolean {
    return this.#callbacks.has(id);
  }

  /**
   * Registers `callback` under a fresh id and returns the id to put in the
   * EVENT packet.
   * @param timeoutMs settle with `ACK_TIMEOUT` after this long; omit (or
   *   `Infinity`) to wait until the ACK or `rejectAll()`.
   */
  add(callback: AckCallback, timeoutMs?: number): number {
    let id = this.#nextId;
    // Ids only wrap after 2^53 acks; skip any still pending when they do.
    while (this.#callbacks.has(id)) id = id >= Number.MAX_SAFE_INTEGER ? 0 : id + 1;
    this.#nextId = id >= Number.MAX_SAFE_INTEGER ? 0 : id + 1;
    this.set(id, callback, timeoutMs);
    return id;
  }

  /**
   * Registers `callback` under an id the caller chose (a broadcast with ack
   * sends one id to many sockets, each with its own registry).
   * @throws {RangeError} if `id` is not a non-negative safe integer, is
   *   already pending, or `timeoutMs` is negative or NaN.
   */
  set(id: number, callback: AckCallback, timeoutMs?: number): void {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(!globalThis.__DUPLEX_TERSE__ ? `ack id: expected a non-negative safe integer, got ${id}` : "ack id " + id);
    if (this.#callbacks.has(id)) throw new RangeError(!globalThis.__DUPLEX_TERSE__ ? `ack id: expected an id that is not pending, got ${id}` : "ack id " + id);
    if (timeoutMs !== undefined && !(timeoutMs >= 0)) {
      throw new RangeError(!globalThis.__DUPLEX_TERSE__ ? `timeoutMs: expected a number >= 0 or undefined, got ${timeoutMs}` : "timeoutMs " + timeoutMs);
    }
    this.#callbacks.set(id, callback);
    if (timeoutMs !== undefined && timeoutMs !== Infinity) {
      this.timers.set(id, this.#setTimer(AckRegistry.#onTimeout, timeoutMs, this, id, timeoutMs));
    }
  }

  /**
   * Settles ack `id` with the ACK's data.
   * @returns false (and does nothing) when no such ack is pending: unknown,
   *   already settled, timed out, or rejected.
   */
  settle(id: number, data: unknown[]): boolean {
    const callback = this.#take(id);
    if (callback === undefined) return false;
    callback(null, data);
    return true;
  }

  /** Forgets ack `id` without calling its callback (for example, the EVENT could not be sent). */
  delete(id: number): boolean {
    return this.#take(id) !== undefined;
  }

  /**
   * Settles every pending ack with an `ACK_CLOSED` error and retains nothing.
   * The registry stays usable (a client socket reconnects). If callbacks
   * throw, every callback still runs and the first error is rethrown.
   * @param keep acks for which it returns true stay pending (a client keeps
   *   the acks of emits still buffered for the next connection).
   */
  rejectAll(reason = "the connection closed", keep?: (id: number) => boolean): void {
    const callbacks = this.#callbacks;
    if (callbacks.size === 0) return;
    const timers = this.timers;
    this.#callbacks = new Map();
    this.timers = new Map();
    let failed = false;
    let first: unknown;
    for (const [id, callback] of callbacks) {
      if (keep !== undefined && keep(id)) {
        this.#callbacks.set(id, callback);
        if (timers.has(id)) this.timers.set(id, timers.get(id));
        continue;
      }
      if (timers.has(id)) this.#clearTimer(timers.get(id));
      try {
        callback(new AckError("ACK_CLOSED", id, !globalThis.__DUPLEX_TERSE__ && `expected an ack for id ${id}, got none before ${reason}`), NO_DATA);
      } catch (error) {
        if (!failed) {
          failed = true;
          first = error;
        }
      }
    }
    if (failed) throw first;
  }

  #take(id: number): AckCallback | undefined {
    const callback = this.#callbacks.get(id);
    if (callback === undefined) return undefined;
    this.#callbacks.delete(id);
    // has() rather than a get() !== undefined test: an injected setTimeout may return undefined.
    if (this.timers.size !== 0 && this.timers.has(id)) {
      const handle = this.timers.get(id);
      this.timers.delete(id);
      this.#clearTimer(handle);
    }
    return callback;
  }

  /** The timer callback: one static function, so no closure per ack. */
  static #onTimeout(registry: AckRegistry, id: number, ms: number): void {
    registry.#expire(id, ms);
  }

  #expire(id: number, ms: number): void {
    const callback = this.#callbacks.get(id);
    if (callback === undefined) return;
    this.#callbacks.delete(id);
    this.timers.delete(id);
    callback(new AckError("ACK_TIMEOUT", id, !globalThis.__DUPLEX_TERSE__ && `expected an ack for id ${id} within ${ms} ms, got none`), NO_DATA);
  }
}
