import type { Packet } from "@duplex/protocol";

type Fn = (...args: unknown[]) => void;

/** A pending ack: its error-first callback, and the timer of its timeout. */
type PendingAck = [settle: Fn, timer?: ReturnType<typeof setTimeout>];

/** socket.io-client's messages, with the protocol's stable codes. */
function ackError(code: "ACK_TIMEOUT" | "ACK_CLOSED"): Error & { code: string } {
  return Object.assign(new Error(code === "ACK_TIMEOUT" ? "operation has timed out" : "socket has been disconnected"), { code });
}

/**
 * The pending acks of one client socket, kept as socket.io-client keeps
 * them: ids counting from 0, per-emit timeouts, and on disconnect an
 * "ACK_CLOSED" error for every ack whose emit is not in the socket's send
 * buffer (those go out on the next connection). An emit that times out
 * leaves the send buffer: it must not go out later.
 *
 * The client keeps its own table rather than @duplex/protocol's AckRegistry:
 * it needs none of the registry's broadcast ids, checks or error class, and
 * only the client pulled the registry into the browser bundle, where it
 * cost ~1,500 minified bytes (~500 B of issue 5's min+gzip budget) against
 * this table's ~680.
 */
export class Acks {
  #nextId = 0;
  readonly #pending = new Map<number, PendingAck>();
  /** The socket's emits waiting for a connection. */
  readonly #sendBuffer: Packet[];

  constructor(sendBuffer: Packet[]) {
    this.#sendBuffer = sendBuffer;
  }

  /**
   * Registers `ack` and returns the id for the EVENT packet. An `errorFirst`
   * ack is called `(err, ...answer)` and hears of a timeout (ms, which needs
   * `errorFirst`) or a lost connection; a plain one is called `(...answer)`,
   * for an answer only.
   */
  add(ack: Fn, errorFirst: boolean, timeout?: number): number {
    const id = this.#nextId++;
    const settle: Fn = errorFirst
      ? ack
      : (err, ...answer) => {
          if (!err) ack(...answer);
        };
    const timer = timeout !== undefined && timeout < Infinity ? setTimeout(() => this.#expire(id), timeout) : undefined;
    this.#pending.set(id, [settle, timer]);
    return id;
  }

  /** The server's ACK: calls the ack once; a late or unknown id does nothing. */
  settle(id: number, answer: unknown[]): void {
    this.#take(id)?.(null, ...answer);
  }

  /** The connection closed: fails every pending ack whose emit is not buffered. */
  rejectAll(): void {
    // A snapshot: acks added by the callbacks are not this disconnection's.
    for (const id of [...this.#pending.keys()]) if (this.#buffered(id) < 0) this.#fail(id, "ACK_CLOSED");
  }

  /** The index of the emit with ack `id` in the send buffer, or -1. */
  #buffered(id: number): number {
    return this.#sendBuffer.findIndex((packet) => (packet as { id?: number }).id === id);
  }

  /** A timed-out emit still in the send buffer must not go out later. */
  #expire(id: number): void {
    const i = this.#buffered(id);
    if (i >= 0) this.#sendBuffer.splice(i, 1);
    this.#fail(id, "ACK_TIMEOUT");
  }

  #fail(id: number, code: "ACK_TIMEOUT" | "ACK_CLOSED"): void {
    this.#take(id)?.(ackError(code));
  }

  /** Removes ack `id` (and its timer) and returns its callback. */
  #take(id: number): Fn | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    clearTimeout(pending?.[1]);
    return pending?.[0];
  }
}
