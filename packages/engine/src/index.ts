/**
 * @duplex/engine: the Engine.IO v4 server (this entry) and client
 * (`@duplex/engine/client`).
 */
export { attach, listen } from "./attach";
export { EngineServer, type EngineServerEvents } from "./server";
// engine.io's names for the same classes: `import { Server, Socket } from "@duplex/engine"`.
export { EngineServer as Server } from "./server";
export { EngineSocket as Socket } from "./socket";
export {
  EngineSocket,
  type CloseReason,
  type EngineSocketEvents,
  type ReadyState,
  type SendCallback,
  type SendData,
  type SendOptions,
  type Sendable,
} from "./socket";
export type { SessionForwarder } from "./forwarding";
export { PreparedMessage } from "./prepared";
export { EngineErrorCode, ERROR_MESSAGES, type ConnectionError } from "./errors";
export type { EngineMiddleware } from "./middleware";
export type {
  AllowRequest,
  CookieOptions,
  CorsOptions,
  CorsOptionsDelegate,
  CorsOrigin,
  EngineOptions,
  HttpCompressionOptions,
  PerMessageDeflateOptions,
  TransportName,
} from "./options";
export type { Transport } from "./transports/transport";
export type { Headers } from "./cors";
/** Engine.IO protocol revision. */
export const protocol = 4;
