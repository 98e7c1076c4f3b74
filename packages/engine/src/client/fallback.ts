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
 * What the side polling request that explains a failed websocket-only
 * connection found, per endpoint: null when polling works (a proxy blocks
 * WebSocket), undefined when it got no answer either (the server is down or
 * unreachable), or the diagnosis of a server that is not Engine.IO v4. It is
 * asked once per endpoint and page or process, and only while no WebSocket
 * has worked there: every later failure reuses the answer, so a reconnection
 * storm does not double its requests, and a server that comes back between a
 * failed WebSocket and the side request is not taken for a proxy.
 */
export const diagnoses = new Map<string, Promise<EngineClientError | null | undefined>>();

/** Forgets every WebSocket failure recorded in this page or process, and what explained it. */
export function forgetWebSocketFailures(): void {
  failed.clear();
  diagnoses.clear();
}
