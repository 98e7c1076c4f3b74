// What both entries (index.ts for Node, browser.ts for browsers) export besides `Socket`.
export { EngineClientError, type EngineClientErrorCode } from "./errors";
export { forgetWebSocketFailures } from "./fallback";
export type { BinaryData, Packet, PacketType, RawData } from "./codec";
export type { SocketOptions, TransportName } from "./options";
export type { BinaryType, Clock } from "./platform";
export type { CloseReason, HandshakeData, ReadyState, SendOptions, SocketEvents } from "./socket";
export type { Transport } from "./transports/transport";
/** Engine.IO protocol revision. */
export const protocol = 4;
