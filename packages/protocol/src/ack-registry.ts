// Acknowledgement bookkeeping shared by server and client sockets: pending
// acks by id, per-ack timeouts, and cleanup when the socket goes away.
// Socket.IO v5: an EVENT with an id asks for an ACK carrying the same id.

import { AckError } from "./errors";

/**
 * A function waiting for an acknowledgement, called as socket.io calls it.
 * An error-first one gets `(null, ...answer)`, or an {@link AckError} alone
 * on a timeout (`ACK_TIMEOUT`) or a disconnection (`ACK_CLOSED`); a plain
 * one gets `(...answer)`, and nothing when there is no answer.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an application's ack takes any arguments
export type AckFunction = (...args: any[]) => void;

/** What an {@link AckRegistry} tells its owner. */
export interface AckRegistryHandler {
  /** Ack `id` timed out; called before the ack hears of it. */
  onTimeout?(id: number): void;
}

/** One pending ack. */
interface PendingAck {
  ack: AckFunction;
  errorFirst: boolean;
  /** Its timeout's timer, when it has one. */
  timer: unknown;
}

/**
 * The standard timer functions, which every runtime has; declared here
 * because the package's types include neither Node's nor the DOM's. Looked up
 * at each call, so timers faked later (Jest) apply.
 */
const timers = globalThis as unknown as {
  setTimeout<A extends unknown[]>(callback: (...args: A) => void, ms: number, ...args: A): unknown;
  clearTimeout(handle: unknown): void;
};

/**
 * Pending acknowledgements of one socket. The socket picks the ids (the
 * server shares one sequence between a namespace's sockets and broadcasts).
 *
 * Each ack settles once: the first ACK, the timeout or `rejectAll()`,
 * whichever comes first; anything later is ignored. Nothing is allocated
 * before the first ack, and an ack without a timeout allocates no timer.
 *
 * @example
 * ```ts
 * const acks = new AckRegistry();
 * acks.set(id, (err, answer) => (err ? console.warn(err.code) : console.log(answer)), true, 5000);
 * send({ type: PacketType.EVENT, nsp: "/", id, data: ["ping"] });
 * // when the ACK arrives:
 * acks.settle(packet.id, packet.data);
 * // when the socket closes:
 * acks.rejectAll();
 * ```
 */
export class AckRegistry {
  readonly #handler: AckRegistryHandler | undefined;
  #pending: Map<number, PendingAck> | undefined;

  constructor(handler?: AckRegistryHandler) {
    this.#handler = handler;
  }

  /**
   * Registers `ack` for the ACK of id `id`.
   * @param errorFirst whether `ack` is error-first (see {@link AckFunction}).
   * @param timeoutMs fail with `ACK_TIMEOUT` after this long; omit (or
   *   `Infinity`) to wait until the ACK or `rejectAll()`.
   */
  set(id: number, ack: AckFunction, errorFirst: boolean, timeoutMs?: number): void {
    const timed = timeoutMs !== undefined && timeoutMs !== Infinity;
    // The timer callback gets the registry and the id as arguments: no closure per ack.
    const timer = timed ? timers.setTimeout(AckRegistry.#expire, timeoutMs, this, id) : undefined;
    this.#pending ??= new Map();
    this.#pending.set(id, { ack, errorFirst, timer });
  }

  /**
   * Calls ack `id` with the ACK's data.
   * @returns false (and does nothing) when no such ack is pending: unknown,
   *   already settled, timed out, or rejected.
   */
  settle(id: number, data: unknown[]): boolean {
    const entry = this.#take(id);
    if (entry === undefined) return false;
    if (entry.errorFirst) entry.ack(null, ...data);
    else entry.ack(...data);
    return true;
  }

  /**
   * Fails every pending ack with `ACK_CLOSED`. The registry stays usable (a
   * client socket reconnects). If acks throw, every ack still runs and the
   * first error is rethrown.
   * @param keep acks for which it returns true stay pending (a client keeps
   *   the acks of emits still buffered for the next connection).
   */
  rejectAll(keep?: (id: number) => boolean): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    let failed = false;
    let firstError: unknown;
    for (const [id, entry] of pending) {
      if (keep?.(id)) {
        this.#pending ??= new Map();
        this.#pending.set(id, entry);
        continue;
      }
      timers.clearTimeout(entry.timer);
      try {
        AckRegistry.#fail(entry, new AckError("ACK_CLOSED", id));
      } catch (error) {
        if (!failed) {
          failed = true;
          firstError = error;
        }
      }
    }
    if (failed) throw firstError;
  }

  /** Removes ack `id` and stops its timer; returns it, if it was pending. */
  #take(id: number): PendingAck | undefined {
    const entry = this.#pending?.get(id);
    if (entry === undefined) return undefined;
    this.#pending!.delete(id);
    timers.clearTimeout(entry.timer);
    return entry;
  }

  /** A plain ack hears nothing of a failure, as in socket.io. */
  static #fail(entry: PendingAck, error: AckError): void {
    if (entry.errorFirst) entry.ack(error);
  }

  /** The timer callback. Takes the ack like an ACK would; a late ACK then finds nothing. */
  static #expire(registry: AckRegistry, id: number): void {
    const entry = registry.#take(id);
    if (entry === undefined) return;
    registry.#handler?.onTimeout?.(id);
    AckRegistry.#fail(entry, new AckError("ACK_TIMEOUT", id));
  }
}
