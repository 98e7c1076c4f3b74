// Acknowledgement bookkeeping shared by server and client sockets: ack ids,
// pending callbacks, per-ack timeouts, and cleanup when the socket goes away.
// Socket.IO v5: an EVENT with an id asks for an ACK carrying the same id.

import { AckError } from "./errors";
import { isAckId } from "./packet";

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

// The global timers are looked up at call time, not import time: fake timers
// installed later still apply. Called detached, as browsers require.
const host = globalThis as unknown as Timers;

const NO_DATA: unknown[] = [];
Object.freeze(NO_DATA);

/**
 * One pending ack: its callback, and its timer handle when it has a timeout.
 * The handle's presence, not its value, says so: an injected setTimeout may
 * return undefined.
 */
type Pending = [callback: AckCallback, timer?: unknown];

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
  readonly #setTimer: Timers["setTimeout"] | undefined;
  readonly #clearTimer: Timers["clearTimeout"] | undefined;
  #pending = new Map<number, Pending>();
  #nextId = 0;

  constructor(options?: AckRegistryOptions) {
    this.#setTimer = options?.setTimeout;
    this.#clearTimer = options?.clearTimeout;
  }

  /** Number of pending acks. */
  get size(): number {
    return this.#pending.size;
  }

  /** Whether an ack with this id is pending. */
  has(id: number): boolean {
    return this.#pending.has(id);
  }

  /**
   * Registers `callback` under a fresh id and returns the id to put in the
   * EVENT packet.
   * @param timeoutMs settle with `ACK_TIMEOUT` after this long; omit (or
   *   `Infinity`) to wait until the ACK or `rejectAll()`.
   */
  add(callback: AckCallback, timeoutMs?: number): number {
    let id: number;
    // Ids wrap to 0 after Number.MAX_SAFE_INTEGER (2^53 - 1), after 2^53 acks;
    // skip any still pending when they do.
    do {
      id = this.#nextId;
      this.#nextId = (id + 1) % 2 ** 53;
    } while (this.#pending.has(id));
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
    if (!isAckId(id) || this.#pending.has(id)) {
      throw new RangeError(
        !globalThis.__DUPLEX_TERSE__
          ? isAckId(id)
            ? `ack id: expected an id that is not pending, got ${id}`
            : `ack id: expected a non-negative safe integer, got ${id}`
          : "ack id " + id,
      );
    }
    if (!((timeoutMs ?? 0) >= 0)) {
      throw new RangeError(!globalThis.__DUPLEX_TERSE__ ? `timeoutMs: expected a number >= 0 or undefined, got ${timeoutMs}` : "timeoutMs " + timeoutMs);
    }
    // No timer for an ack without a timeout (or an infinite one).
    const timed = timeoutMs !== undefined && timeoutMs !== Infinity;
    const setTimer = this.#setTimer ?? host.setTimeout;
    this.#pending.set(id, timed ? [callback, setTimer(AckRegistry.#expire, timeoutMs, this, id, timeoutMs)] : [callback]);
  }

  /**
   * Settles ack `id` with the ACK's data.
   * @returns false (and does nothing) when no such ack is pending: unknown,
   *   already settled, timed out, or rejected.
   */
  settle(id: number, data: unknown[]): boolean {
    const callback = this.#take(id);
    callback?.(null, data);
    return callback !== undefined;
  }

  /** Forgets ack `id` without calling its callback (for example, the EVENT could not be sent). */
  delete(id: number): boolean {
    return this.#take(id) !== undefined;
  }

  /**
   * Settles every pending ack with an `ACK_CLOSED` error and retains nothing.
   * The registry stays usable (a client socket reconnects). If callbacks
   * throw, every callback still runs and the first error is rethrown.
   * @param reason for the errors' messages; default "the connection closed"
   *   (written inside the message, so terse builds carry neither).
   * @param keep acks for which it returns true stay pending (a client keeps
   *   the acks of emits still buffered for the next connection).
   */
  rejectAll(reason?: string, keep?: (id: number) => boolean): void {
    const pending = this.#pending;
    this.#pending = new Map();
    let failed = false;
    let first: unknown;
    for (const [id, entry] of pending) {
      if (keep?.(id)) {
        this.#pending.set(id, entry);
        continue;
      }
      this.#stopTimer(entry);
      try {
        entry[0](new AckError("ACK_CLOSED", id, !globalThis.__DUPLEX_TERSE__ && `expected an ack for id ${id}, got none before ${reason ?? "the connection closed"}`), NO_DATA);
      } catch (error) {
        if (!failed) {
          failed = true;
          first = error;
        }
      }
    }
    if (failed) throw first;
  }

  /** Removes ack `id` and stops its timer; returns its callback, if it was pending. */
  #take(id: number): AckCallback | undefined {
    const entry = this.#pending.get(id);
    if (entry === undefined) return undefined;
    this.#pending.delete(id);
    this.#stopTimer(entry);
    return entry[0];
  }

  #stopTimer(entry: Pending): void {
    if (entry.length > 1) (this.#clearTimer ?? host.clearTimeout)(entry[1]);
  }

  /**
   * The timer callback: one static function, so no closure per ack. Settles
   * through #take like an ACK; clearing a timer that already fired does nothing.
   */
  static #expire(registry: AckRegistry, id: number, ms: number): void {
    registry.#take(id)?.(new AckError("ACK_TIMEOUT", id, !globalThis.__DUPLEX_TERSE__ && `expected an ack for id ${id} within ${ms} ms, got none`), NO_DATA);
  }
}
