/**
 * The client's errors. Each carries a stable `code`; messages say what was
 * expected and what arrived.
 *
 * | code | when |
 * |---|---|
 * | `NOT_ENGINE_IO` | the endpoint is not an Engine.IO server: HTTP 404/426/HTML/JSON without sid, a WebSocket whose first frame is not `0{…}` or that sends nothing within `handshakeTimeout` |
 * | `UNSUPPORTED_PROTOCOL_VERSION` | an Engine.IO v3 server (length-prefixed payloads), or a server's `{"code":5}` answer |
 * | `HANDSHAKE_ERROR` | an Engine.IO server refused the handshake with its `{code, message}` (403 Forbidden, …) |
 * | `TRANSPORT_ERROR` | a request failed or answered non-200, a WebSocket errored or closed early, the upgrade probe failed; "the server could not be reached" when nothing answered (refused, reset, timeout), "polling works: a proxy blocks WebSocket?" when a websocket-only connection failed where polling is answered |
 * | `PING_TIMEOUT` | the server was silent for pingInterval + pingTimeout |
 * | `PARSER_ERROR` | the server sent a packet this client cannot decode |
 * | `INVALID_URL` | the URI cannot mean a Socket.IO server's URL (in Node: a relative path, a scheme other than http/https/ws/wss, what does not parse); thrown by `new Socket()` and `io()` |
 */
// Messages are full in Node and short in the browser bundles (build.ts).
// A short message keeps the facts (HTTP status, what arrived), or is the bare
// code when the fields hold them.

import { FULL_MESSAGES } from "./build";

export type EngineClientErrorCode =
  | "NOT_ENGINE_IO"
  | "UNSUPPORTED_PROTOCOL_VERSION"
  | "HANDSHAKE_ERROR"
  | "TRANSPORT_ERROR"
  | "PING_TIMEOUT"
  | "PARSER_ERROR"
  | "INVALID_URL";

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

  /** `message` false (a terse build): the code is the message. `received` is kept up to 100 characters. */
  constructor(
    code: EngineClientErrorCode,
    message: string | false,
    status?: number,
    received?: string,
    serverError?: { code: number; message: string },
  ) {
    super(message || code);
    Object.assign(this, { code, status, received: received?.slice(0, 100), serverError });
  }
}

/**
 * An error about one request or WebSocket: "`where`: `detail`" in full
 * builds, `detail` alone in terse ones (the URL is long and the page knows it).
 */
export function failure(
  code: EngineClientErrorCode,
  where: string,
  detail: string,
  status?: number,
  received?: string,
): EngineClientError {
  return new EngineClientError(code, (FULL_MESSAGES ? where + ": " : "") + detail, status, received);
}

/** Up to 100 characters of what arrived, quoted. */
export const show = (text: string): string => JSON.stringify(text.slice(0, 100));

/** Where every mismatch message points. */
export const DOCS = ". See docs/why-not-websocket.md";
