/**
 * @duplex/server: a Socket.IO 4.x compatible server on the Duplex engine.
 */
export { Server, type ServerOptions } from "./server";
export { Namespace, type ExtendedError, type NamespaceMiddleware } from "./namespace";
export { ParentNamespace, type NamespaceMatcher } from "./parent-namespace";
export { Socket, type DisconnectReason, type SocketMiddleware } from "./socket";
export { SocketSender, type EmitFlags } from "./socket-sender";
export type { Handshake } from "./handshake";
export { BroadcastOperator, RemoteSocket } from "./broadcast-operator";
export {
  Adapter,
  type AdapterConstructor,
  type AdapterNamespace,
  type AdapterSocket,
  type BroadcastFlags,
  type BroadcastOptions,
  type RecoveredSession,
  type Room,
  type Session,
  type SocketDetails,
  type SocketId,
} from "./adapter";
export { RecoveryAdapter, type RecoveryOptions } from "./recovery";
export type { Client } from "./client";
export type {
  EventsMap,
  DefaultEventsMap,
  EventNames,
  EventParams,
  DecorateAcknowledgementWithError,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  AllButLastParams,
  FirstAckArg,
  BroadcastAckResult,
  EventNamesWithoutAck,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from "@duplex/protocol";
