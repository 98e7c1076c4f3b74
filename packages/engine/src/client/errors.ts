/**
 * The client's errors. Each carries a stable `code`; messages say what was
 * expected and what arrived.
 *
 * | code | when |
 * |---|---|
 * | `NOT_ENGINE_IO` | the endpoint is not an Engine.IO server: HTTP 404/426/HTML/JSON without sid, a WebSocket whose first frame is not `0{…}` or that sends nothing within `handshakeTimeout` |
 * | `UNSUPPORTED_PROTOCOL_VERSION` | an Engine.IO v3 server (length-prefixed payloads), or a server's `{"code":5}` answer |
 * | `HANDSHAKE_ERROR` | an Engine.IO server refused the handshake with its `{code, message}` (403 Forbidden, …) |
 * | `TRANSPORT_ERROR` | a request failed or answered non-200, a WebSocket errored or closed early, the upgrade probe failed |
 * | `PING_TIMEOUT` | the server was silent for pingInterval + pingTimeout |
 * | `PARSER_ERROR` | the server sent a packet this client cannot decode |
 */
declare const __DUPLEX_TERSE__: boolean | undefined;

/**
 * Whether messages are written out in full. The browser bundles of
 * @duplex/client define `__DUPLEX_TERSE__` (scripts/bundle.mjs), so there this
 * is the constant `false`, the minifier drops the long messages, and a
 * message is the code's facts in a few bytes (HTTP status, what arrived).
 * Codes and the `status` / `received` / `serverError` fields are the same
 * either way (issue 5: the bundle is budgeted).
 */
export const VERBOSE = typeof __DUPLEX_TERSE__ == "undefined" || !__DUPLEX_TERSE__;

export type EngineClientErrorCode =
  | "NOT_ENGINE_IO"
  | "UNSUPPORTED_PROTOCOL_VERSION"
  | "HANDSHAKE_ERROR"
  | "TRANSPORT_ERROR"
  | "PING_TIMEOUT"
  | "PARSER_ERROR";

/**
 * @example
 * socket.on("error", (err) => {
 *   if (err.code === "NOT_ENGINE_IO") console.warn(err.status, err.received);
 * });
 */
export class EngineClientError extends Error {
  override name = "EngineClientError";
  declare readonly code: EngineClientErrorCode;
  /** The HTTP status of the answer, when there was one (101: a WebSocket that opened). */
  declare readonly status?: number;
  /** The start of what arrived (up to 100 characters), when something did. */
  declare readonly received?: string;
  /** The server's Engine.IO error body, for HANDSHAKE_ERROR and a `{"code":5}` version mismatch. */
  declare readonly serverError?: { code: number; message: string };

  /** `message` false (terse builds, see VERBOSE): the code is the message. */
  constructor(
    code: EngineClientErrorCode,
    message: string | false,
    status?: number,
    received?: string,
    serverError?: { code: number; message: string },
  ) {
    super(message || code);
    Object.assign(this, { code, status, received, serverError });
  }
}

/** Up to 100 characters of what arrived, quoted. */
export const show = (s: string): string => JSON.stringify(s.slice(0, 100));

/** Where every mismatch message points. */
export const DOCS = ". See docs/why-not-websocket.md";
