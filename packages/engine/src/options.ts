import type { SendData } from "./socket";
import type { IncomingMessage } from "node:http";
import type { ZlibOptions } from "node:zlib";
import type { CorsOptions, CorsOptionsDelegate } from "cors";

/**
 * permessage-deflate settings (RFC 7692 §7), handed as they are to `ws`.
 * Declared here, with the fields `ws` accepts, so that the engine's public
 * declarations compile without `ws`'s typings in the application; the build
 * checks it against `ws`'s own type where the engine creates its
 * WebSocketServer.
 */
export interface PerMessageDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number;
  /** zlib options for compressing. */
  zlibDeflateOptions?: {
    flush?: number;
    finishFlush?: number;
    chunkSize?: number;
    windowBits?: number;
    level?: number;
    memLevel?: number;
    strategy?: number;
    dictionary?: Buffer | Buffer[] | DataView;
    info?: boolean;
  };
  /** zlib options for decompressing. */
  zlibInflateOptions?: ZlibOptions;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** Concurrent zlib calls. */
  concurrencyLimit?: number;
}

/** Transport names, in the order a client normally tries them. */
export type TransportName = "polling" | "websocket";

/** Decides whether a request may open or continue a session. */
export type AllowRequest = (
  req: IncomingMessage,
  callback: (err: string | null | undefined, success: boolean) => void,
) => void;

/**
 * CORS settings, handed as they are to the `cors` package (as engine.io
 * does): `origin`, `methods`, `allowedHeaders`, `exposedHeaders`,
 * `credentials`, `maxAge`, `preflightContinue`, `optionsSuccessStatus`, or a
 * delegate `(req, callback) => callback(null, options)`.
 */
export type { CorsOptions, CorsOptionsDelegate };

/** Which origins may make cross-origin requests. */
export type CorsOrigin = NonNullable<CorsOptions["origin"]>;

export interface CookieOptions {
  name?: string;
  path?: string | false;
  httpOnly?: boolean;
  sameSite?: "strict" | "lax" | "none" | boolean;
  secure?: boolean;
  domain?: string;
  maxAge?: number;
}

export interface HttpCompressionOptions {
  /** Responses shorter than this many bytes are sent as they are. Default 1024. */
  threshold?: number;
}

/** Options with engine.io 6.6's names and defaults. */
export interface EngineOptions {
  /** Path the engine answers on. Default "/engine.io". */
  path?: string;
  /** Milliseconds between two pings. Default 25000. */
  pingInterval?: number;
  /** Milliseconds to wait for the pong before closing with "ping timeout". Default 20000. */
  pingTimeout?: number;
  /** Milliseconds an upgrade may take before it is cancelled. Default 10000. */
  upgradeTimeout?: number;
  /** Largest message, or polling body, in bytes. Default 1e6. */
  maxHttpBufferSize?: number;
  /** Transports a session may use. Default ["polling", "websocket"]. */
  transports?: TransportName[];
  /** Whether polling sessions may upgrade to WebSocket. Default true. */
  allowUpgrades?: boolean;
  /** Called for each handshake (and each upgrade); `callback(null, false)` refuses it with 403. */
  allowRequest?: AllowRequest;
  /** A message sent to each new session right after its open packet (engine.io's `initialPacket`). */
  initialPacket?: SendData;
  /** CORS for the polling transport; off when absent. */
  cors?: CorsOptions | CorsOptionsDelegate<IncomingMessage>;
  /** A cookie holding the sid, set at handshake. Off by default; `true` means `{ name: "io" }`. */
  cookie?: boolean | CookieOptions;
  /** WebSocket permessage-deflate. Off by default. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** gzip/deflate for polling responses. On by default, threshold 1024 bytes. */
  httpCompression?: boolean | HttpCompressionOptions;
  /** Milliseconds a closing polling session waits for a GET to deliver its close packet. Default 30000. */
  closeTimeout?: number;
  /** Whether to end an `upgrade` request for a path the engine does not own. Default true. */
  destroyUpgrade?: boolean;
  /** Milliseconds before such a request is ended. Default 1000. */
  destroyUpgradeTimeout?: number;
  /**
   * Bytes a session may hold for a client that does not read: packets not yet
   * written plus its socket's own write buffer (`socket.bufferedAmount`).
   * Over it the session is congested: volatile packets are dropped and
   * `backpressureTimeout` starts; a congested session that grows by this
   * much again is closed at once ("slow consumer"). Default 131072 (128 KiB):
   * see docs/server.md, "Slow consumers".
   */
  maxBackpressure?: number;
  /**
   * Milliseconds a session may stay over `maxBackpressure` before it is
   * closed ("slow consumer"). Default 10000.
   */
  backpressureTimeout?: number;
}

/** Options after defaults are applied: what the engine reads at run time. */
export interface ResolvedOptions {
  path: string;
  pingInterval: number;
  pingTimeout: number;
  upgradeTimeout: number;
  maxHttpBufferSize: number;
  transports: TransportName[];
  allowUpgrades: boolean;
  allowRequest: AllowRequest | undefined;
  cors: CorsOptions | CorsOptionsDelegate<IncomingMessage> | undefined;
  initialPacket: SendData | undefined;
  cookie: CookieOptions | undefined;
  perMessageDeflate: false | PerMessageDeflateOptions;
  httpCompression: false | Required<HttpCompressionOptions>;
  closeTimeout: number;
  destroyUpgrade: boolean;
  destroyUpgradeTimeout: number;
  maxBackpressure: number;
  backpressureTimeout: number;
}

export function resolveOptions(opts: EngineOptions = {}): ResolvedOptions {
  const path = (opts.path ?? "/engine.io").replace(/\/$/, "");
  const transports = (opts.transports ?? ["polling", "websocket"]).filter(
    (t): t is TransportName => t === "polling" || t === "websocket",
  );
  const cookie =
    opts.cookie === true ? {} : opts.cookie === false || opts.cookie === undefined ? undefined : opts.cookie;
  return {
    path,
    pingInterval: opts.pingInterval ?? 25000,
    pingTimeout: opts.pingTimeout ?? 20000,
    upgradeTimeout: opts.upgradeTimeout ?? 10000,
    maxHttpBufferSize: opts.maxHttpBufferSize ?? 1e6,
    transports,
    allowUpgrades: opts.allowUpgrades ?? true,
    allowRequest: opts.allowRequest,
    cors: opts.cors,
    initialPacket: opts.initialPacket,
    cookie: cookie && { name: "io", path: "/", httpOnly: true, sameSite: "lax", ...cookie },
    perMessageDeflate:
      opts.perMessageDeflate === true
        ? { threshold: 1024 }
        : opts.perMessageDeflate
          ? { threshold: 1024, ...opts.perMessageDeflate }
          : false,
    httpCompression:
      opts.httpCompression === false
        ? false
        : { threshold: 1024, ...(typeof opts.httpCompression === "object" ? opts.httpCompression : {}) },
    closeTimeout: opts.closeTimeout ?? 30000,
    destroyUpgrade: opts.destroyUpgrade ?? true,
    destroyUpgradeTimeout: opts.destroyUpgradeTimeout ?? 1000,
    maxBackpressure: opts.maxBackpressure ?? 128 * 1024,
    backpressureTimeout: opts.backpressureTimeout ?? 10000,
  };
}
