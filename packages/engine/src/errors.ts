import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/**
 * Engine.IO v4 handshake error codes (engine.io-protocol, "Errors"): the
 * numeric code goes on the wire in `{"code":N,"message":"…"}`.
 */
export const EngineErrorCode = {
  UNKNOWN_TRANSPORT: 0,
  UNKNOWN_SID: 1,
  BAD_HANDSHAKE_METHOD: 2,
  BAD_REQUEST: 3,
  FORBIDDEN: 4,
  UNSUPPORTED_PROTOCOL_VERSION: 5,
} as const;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

export const ERROR_MESSAGES: Readonly<Record<EngineErrorCode, string>> = {
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
};

/** Payload of the server's "connection_error" event. */
export interface ConnectionError {
  req: IncomingMessage;
  code: EngineErrorCode;
  message: string;
  /** What went wrong, for logs: never sent to the client. */
  context: Record<string, unknown>;
}

/** Answers a refused HTTP request: 403 for Forbidden, 400 for the rest. */
export function abortRequest(
  res: ServerResponse,
  code: EngineErrorCode,
  headers: Record<string, string | string[]> = {},
  message: string = ERROR_MESSAGES[code],
): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ code, message });
  res.writeHead(code === EngineErrorCode.FORBIDDEN ? 403 : 400, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Answers a refused upgrade on the raw socket, then drops the socket. */
export function abortUpgrade(socket: Duplex, code: EngineErrorCode, message: string = ERROR_MESSAGES[code]): void {
  // The peer may have reset already: an 'error' here must not go unhandled.
  socket.on("error", ignore);
  if (socket.writable) {
    const body = JSON.stringify({ code, message });
    const status = code === EngineErrorCode.FORBIDDEN ? "403 Forbidden" : "400 Bad Request";
    socket.write(
      `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** The message a refusal carries: allowRequest's own (as engine.io sends it), else the code's. */
export function refusalMessage(code: EngineErrorCode, context: Record<string, unknown>): string {
  const custom = context.message;
  return code === EngineErrorCode.FORBIDDEN && typeof custom === "string" && custom !== "" ? custom : ERROR_MESSAGES[code];
}

export function ignore(): void {}
