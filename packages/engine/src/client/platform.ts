/**
 * What differs between the browser and Node, injected by the entry points
 * (`browser.ts`, `index.ts`) so that the shared code never names `ws` or a
 * Node built-in.
 */

/** How received binary data is handed to the application. */
export type BinaryType = "arraybuffer" | "nodebuffer";

/** The part of the WHATWG WebSocket the client uses; `ws` has the same shape. */
export interface WebSocketLike {
  binaryType: string;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: { message?: string }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void;
  close(): void;
}

/** What polling needs of fetch. */
export type PollingFetch = (url: string, init: RequestInit) => Promise<{ status: number; text(): Promise<string> }>;

export interface Platform {
  /** Polling requests; the global fetch when absent. */
  fetch?: PollingFetch;
  /**
   * The absolute URL a URI means: relative to the page in browsers; in Node
   * as node-url.ts reads it. Throws on a URI that cannot mean one.
   */
  resolve(uri: string | undefined): URL;
  /** Opens a WebSocket: the global one in browsers, `ws` (with `headers`) in Node. */
  ws(url: string, headers?: Record<string, string>): WebSocketLike;
  /**
   * The HTTP status a WebSocket handshake was answered with instead of 101,
   * read from its `error` event; undefined when there was no answer (refused,
   * reset, DNS) or when the platform does not tell (browsers never do).
   */
  handshakeStatus?(error: { message?: string }): number | undefined;
  /** Default `socket.binaryType`. */
  binaryType: BinaryType;
  /** Base64 for polling (engine.io-protocol v4: a binary packet in a payload is `b` + base64). */
  b64(bytes: Uint8Array): string;
  /** Base64 back to binary, as `binaryType` says. */
  unb64(text: string, binaryType: BinaryType): ArrayBuffer | Uint8Array;
}

/** Timers and clock, injectable; the defaults look the globals up at call time, so jest fake timers apply. */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  now(): number;
}

export const clock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as number),
  now: () => Date.now(),
};
