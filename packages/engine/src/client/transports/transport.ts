import type { EngineClientError } from "../errors";
import type { Packet } from "../codec";
import type { SocketOptions, TransportName } from "../options";
import type { BinaryType, Clock, Platform } from "../platform";

/** What a transport reads from its socket to make its requests. */
export interface TransportContext {
  /** The session id, once the open packet arrived. */
  readonly id: string | null;
  readonly opts: SocketOptions;
  readonly platform: Platform;
  readonly binaryType: BinaryType;
  /** The session's timers. */
  readonly clock: Clock;
  /** The URL of the next request of transport `name`. */
  url(name: TransportName): string;
}

/**
 * What a transport reports to its handler: the socket while the transport is
 * current, the upgrade while it is being probed. The names are the engine
 * server's (transports/transport.ts there), so that both halves read alike.
 */
export interface TransportHandler {
  /** A decoded packet arrived. */
  onPacket(packet: Packet): void;
  /** The transport can take a write now: a WebSocket opened. */
  onReady(): void;
  /** Everything handed to `send` has left. */
  onDrain(): void;
  /**
   * The transport ended by itself. `error` says why when it failed; `soft`
   * when nothing was heard from the endpoint yet, so another transport may
   * succeed.
   */
  onClose(error?: EngineClientError, soft?: boolean): void;
}

export interface Transport {
  readonly name: TransportName;
  /** Whether `send` may be called now. */
  readonly writable: boolean;
  /** Where the transport reports; set by whoever owns the transport now. */
  handler: TransportHandler;
  send(packets: Packet[]): void;
  /** Stops the transport without reporting to its handler. */
  close(): void;
}
