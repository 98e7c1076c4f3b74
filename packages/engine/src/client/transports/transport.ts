import type { EngineClientError } from "../errors";
import type { Packet } from "../codec";
import type { SocketOptions, TransportName } from "../options";
import type { BinaryType, Platform } from "../platform";

/**
 * What a transport needs from its socket, and what it reports to it. Every
 * report names the transport, so the socket tells its current transport
 * from a WebSocket it is probing for an upgrade (and from one it dropped).
 */
export interface TransportOwner {
  readonly id: string | null;
  readonly opts: SocketOptions;
  readonly platform: Platform;
  readonly binaryType: BinaryType;
  url(t: TransportName): string;
  onPacket(packet: Packet, t: Transport): void;
  /** `t` became writable: the WebSocket opened, or everything given to `send` left. */
  onDrain(t: Transport): void;
  /**
   * `t` ended by itself. `err` says why when it failed; `soft` when nothing
   * was heard from the endpoint yet, so another transport may succeed.
   */
  onTransportClose(t: Transport, err?: EngineClientError, soft?: boolean): void;
}

export interface Transport {
  readonly name: TransportName;
  /** Whether `send` may be called now. */
  readonly writable: boolean;
  send(packets: Packet[]): void;
  /** Stops the transport without reporting to its owner. */
  close(): void;
}
