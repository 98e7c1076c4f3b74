// The vocabulary of a socket's end: socket.io's disconnect reasons, which of
// them connection state recovery may undo, and the events that announce it.

/** Why a socket disconnected: socket.io's reasons. */
export type DisconnectReason =
  | "server namespace disconnect"
  | "client namespace disconnect"
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "parse error"
  | "forced close"
  | "forced server close"
  | "server shutting down"
  /** The client did not read what was sent to it (see the `maxBackpressure` option). */
  | "slow consumer";

/** Reasons after which a client may come back and recover its state. */
export const RECOVERABLE = new Set<DisconnectReason>([
  "transport error",
  "transport close",
  "forced close",
  "ping timeout",
  "server shutting down",
  "forced server close",
  // Closed for not reading: the packets dropped with its buffer are replayed on recovery.
  "slow consumer",
]);

/** Events the socket itself emits; they cannot be emitted to the client. */
export interface SocketReservedEvents {
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  error: (err: Error) => void;
  /**
   * The client's buffered outbound bytes (`socket.conn.bufferedAmount`)
   * fell back to `maxBackpressure` after the session was congested. A
   * client's own event named "drain" is not dispatched to these listeners.
   */
  drain: () => void;
}
