import type { Packet } from "@duplex/protocol";

type Fn = (...args: unknown[]) => void;

interface PendingAck {
  ack: Fn;
  /** Called `(err, ...answer)` and told of a timeout or a lost connection; otherwise `(...answer)`, answers only. */
  errorFirst: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

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
 * in the browser bundle (issue 5's byte budget) the registry cost ~500 B
 * min+gzip against this table's ~200.
 */
export class Acks {
  #nextId = 0;
  readonly #pending = new Map<number, PendingAck>();
  /** The socket's emits waiting for a connection. */
  readonly #sendBuffer: Packet[];

  constructor(sendBuffer: Packet[]) {
    this.#sendBuffer = sendBuffer;
  }

  /** Registers `ack` and returns the id for the EVENT packet. `timeout` (ms) needs `errorFirst`. */
  add(ack: Fn, errorFirst: boolean, timeout?: number): number {
    const id = this.#nextId++;
    const pending: PendingAck = { ack, errorFirst };
    if (timeout !== undefined && timeout < Infinity) {
      pending.timer = setTimeout(() => {
        const i = this.#buffered(id);
        if (i >= 0) this.#sendBuffer.splice(i, 1);
        this.#fail(id, "ACK_TIMEOUT");
      }, timeout);
    }
    this.#pending.set(id, pending);
    return id;
  }

  /** The server's ACK: calls the ack once; a late or unknown id does nothing. */
  settle(id: number, answer: unknown[]): void {
    const pending = this.#take(id);
    if (pending?.errorFirst) pending.ack(null, ...answer);
    else pending?.ack(...answer);
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

  #fail(id: number, code: "ACK_TIMEOUT" | "ACK_CLOSED"): void {
    const pending = this.#take(id);
    if (pending?.errorFirst) pending.ack(ackError(code));
  }

  #take(id: number): PendingAck | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    clearTimeout(pending?.timer);
    return pending;
  }
}
