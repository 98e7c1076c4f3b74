import type { EngineClientError } from "./errors";

/**
 * What this page or process learned about WebSocket per endpoint (origin and
 * path). A WebSocket that failed while polling worked (a proxy that strips
 * `Upgrade`, answers non-101 or closes early) is not tried again, so each new
 * connection does not pay for the same failure; `retryWebSocket: true` tries
 * anyway. A WebSocket that worked lets `rememberUpgrade` start with it.
 */
export const failed = new Set<string>();
export const worked = new Set<string>();

/**
 * What a polling handshake on the side found at an endpoint: null for an
 * Engine.IO v4 server (so, after a failed WebSocket, a proxy that blocks
 * WebSocket), undefined when it got no answer (the server is down or
 * unreachable), or the diagnosis of something else. The socket asks it to
 * explain a failed websocket-only connection, only while no WebSocket has
 * worked at the endpoint, or to check an open packet without maxPayload; it
 * asks once per endpoint and page or process, and every later question
 * shares the answer: a reconnection storm does not add a request per
 * attempt, and a server that comes back between a failed WebSocket and the
 * side request is taken for a proxy at most once.
 */
export const diagnoses = new Map<string, Promise<EngineClientError | null | undefined>>();

/** Forgets every WebSocket failure recorded in this page or process, and what explained it. */
export function forgetWebSocketFailures(): void {
  failed.clear();
  diagnoses.clear();
}
