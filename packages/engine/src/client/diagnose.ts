import { SEP } from "./codec";
import { DOCS, EngineClientError, show, type EngineClientErrorCode } from "./errors";
import { FULL_MESSAGES } from "./build";

/**
 * Tells an Engine.IO v4 handshake from everything else, so that a client
 * pointed at the wrong server gets a coded error within seconds instead of a
 * timeout or an opaque "websocket error" (docs/why-not-websocket.md).
 */

/**
 * Engine.IO v3 payloads are length-prefixed: `96:0{"sid":…}` as text, or, as
 * binary, a 0/1 byte, the length as digit bytes and 0xff (read as U+FFFD
 * once decoded as text). A v4 handshake always starts with `0{`.
 */
const V3 = /^(\d+:\d|[\0\x01][\0-\x09]+\ufffd)/;

/**
 * The diagnosis of the first answer of an endpoint: `status` is the HTTP
 * status (101 for a WebSocket frame), `body` the body or the first frame as
 * text. Undefined when it starts with an Engine.IO v4 open packet `0{"sid":…}`.
 */
export function diagnose(status: number, body: string, where: string): EngineClientError | undefined {
  const first = body.split(SEP)[0];
  let json: { sid?: unknown; code?: unknown; message?: unknown } | undefined;
  try {
    json = JSON.parse(first[0] === "0" ? first.slice(1) : first);
  } catch {
    // not JSON: judged below
  }
  const answered = status === 101 || status === 200;
  if (answered && first[0] === "0" && typeof json?.sid === "string") return undefined;
  const v3 = V3.test(body);
  // An Engine.IO server's refusal: its {code, message} body with a 4xx/5xx status.
  let server: { code: number; message: string } | undefined;
  if (!v3 && !answered && typeof json?.code === "number" && typeof json.message === "string") {
    server = { code: json.code, message: json.message };
  }
  // engine.io's error code 5 is "Unsupported protocol version".
  let code: EngineClientErrorCode = "NOT_ENGINE_IO";
  if (v3 || server?.code === 5) code = "UNSUPPORTED_PROTOCOL_VERSION";
  else if (server) code = "HANDSHAKE_ERROR";
  const got = `HTTP ${status} ${show(body)}`;
  return new EngineClientError(code, FULL_MESSAGES ? `${where}: ${explain(v3, server)}; got ${got}${DOCS}` : got, status, body, server);
}

/** What a failed diagnosis means, in words (full builds). */
function explain(v3: boolean, server?: { code: number }): string {
  if (v3) return "Engine.IO v3 (length-prefixed payload), expected v4";
  if (server) return server.code === 5 ? "EIO=4 refused, expected Engine.IO v4" : "handshake refused";
  return 'not Engine.IO, expected an open packet 0{"sid":…}';
}

/**
 * A polling handshake on the side, to explain a WebSocket that failed or that
 * opened with an ambiguous open packet. Resolves with the diagnosis, null for
 * an Engine.IO v4 endpoint (whose spare session is closed at once), undefined
 * when the request itself failed (server down, CORS).
 */
export async function probe(url: string, headers?: Record<string, string>): Promise<EngineClientError | null | undefined> {
  try {
    const response = await fetch(url, { headers });
    const body = await response.text();
    const diagnosis = diagnose(response.status, body, "GET " + url);
    if (!diagnosis) {
      // Close the spare session (a close packet) rather than let it time out.
      fetch(url + "&sid=" + JSON.parse(body.split(SEP)[0].slice(1)).sid, { headers, method: "POST", body: "1" }).catch(() => {});
    }
    return diagnosis || null;
  } catch {
    return undefined;
  }
}

/** A WebSocket failed where polling works: most likely a proxy that does not pass WebSocket. */
export function pollingWorks(err: EngineClientError): EngineClientError {
  const message = FULL_MESSAGES
    ? `${err.message}; polling works: a proxy blocks WebSocket? Allow "polling"${DOCS}`
    : err.message + "; polling works";
  return new EngineClientError("TRANSPORT_ERROR", message, err.status, err.received);
}

/**
 * A failure without any HTTP answer (`status` unknown: connection refused or
 * reset, DNS, a timeout) says that the server could not be reached; one with
 * an answer (a 502 from a proxy, a 400) already says what came back.
 */
export function unanswered(err: EngineClientError): EngineClientError {
  if (err.status !== undefined) return err;
  const message = FULL_MESSAGES ? `${err.message}; the server could not be reached` : err.message + "; unreachable";
  return new EngineClientError("TRANSPORT_ERROR", message, err.status, err.received);
}
