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

import { Server as ServerClass, type ServerOptions as Options } from "./server";
import type { Server as HttpServer } from "node:http";

/**
 * CommonJS callers get a callable module, as with `require("socket.io")`:
 * `require("@duplex/server")(httpServerOrPort, opts)` returns a `Server`, and
 * every named export stays on it (`require("@duplex/server").Server`). The
 * named exports above are declared first so that Node's ESM loader still finds
 * them (it reads `exports.X` statically); their values are then read from the
 * callable, which carries the same properties.
 */
function createServer(srv?: HttpServer | number | Options, opts?: Options): ServerClass {
  return new ServerClass(srv as HttpServer | number, opts);
}

if (typeof module === "object" && module !== null && module.exports === exports) {
  const descriptors = Object.getOwnPropertyDescriptors(exports);
  // Like socket.io's callable, it is a plain CommonJS value: no __esModule flag.
  delete descriptors.__esModule;
  module.exports = Object.defineProperties(createServer, descriptors);
}
