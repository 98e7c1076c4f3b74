import type { EngineClientError } from "../errors";
import type { Packet } from "../codec";
import type { SocketOptions, TransportName } from "../options";
import type { BinaryType, Platform } from "../platform";

/** What a transport reports to its owner (the socket, or the upgrade probe). */
export interface TransportHandler {
  /** The WebSocket opened (polling has no such moment). */
  onTransportOpen(): void;
  onPacket(packet: Packet): void;
  /** Everything given to `send` left; the transport is writable again. */
  onDrain(): void;
  /**
   * The transport ended by itself. `err` says why when it failed; `soft` when
   * nothing was heard from the endpoint yet, so another transport may succeed.
   */
  onTransportClose(err?: EngineClientError, soft?: boolean): void;
}

/** What a transport needs from its socket. */
export interface TransportContext {
  readonly id: string | null;
  readonly opts: SocketOptions;
  readonly platform: Platform;
  readonly binaryType: BinaryType;
  url(t: TransportName): string;
}

export interface Transport {
  readonly name: TransportName;
  /** Whether `send` may be called now. */
  readonly writable: boolean;
  h: TransportHandler;
  send(packets: Packet[]): void;
  /** Stops the transport without reporting to its handler. */
  close(): void;
}
