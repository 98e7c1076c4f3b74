import type { Packet } from "./codec";
import type { EngineClientError } from "./errors";
import type { TransportName } from "./options";

/** The open packet's content (engine.io-protocol v4, "Handshake"). */
export interface HandshakeData {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  /** Bytes per polling body the server accepts (engine.io ≥ 6.1; older v4 servers omit it). */
  maxPayload?: number;
}

/**
 * Engine.IO v3 servers and v4 ones older than engine.io 6.1 both omit
 * maxPayload; only a v3 one answers a polling handshake with a
 * length-prefixed payload. So an open packet that came over WebSocket without
 * maxPayload is checked over HTTP before the session opens.
 */
export function needsCheck(transport: TransportName, data: HandshakeData): boolean {
  return transport === "websocket" && !data.maxPayload;
}

/**
 * Checks an open packet over HTTP (`diagnosis`, the side polling handshake).
 * Returns the array in which the socket holds the packets that arrive
 * meanwhile; `done` gets them back with the answer: `refusal` is set when the
 * endpoint is not Engine.IO v4, otherwise the session may open and then take
 * the held packets in order.
 */
export function holdHandshake(
  diagnosis: Promise<EngineClientError | null | undefined>,
  done: (refusal: EngineClientError | undefined, held: readonly Packet[]) => void,
): Packet[] {
  const held: Packet[] = [];
  diagnosis.then((found) => done(found?.code === "UNSUPPORTED_PROTOCOL_VERSION" ? found : undefined, held));
  return held;
}
