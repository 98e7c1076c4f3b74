import type { Clock } from "./platform";

export type TransportName = "polling" | "websocket";

/**
 * Options of `new Socket(uri, opts)`; names and defaults follow
 * engine.io-client 6. Unknown options (a Manager's) are ignored.
 */
export interface SocketOptions {
  /** Host name when the URI has none (or overrides it). */
  hostname?: string;
  port?: string | number;
  /** https/wss; from the URI scheme by default. */
  secure?: boolean;
  /** Default "/engine.io"; the Socket.IO client passes "/socket.io". */
  path?: string;
  /** Default true: "/engine.io" becomes "/engine.io/". */
  addTrailingSlash?: boolean;
  /** Added to every request's query string (after the URI's own). */
  query?: Record<string, string | number | boolean> | string;
  /** Default ["polling", "websocket"]: tried in order on the first connection. */
  transports?: TransportName[];
  /** Default true: upgrade from polling to WebSocket once a probe proves it works. */
  upgrade?: boolean;
  /** Default false: once a WebSocket worked for this origin and path, the next connection starts with it. */
  rememberUpgrade?: boolean;
  /**
   * Default false: a WebSocket that failed for an origin and path (while
   * polling worked) is not tried again in this page or process; true tries it
   * anyway (and forgets the failure once it works).
   */
  retryWebSocket?: boolean;
  /** Request headers: polling requests everywhere, the WebSocket handshake in Node only. */
  extraHeaders?: Record<string, string>;
  /** Default false: send cookies/credentials with cross-origin polling requests (browsers). */
  withCredentials?: boolean;
  /** Default true: a unique `t` query parameter on polling requests defeats caches. */
  timestampRequests?: boolean;
  /** Default "t". */
  timestampParam?: string;
  /** Default false: close the session silently when the page unloads (browsers). */
  closeOnBeforeunload?: boolean;
  /**
   * Default 2500 ms: how long a WebSocket that opened may stay silent before
   * its first frame (the open packet, or `3probe`) before it counts as failed.
   */
  handshakeTimeout?: number;
  /**
   * Node only, default false: the client's timers and sockets do not keep
   * the process alive (engine.io-client's option; Socket.IO's Manager honours it too).
   */
  autoUnref?: boolean;
  /**
   * Node only, default false: use the timer functions as they were when the
   * client was loaded, not fake or patched ones installed later.
   */
  useNativeTimers?: boolean;
  /** Timers and clock (tests). */
  clock?: Clock;
}
