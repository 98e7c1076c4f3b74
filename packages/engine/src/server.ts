import { EventEmitter } from "node:events";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { parse as parseQueryString } from "node:querystring";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import createDebug from "debug";
import { serializeCookie } from "./cookie";
import { corsMiddleware, type Headers } from "./cors";
import { appendHeader, keepLastOfEachName } from "./headers";
import { abortRequest, abortUpgrade, EngineErrorCode, ERROR_MESSAGES, ignore, refusalMessage, type ConnectionError } from "./errors";
import { applyMiddlewares, UpgradeResponse, type EngineMiddleware } from "./middleware";
import { resolveOptions, type EngineOptions, type ResolvedOptions, type TransportName } from "./options";
import type { SessionForwarder } from "./forwarding";
import { EngineSocket, heartbeatQueue, sessionClosed, shutdownSession, startSession, startUpgrade, type CloseReason, type SessionOwner } from "./socket";
import { randomId } from "./random-id";
import { TimerQueue } from "./timer-queue";
import { PollingTransport } from "./transports/polling";
import type { Transport } from "./transports/transport";
import { WebSocketTransport } from "./transports/websocket";

const debug = createDebug("duplex:engine:server");

export interface EngineServerEvents {
  connection: [socket: EngineSocket];
  connection_error: [error: ConnectionError];
  /** Headers of a handshake response, editable before they are written. */
  initial_headers: [headers: Headers, req: IncomingMessage];
  /** Headers of every response, editable before they are written. */
  headers: [headers: Headers, req: IncomingMessage];
}

/** What the engine learned about a request while verifying it. */
interface RequestInfo {
  transport: TransportName;
  /** The session named by the request; absent for a handshake. */
  sid: string | undefined;
  /** The sid a handshake will get: chosen early so headers (cookie) can carry it. */
  newSid: string | undefined;
}

type Query = Record<string, string>;

/** Parses the query string; a repeated parameter makes the request invalid (null). */
function parseQuery(url: string | undefined): Query | null {
  const at = url?.indexOf("?") ?? -1;
  if (url === undefined || at < 0) return {};
  const parsed = parseQueryString(url.slice(at + 1));
  const query: Query = {};
  for (const key of Object.keys(parsed)) {
    const value = parsed[key];
    if (typeof value !== "string") return null;
    query[key] = value;
  }
  return query;
}

// Origins may hold visible ASCII and obs-text only (RFC 7230 §3.2.6); engine.io refuses the rest.
const INVALID_ORIGIN = /[^\t\x20-\x7e\x80-\xff]/;

type Verdict = { ok: true; info: RequestInfo } | { ok: false; code: EngineErrorCode; context: Record<string, unknown> };

/**
 * The server half of Engine.IO v4. It answers HTTP requests and upgrades on
 * its path, keeps the sessions, and emits "connection" for each new one.
 *
 * @example
 * const engine = attach(httpServer, { pingInterval: 10000 });
 * engine.on("connection", (socket) => socket.send("welcome"));
 */
export class EngineServer extends EventEmitter<EngineServerEvents> implements SessionOwner {
  readonly opts: ResolvedOptions;
  /** Open sessions by sid. */
  readonly sessions = new Map<string, EngineSocket>();
  /**
   * Open sessions by sid as a plain object, as engine.io's `clients`
   * (`Object.keys(engine.clients)`); the same sessions as `sessions`.
   */
  readonly clients: Record<string, EngineSocket> = Object.create(null);
  /** The HTTP server `listen()` created, if any. */
  httpServer: HttpServer | undefined;
  private readonly wss: WebSocketServer | null;
  private readonly requests = new WeakMap<IncomingMessage, RequestInfo>();
  private readonly detachers: Array<() => void> = [];
  private readonly middlewares: EngineMiddleware[] = [];
  /** The response object middlewares got for an upgrade: its headers go into the 101 answer. */
  private readonly upgradeResponses = new WeakMap<IncomingMessage, UpgradeResponse>();
  private closed = false;
  /** The queues the sessions' heartbeats wait in, by delay: one timer per queue, none per session. */
  private readonly heartbeatQueues = new Map<number, TimerQueue>();
  /** Takes requests for sessions of other nodes; null (the default) refuses them. */
  forwarder: SessionForwarder | null = null;

  constructor(opts: EngineOptions = {}) {
    super();
    this.opts = resolveOptions(opts);
    if (this.opts.cors !== undefined) this.middlewares.push(corsMiddleware(this.opts.cors));
    this.responseHeaders = this.responseHeaders.bind(this);
    this.wss = this.opts.transports.includes("websocket") ? this.createWebSocketServer() : null;
  }

  get clientsCount(): number {
    return this.sessions.size;
  }

  /**
   * Chooses a session id: 15 random bytes as 20 base64url characters.
   * Replace it to choose your own; it may return a Promise, and a rejected
   * one refuses the handshake (400, code 3, as engine.io).
   */
  generateId(_req: IncomingMessage): string | Promise<string> {
    return randomId();
  }

  /**
   * Adds a Connect/Express-style middleware, run on every request of the
   * engine before anything else, upgrades included.
   *
   * @example
   * io.engine.use(sessionMiddleware); // then socket.request.session in handlers
   */
  use(fn: EngineMiddleware): this {
    this.middlewares.push(fn);
    return this;
  }

  /** Answers an HTTP request that belongs to the engine (its path). */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    // Before the middlewares: the node holding the session runs them, as for its own requests.
    const foreign = this.foreignSid(req);
    if (foreign !== undefined && this.forwarder!.forwardRequest(req, res, foreign)) return;
    applyMiddlewares(this.middlewares, req, res, (err) => {
      if (err === undefined) this.handleVerifiedRequest(req, res);
      else this.middlewareFailed(req, err, () => abortRequest(res, EngineErrorCode.BAD_REQUEST));
    });
  }

  private handleVerifiedRequest(req: IncomingMessage, res: ServerResponse): void {
    if (res.writableEnded) return; // a middleware answered (the CORS preflight, say)
    this.routeRequest(req, res);
  }

  /** Takes an HTTP `Upgrade` request that belongs to the engine: a WebSocket handshake or upgrade. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", ignore);
    const foreign = this.foreignSid(req);
    if (foreign !== undefined && this.forwarder!.forwardUpgrade(req, socket, head, foreign)) return;
    if (this.middlewares.length === 0) return this.handleVerifiedUpgrade(req, socket, head);
    const res = new UpgradeResponse(req, socket);
    applyMiddlewares(this.middlewares, req, res as unknown as ServerResponse, (err) => {
      if (res.writableEnded) return; // a middleware answered
      if (err !== undefined) return this.middlewareFailed(req, err, () => abortUpgrade(socket, EngineErrorCode.BAD_REQUEST));
      this.upgradeResponses.set(req, res);
      this.handleVerifiedUpgrade(req, socket, head);
    });
  }

  /** The sid a request names when a forwarder is set and this engine does not hold that session. */
  private foreignSid(req: IncomingMessage): string | undefined {
    if (this.forwarder === null) return undefined;
    const sid = parseQuery(req.url)?.sid;
    return sid !== undefined && !this.sessions.has(sid) ? sid : undefined;
  }

  private middlewareFailed(req: IncomingMessage, err: unknown, answer: () => void): void {
    this.refuse(req, EngineErrorCode.BAD_REQUEST, { name: "MIDDLEWARE_FAILURE", error: err instanceof Error ? err.message : String(err) });
    answer();
  }

  private handleVerifiedUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.verify(req, true, (verdict) => {
      if (!verdict.ok) {
        this.refuse(req, verdict.code, verdict.context);
        abortUpgrade(socket, verdict.code, refusalMessage(verdict.code, verdict.context));
        return;
      }
      if (this.wss === null) return abortUpgrade(socket, EngineErrorCode.UNKNOWN_TRANSPORT);
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        // `ws` listens for the errors of the socket it adopted.
        socket.off("error", ignore);
        try {
          this.onWebSocket(req, verdict.info, ws, socket);
        } finally {
          // The 101 answer is written: nothing reads what verify learned any more.
          this.requests.delete(req);
          // Corked by the "headers" hook: the 101 answer and the open packet
          // leave in one write (and the socket is uncorked even if a
          // "connection" listener throws).
          req.socket.uncork();
        }
      });
    });
  }

  /**
   * Serves the engine on `server`'s path: takes over its "request" listeners
   * (passing on what is not the engine's) and its "upgrade" event.
   */
  attach(server: HttpServer): this {
    const previous = server.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    server.removeAllListeners("request");
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      if (this.owns(req.url)) this.handleRequest(req, res);
      else for (const listener of previous) listener.call(server, req, res);
    };
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.owns(req.url)) this.handleUpgrade(req, socket, head);
      else if (this.opts.destroyUpgrade) this.endForeignUpgrade(socket);
    };
    // As engine.io: when the HTTP server closes, its sessions end; the engine
    // stays attached, so it serves again if the server listens again.
    const onClose = () => this.closeSessions();
    server.on("request", onRequest);
    server.on("close", onClose);
    if (this.wss !== null) server.on("upgrade", onUpgrade);
    this.detachers.push(() => {
      server.off("request", onRequest);
      server.off("close", onClose);
      server.off("upgrade", onUpgrade);
      for (const listener of previous) server.on("request", listener);
    });
    return this;
  }

  /** Ends every session (reason "server shutting down") and lets go of the HTTP server. */
  close(): this {
    if (this.closed) return this;
    this.closed = true;
    this.closeSessions();
    this.wss?.close();
    for (const detach of this.detachers.splice(0)) detach();
    return this;
  }

  private closeSessions(): void {
    debug("closing %d sessions", this.sessions.size);
    for (const socket of [...this.sessions.values()]) socket[shutdownSession]();
  }

  private owns(url: string | undefined): boolean {
    const path = this.opts.path;
    if (url === undefined || !url.startsWith(path)) return false;
    const next = url.charAt(path.length);
    return next === "" || next === "/" || next === "?";
  }

  private endForeignUpgrade(socket: Duplex): void {
    // Another listener may take this upgrade; if none has written anything
    // within destroyUpgradeTimeout, end it rather than leak the socket.
    const socketWithCount = socket as Duplex & { bytesWritten?: number };
    setTimeout(() => {
      if (socket.writable && (socketWithCount.bytesWritten ?? 0) <= 0) {
        socket.on("error", ignore);
        socket.end();
      }
    }, this.opts.destroyUpgradeTimeout).unref();
  }

  private routeRequest(req: IncomingMessage, res: ServerResponse): void {
    this.verify(req, false, (verdict) => {
      if (!verdict.ok) {
        this.refuse(req, verdict.code, verdict.context);
        abortRequest(res, verdict.code, undefined, refusalMessage(verdict.code, verdict.context));
        return;
      }
      const { info } = verdict;
      if (info.sid === undefined) {
        this.openSession(req, new PollingTransport(this.opts, this.responseHeaders), info.newSid!);
      }
      const transport = this.sessions.get(info.sid ?? info.newSid!)?.transport;
      if (transport instanceof PollingTransport) transport.onRequest(req, res);
      else abortRequest(res, EngineErrorCode.UNKNOWN_SID);
    });
  }

  /** `socket` is the connection `ws` adopted: the transport may write ready-made frames to it. */
  private onWebSocket(req: IncomingMessage, info: RequestInfo, ws: WebSocket, socket: Duplex): void {
    if (info.sid === undefined) {
      this.openSession(req, this.webSocketTransport(ws, socket), info.newSid!);
      return;
    }
    const session = this.sessions.get(info.sid);
    // A WebSocket for a session that is gone (it may close while the handshake
    // runs), on WebSocket already, or probing one: as engine.io does, the
    // handshake completes and the WebSocket is closed at once, with a close
    // frame and no status code (1005 to the client); the session is left alone.
    if (session === undefined || session.upgrading || session.transport.name === "websocket") {
      debug("websocket for session %s closed: %s", info.sid, session === undefined ? "gone" : "already upgrading or upgraded");
      ws.on("error", ignore);
      ws.close();
      return;
    }
    session[startUpgrade](this.webSocketTransport(ws, socket));
  }

  private webSocketTransport(ws: WebSocket, socket: Duplex): WebSocketTransport {
    return new WebSocketTransport(ws, socket, this.opts.perMessageDeflate !== false);
  }

  private openSession(req: IncomingMessage, transport: Transport, id: string): EngineSocket {
    const socket = new EngineSocket(id, transport, req, this);
    this.sessions.set(id, socket);
    this.clients[id] = socket;
    socket[startSession]();
    // engine.io's initialPacket: a message sent right after the open packet.
    if (this.opts.initialPacket !== undefined) socket.send(this.opts.initialPacket);
    debug("session %s opened over %s", id, transport.name);
    this.emit("connection", socket);
    return socket;
  }

  [heartbeatQueue](delay: number): TimerQueue {
    let queue = this.heartbeatQueues.get(delay);
    if (queue === undefined) {
      queue = new TimerQueue(delay);
      this.heartbeatQueues.set(delay, queue);
    }
    return queue;
  }

  [sessionClosed](session: EngineSocket, reason: CloseReason): void {
    this.sessions.delete(session.id);
    delete this.clients[session.id];
    debug("session %s closed (%s); %d left", session.id, reason, this.sessions.size);
  }

  /**
   * Checks a request against the Engine.IO v4 rules (engine.io-protocol v4,
   * "Handshake" and "Errors") and, for a handshake, `allowRequest`.
   */
  private verify(req: IncomingMessage, upgrade: boolean, done: (v: Verdict) => void): void {
    const fail = (code: EngineErrorCode, context: Record<string, unknown>) => done({ ok: false, code, context });
    const query = parseQuery(req.url);
    if (query === null) return fail(EngineErrorCode.BAD_REQUEST, { name: "INVALID_QUERY", url: req.url });
    const transport = query.transport;
    if (transport !== "polling" && transport !== "websocket") {
      return fail(EngineErrorCode.UNKNOWN_TRANSPORT, { transport });
    }
    if (!this.opts.transports.includes(transport)) return fail(EngineErrorCode.UNKNOWN_TRANSPORT, { transport });
    const origin = req.headers.origin;
    if (origin !== undefined && INVALID_ORIGIN.test(origin)) {
      return fail(EngineErrorCode.BAD_REQUEST, { name: "INVALID_ORIGIN", origin });
    }
    if (upgrade && transport !== "websocket") {
      return fail(EngineErrorCode.BAD_REQUEST, { name: "TRANSPORT_MISMATCH", transport });
    }
    const sid = query.sid;
    if (sid !== undefined) {
      const session = this.sessions.get(sid);
      if (session === undefined) return fail(EngineErrorCode.UNKNOWN_SID, { sid });
      if (upgrade) {
        // A session already on WebSocket, or probing one, is not refused here:
        // as engine.io, the handshake completes and `onWebSocket` closes it.
        if (!this.opts.allowUpgrades) return fail(EngineErrorCode.BAD_REQUEST, { name: "UPGRADES_DISABLED", sid });
      } else if (session.transport.name !== transport) {
        return fail(EngineErrorCode.BAD_REQUEST, { name: "TRANSPORT_MISMATCH", transport, previousTransport: session.transport.name });
      }
      const info: RequestInfo = { transport, sid, newSid: undefined };
      this.requests.set(req, info);
      return done({ ok: true, info });
    }
    if (this.closed) return fail(EngineErrorCode.BAD_REQUEST, { name: "SERVER_CLOSED" });
    // engine.io reports the revision it took the request for: 3 for anything but EIO=4.
    if (query.EIO !== "4") return fail(EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION, { protocol: 3, EIO: query.EIO });
    if (req.method !== "GET") return fail(EngineErrorCode.BAD_HANDSHAKE_METHOD, { method: req.method });
    if (transport === "websocket" && !upgrade) {
      return fail(EngineErrorCode.BAD_REQUEST, { name: "TRANSPORT_HANDSHAKE_ERROR", message: "websocket without Upgrade" });
    }
    const accept = () => {
      const withId = (id: string) => {
        const newSid = this.forwarder === null ? id : this.forwarder.ownSid(id);
        const info: RequestInfo = { transport, sid: undefined, newSid };
        this.requests.set(req, info);
        done({ ok: true, info });
      };
      let id: string | Promise<string>;
      try {
        id = this.generateId(req);
      } catch (error) {
        return fail(EngineErrorCode.BAD_REQUEST, { name: "ID_GENERATION_ERROR", error });
      }
      if (typeof id === "string") return withId(id);
      id.then(withId, (error: unknown) => fail(EngineErrorCode.BAD_REQUEST, { name: "ID_GENERATION_ERROR", error }));
    };
    const allowRequest = this.opts.allowRequest;
    if (allowRequest === undefined) return accept();
    let answered = false;
    allowRequest(req, (message, success) => {
      if (answered) return;
      answered = true;
      if (success) accept();
      else fail(EngineErrorCode.FORBIDDEN, { message });
    });
  }

  private refuse(req: IncomingMessage, code: EngineErrorCode, context: Record<string, unknown>): void {
    debug("refused %s %s: %s %j", req.method, req.url, ERROR_MESSAGES[code], context);
    this.emit("connection_error", { req, code, message: ERROR_MESSAGES[code], context });
  }

  /** Every HTTP response of the engine passes here: CORS, the handshake cookie, the header hooks. */
  private responseHeaders(req: IncomingMessage, headers: Headers): Headers {
    this.decorate(req, this.requests.get(req), headers);
    return headers;
  }

  private decorate(req: IncomingMessage, info: RequestInfo | undefined, headers: Headers): void {
    if (info?.newSid !== undefined) {
      if (this.opts.cookie) appendHeader(headers, "Set-Cookie", serializeCookie(info.newSid, this.opts.cookie));
      this.emit("initial_headers", headers, req);
    }
    this.emit("headers", headers, req);
    keepLastOfEachName(headers);
  }

  private createWebSocketServer(): WebSocketServer {
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: this.opts.perMessageDeflate,
      maxPayload: this.opts.maxHttpBufferSize,
    });
    wss.on("headers", (lines: string[], req: IncomingMessage) => {
      // `ws` writes the 101 answer right after this hook and then calls back
      // synchronously (handleVerifiedUpgrade uncorks there).
      req.socket.cork();
      const response = this.upgradeResponses.get(req);
      // Middlewares such as express-session set their cookie from a hook on
      // writeHead (on-headers): run it now, as the 101 is about to be written.
      response?.writeHead(101);
      const headers: Headers = { ...response?.headers };
      this.decorate(req, this.requests.get(req), headers);
      for (const [name, value] of Object.entries(headers)) {
        for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
      }
    });
    // A handshake `ws` refuses (no key, bad version, wrong Upgrade): answer in Engine.IO's terms.
    wss.on("wsClientError", (err: Error, socket: Duplex, req: IncomingMessage) => {
      this.refuse(req, EngineErrorCode.BAD_REQUEST, { name: "INVALID_WEBSOCKET_HANDSHAKE", message: err.message });
      abortUpgrade(socket, EngineErrorCode.BAD_REQUEST);
    });
    return wss;
  }
}
