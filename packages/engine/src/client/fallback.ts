import { probe } from "./diagnose";
import type { EngineClientError } from "./errors";
import type { SocketOptions, TransportName } from "./options";

/**
 * What this page or process learned about WebSocket per endpoint (origin and
 * path). A WebSocket that failed while polling worked (a proxy that strips
 * `Upgrade`, answers non-101 or closes early) is not tried again, so each new
 * connection does not pay for the same failure; `retryWebSocket: true` tries
 * anyway. A WebSocket that worked lets `rememberUpgrade` start with it.
 */
const failed = new Set<string>();
const worked = new Set<string>();

/**
 * What a polling handshake on the side found at an endpoint: null for an
 * Engine.IO v4 server (so, after a failed WebSocket, a proxy that blocks
 * WebSocket), undefined when it got no answer (the server is down or
 * unreachable), or the diagnosis of something else. It is asked once per
 * endpoint and page or process, and every later question shares the answer:
 * a reconnection storm does not add a request per attempt, and a server that
 * comes back between a failed WebSocket and the side request is taken for a
 * proxy at most once.
 */
const diagnoses = new Map<string, Promise<EngineClientError | null | undefined>>();

/** Forgets every WebSocket failure recorded in this page or process, and what explained it. */
export function forgetWebSocketFailures(): void {
  failed.clear();
  diagnoses.clear();
}

/**
 * The transports a new connection to `endpoint` tries, in order: a WebSocket
 * that failed there is skipped (unless `retryWebSocket`), one that worked
 * goes first with `rememberUpgrade`.
 */
export function transportsToTry(endpoint: string, options: SocketOptions): TransportName[] {
  let transports = options.transports || ["polling", "websocket"];
  if (options.retryWebSocket) failed.delete(endpoint);
  if (failed.has(endpoint) && transports.length > 1) transports = transports.filter((name) => name !== "websocket");
  if (options.rememberUpgrade && worked.has(endpoint) && transports.includes("websocket")) {
    transports = ["websocket", ...transports.filter((name) => name !== "websocket")];
  }
  return transports.slice();
}

/** A WebSocket carried a session at `endpoint` (its handshake, or an upgrade). */
export function webSocketWorked(endpoint: string): void {
  worked.add(endpoint);
  failed.delete(endpoint);
}

/** A WebSocket failed at `endpoint` while polling worked (before the handshake, or its upgrade). */
export function webSocketFailed(endpoint: string): void {
  failed.add(endpoint);
}

/** Whether a WebSocket failed at `endpoint` while polling worked, and has not worked since. */
export function webSocketFails(endpoint: string): boolean {
  return failed.has(endpoint);
}

/** Whether a WebSocket ever opened at `endpoint` in this page or process. */
export function webSocketOpened(endpoint: string): boolean {
  return worked.has(endpoint);
}

/**
 * Asks over HTTP (a polling handshake to `url`) what `endpoint` is, once per
 * endpoint: later calls share the answer.
 */
export function diagnoseOnce(endpoint: string, url: string, headers?: Record<string, string>): Promise<EngineClientError | null | undefined> {
  let diagnosis = diagnoses.get(endpoint);
  if (diagnosis === undefined) {
    diagnosis = probe(url, headers);
    diagnoses.set(endpoint, diagnosis);
  }
  return diagnosis;
}
