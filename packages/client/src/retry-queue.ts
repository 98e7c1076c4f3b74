import type { EmitFlags } from "./sender";

type Fn = (...args: unknown[]) => void;

interface QueuedEmit {
  tries: number;
  /** Sent, and its ack not settled yet. */
  pending: boolean;
  /** The event name and its arguments, without the ack. */
  data: unknown[];
  flags: EmitFlags;
  /** The (error-first) ack of every try: sends again, or settles the caller's ack. */
  settle: Fn;
}

/** What the queue needs of its socket. */
export interface RetryHandler {
  /** Whether a try can go out now (the socket is connected). */
  canSend(): boolean;
  /** Sends one try; `settle` is its error-first ack. */
  send(flags: EmitFlags, data: unknown[], settle: Fn): void;
}

/**
 * At-least-once delivery, a socket's `retries` option, as socket.io-client
 * does it: every emit waits its turn, one in flight at a time; a try that
 * gets no ack in time (or whose connection closes) is sent again until
 * `retries` more tries have failed, and then the caller's ack gets the error.
 */
export class RetryQueue {
  readonly #entries: QueuedEmit[] = [];
  readonly #retries: number;
  readonly #handler: RetryHandler;

  constructor(retries: number, handler: RetryHandler) {
    this.#retries = retries;
    this.#handler = handler;
  }

  push(flags: EmitFlags, data: unknown[], ack: Fn | undefined): void {
    const entry: QueuedEmit = {
      tries: 0,
      pending: false,
      data,
      flags,
      settle: (err, ...answer) => {
        if (entry !== this.#entries[0]) return; // settled already
        if (err && entry.tries <= this.#retries) entry.pending = false;
        else {
          this.#entries.shift();
          ack?.(err, ...answer);
        }
        this.drain();
      },
    };
    this.#entries.push(entry);
    this.drain();
  }

  /** Sends the head unless it is in flight; `resend` sends it anyway (a new connection: the old try is lost). */
  drain(resend = false): void {
    const entry = this.#entries[0];
    if (!entry || (entry.pending && !resend) || !this.#handler.canSend()) return;
    // Marked before the send: an onAnyOutgoing listener may emit again.
    entry.pending = true;
    entry.tries++;
    this.#handler.send(entry.flags, entry.data, entry.settle);
  }
}
