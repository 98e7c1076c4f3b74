import type { Packet } from "engine.io-parser";
import type { PreparedMessage } from "../prepared";
import type { SendData } from "../socket";
import type { TransportName } from "../options";

/** Why a transport stopped, as the session reports it (engine.io's reasons). */
export type TransportFailure = "transport error" | "transport close" | "parse error";

// The handler's method keys are symbols: the session implements them itself,
// and they stay off its public API.
export const onPacket = Symbol("onPacket");
export const onReady = Symbol("onReady");
export const onDrain = Symbol("onDrain");
export const onClose = Symbol("onClose");

/**
 * What a transport reports to its owner: the session while the transport is
 * current, the upgrade while it is being probed. A typed handler rather than
 * events, so that the owner can be swapped without re-wiring listeners.
 */
export interface TransportHandler {
  /** A decoded packet arrived. */
  [onPacket](packet: Packet): void;
  /** The transport can take a write now (a poll is waiting, a WebSocket send finished). */
  [onReady](): void;
  /** Everything handed to `send` has been written. */
  [onDrain](): void;
  /** The transport is gone; `description` says why, for logs and the "close" event. */
  [onClose](reason: TransportFailure, description?: string): void;
}

/** Headers a transport sends, after the server has added CORS, cookies and the "headers" hooks. */
export type HeaderDecorator = (headers: Record<string, string | string[]>) => Record<string, string | string[]>;

/** The part of a transport that the session and the upgrade use. */
export interface Transport {
  readonly name: TransportName;
  /** Whether `send` may be called now. */
  readonly writable: boolean;
  /** Bytes handed to the transport and not yet taken by the network (its socket's write buffer). */
  readonly bufferedAmount: number;
  handler: TransportHandler;
  /** Writes packets in one go: one polling response, or consecutive WebSocket frames. Reports `onDrain` when written. */
  send(packets: readonly Packet[]): void;
  /**
   * The session's fast path, tried only while `writable` and nothing is
   * buffered: writes one packet now and reports nothing (no `onDrain`), or
   * returns false and writes nothing, and the session uses `send`. A
   * transport that cannot take a packet this way (polling) always returns
   * false.
   */
  write(packet: Packet): boolean;
  /** `write` for a message packet, without making a Packet. */
  writeMessage(data: SendData | PreparedMessage): boolean;
  /** Ends the transport (see CloseMode); reports through the handler's `onClose`. Idempotent. */
  close(mode: CloseMode): void;
}

/**
 * How a transport is ended:
 * - "graceful": deliver a close packet on the pending poll, or on the next one within closeTimeout;
 * - "now": deliver it on the pending poll if there is one, and stop at once;
 * - "discard": the session moved to another transport; release a pending poll with a noop;
 * - "abort": the client does not read; drop what is buffered and cut the connection, as a
 *   close frame or packet would wait behind the bytes it does not read.
 */
export type CloseMode = "graceful" | "now" | "discard" | "abort";

function ignore(): void {}

/** The handler of a transport nobody owns any more: it drops everything. */
export const NOOP_HANDLER: TransportHandler = {
  [onPacket]: ignore,
  [onReady]: ignore,
  [onDrain]: ignore,
  [onClose]: ignore,
};
