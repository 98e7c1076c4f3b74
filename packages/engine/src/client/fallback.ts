/**
 * What this page or process learned about WebSocket per endpoint (origin and
 * path). A WebSocket that failed while polling worked (a proxy that strips
 * `Upgrade`, answers non-101 or closes early) is not tried again, so each new
 * connection does not pay for the same failure; `retryWebSocket: true` tries
 * anyway. A WebSocket that worked lets `rememberUpgrade` start with it.
 */
export const failed = new Set<string>();
export const worked = new Set<string>();

/** Forgets every WebSocket failure recorded in this page or process. */
export function forgetWebSocketFailures(): void {
  failed.clear();
}
