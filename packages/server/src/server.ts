import { EventEmitter } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import { EngineServer, randomId, type EngineOptions } from "@duplex/engine";
import { defaultParser, type DecoderOptions, type EncoderLike, type Parser } from "@duplex/protocol";
import createDebug from "debug";
import { Adapter, type AdapterConstructor, type AdapterNamespace, type Room, type SocketId } from "./adapter";
import type { BroadcastOperator, RemoteSocket } from "./broadcast-operator";
import { Client } from "./client";
import { Namespace, type NamespaceMiddleware } from "./namespace";
import { ParentNamespace, type NamespaceMatcher } from "./parent-namespace";
import { RecoveryAdapter, type RecoveryOptions } from "./recovery";
import { attachClientServing } from "./serve-client";
import type { Socket } from "./socket";
import {
  closeSocket,
  createAdapter,
  createChild,
  decoderOptions,
  emitLocal,
  forgetNamespace,
  generateSocketId,
  resetAdapter,
  resolveNamespace,
} from "./internal";
import type {
  AllButLastParams,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  BroadcastAckResult,
} from "@duplex/protocol";

const debug = createDebug("duplex:server");

/** socket.io's server options; engine options pass through to `@duplex/engine`. */
export interface ServerOptions extends EngineOptions {
  /** Default "/socket.io". */
  path?: string;
  /**
   * Serve the browser client (@duplex/client's bundles) at
   * `<path>/socket.io.js`, `socket.io.min.js`, `socket.io.esm.min.js`. Default true.
   */
  serveClient?: boolean;
  /** ms a session may take to join a namespace. Default 45000. */
  connectTimeout?: number;
  /** The adapter class, e.g. the Redis adapter's factory result. Default: in memory. */
  adapter?: AdapterConstructor;
  /** Turns on connection state recovery. */
  connectionStateRecovery?: Partial<RecoveryOptions>;
  /** Remove a dynamic child namespace once its last socket left. Default false. */
  cleanupEmptyChildNamespaces?: boolean;
  /** Limits of the packet decoder (maxAttachments 10, maxDepth 1000). */
  decoder?: DecoderOptions;
  /**
   * The packet codec: an `{ Encoder, Decoder }` pair (see @duplex/protocol's
   * `Parser`); wrap a socket.io-style parser (msgpack) with `fromSocketIoParser`.
   */
  parser?: Parser;
}

type Listener = (...args: never[]) => void;

/**
 * The Socket.IO server: a drop-in for socket.io 4.x's `Server`.
 *
 * @example
 * import { Server } from "@duplex/server";
 * const io = new Server(3000, { cors: { origin: "*" } });
 * io.on("connection", (socket) => {
 *   socket.on("ping", (ack) => ack("pong"));
 * });
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = unknown,
> {
  /** The main namespace, "/". */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  engine!: EngineServer;
  httpServer: HttpServer | undefined;
  readonly parser: Parser;
  /** One encoder for the whole server: a broadcast is encoded once. */
  readonly encoder: EncoderLike;
  readonly connectTimeout: number;
  readonly cleanupEmptyChildNamespaces: boolean;
  /** Null when connection state recovery is off. */
  readonly recoveryOptions: RecoveryOptions | null;
  readonly [decoderOptions]: DecoderOptions | undefined;
  private readonly opts: ServerOptions;
  private readonly nsps = new Map<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  private readonly parents: ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
  /** Parents made from a RegExp: `io.of(name)` attaches a matching name to them, as socket.io does. */
  private readonly regExpParents: Array<[RegExp, ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>]> = [];
  private adapterCtor: AdapterConstructor;
  private ownsHttpServer = false;
  private serveClientFiles: boolean;

  constructor(opts?: ServerOptions);
  constructor(srv: HttpServer | number, opts?: ServerOptions);
  constructor(srv?: HttpServer | number | ServerOptions, opts: ServerOptions = {}) {
    if (typeof srv === "object" && !isHttpServer(srv)) {
      opts = srv;
      srv = undefined;
    }
    this.opts = { ...opts, path: opts.path ?? "/socket.io" };
    this.serveClientFiles = opts.serveClient !== false;
    this.connectTimeout = opts.connectTimeout ?? 45000;
    this.cleanupEmptyChildNamespaces = opts.cleanupEmptyChildNamespaces ?? false;
    this[decoderOptions] = opts.decoder;
    this.parser = opts.parser ?? defaultParser;
    this.encoder = new this.parser.Encoder();
    const recovery = opts.connectionStateRecovery;
    this.recoveryOptions = recovery
      ? { maxDisconnectionDuration: recovery.maxDisconnectionDuration ?? 120_000, skipMiddlewares: recovery.skipMiddlewares ?? true }
      : null;
    this.adapterCtor = duplexAdapter(opts.adapter ?? Adapter);
    this.sockets = this.of("/");
    if (srv !== undefined) this.attach(srv as HttpServer | number);
  }

  /** Serves Socket.IO on an HTTP server, or on a new one listening on `port`. */
  attach(srv: HttpServer | number, opts: ServerOptions = {}): this {
    Object.assign(this.opts, opts);
    if (opts.serveClient !== undefined) this.serveClientFiles = opts.serveClient;
    if (typeof srv === "number") {
      const port = srv;
      srv = createServer((_req, res) => res.writeHead(404).end());
      srv.listen(port);
      this.ownsHttpServer = true;
    }
    this.httpServer = srv;
    const engine = new EngineServer({ ...this.opts, path: this.opts.path });
    engine.attach(srv);
    attachClientServing(
      srv,
      () => this.path(),
      () => this.serveClientFiles,
    );
    this.bind(engine);
    return this;
  }

  /**
   * Whether the browser client is served at `<path>/socket.io.js` (see the
   * `serveClient` option); the setter returns the server, as socket.io's.
   */
  serveClient(): boolean;
  serveClient(serve: boolean): this;
  serveClient(serve?: boolean): boolean | this {
    if (serve === undefined) return this.serveClientFiles;
    this.serveClientFiles = serve;
    return this;
  }

  /**
   * The path the server answers on ("/socket.io"). Setting it takes effect
   * for the next `attach` and for the browser files, as in socket.io.
   */
  path(): string;
  path(path: string): this;
  path(path?: string): string | this {
    if (path === undefined) return this.opts.path as string;
    this.opts.path = path.replace(/\/$/, "");
    return this;
  }

  /** Alias of `attach`. */
  listen(srv: HttpServer | number, opts?: ServerOptions): this {
    return this.attach(srv, opts);
  }

  /** Uses an engine created elsewhere. */
  bind(engine: EngineServer): this {
    this.engine = engine;
    engine.on("connection", (conn) => new Client(this, conn));
    return this;
  }

  /**
   * The namespace `name`, created on first use; with a RegExp or a function,
   * a parent of dynamic namespaces.
   */
  of(
    name: string | RegExp | NamespaceMatcher,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    if (typeof name === "function" || name instanceof RegExp) {
      if (name instanceof RegExp && (name.global || name.sticky)) {
        // test() on such a RegExp moves lastIndex, so it would match every other call.
        throw Object.assign(new Error("stateful regular expressions are not supported"), { code: "STATEFUL_REGEXP" });
      }
      const regExp = name instanceof RegExp ? name : null;
      const matcher: NamespaceMatcher = regExp === null ? (name as NamespaceMatcher) : (n, _auth, next) => next(null, regExp.test(n));
      const parent = new ParentNamespace(this, matcher);
      this.parents.push(parent);
      if (regExp !== null) this.regExpParents.push([regExp, parent]);
      if (fn) parent.on("connection", fn);
      return parent;
    }
    if (name.charAt(0) !== "/") name = `/${name}`;
    let nsp = this.nsps.get(name);
    if (nsp === undefined) {
      // socket.io attaches a name made by hand to the first RegExp parent it
      // matches, so the parent's middlewares and handlers apply to it.
      const parent = this.regExpParents.find(([regExp]) => regExp.test(name as string))?.[1];
      if (parent !== undefined) return this.attachChild(parent, name, fn);
    }
    if (nsp === undefined) {
      nsp = new Namespace(this, name);
      this.nsps.set(name, nsp);
      debug("namespace %s created", name);
      if (name !== "/") this.sockets[emitLocal]("new_namespace", nsp);
    }
    if (fn) nsp.on("connection", fn);
    return nsp;
  }

  /** Gets or sets the adapter class; setting it re-creates every namespace's adapter. */
  adapter(): AdapterConstructor;
  adapter(ctor: AdapterConstructor): this;
  adapter(ctor?: AdapterConstructor): AdapterConstructor | this {
    if (ctor === undefined) return this.adapterCtor;
    this.adapterCtor = duplexAdapter(ctor);
    for (const nsp of this.nsps.values()) nsp[resetAdapter]();
    return this;
  }

  [createAdapter](nsp: AdapterNamespace): Adapter {
    if (this.recoveryOptions && this.adapterCtor === Adapter) {
      return new RecoveryAdapter(nsp, this.recoveryOptions.maxDisconnectionDuration);
    }
    return new this.adapterCtor(nsp);
  }

  /** The socket id of a new namespace socket: 20 base64url characters, like a sid. */
  [generateSocketId](): string {
    return randomId();
  }

  /** Finds (or creates, for a dynamic match) the namespace a CONNECT names; null when none. */
  [resolveNamespace](
    name: string,
    auth: Record<string, unknown>,
    done: (nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | null) => void,
  ): void {
    const existing = this.nsps.get(name);
    if (existing !== undefined) return done(existing);
    const parents = this.parents.slice();
    const tryParent = (i: number) => {
      const parent = parents[i];
      if (parent === undefined) return done(null);
      parent.matcher(name, auth, (err, accept) => {
        if (err || !accept) return tryParent(i + 1);
        const again = this.nsps.get(name);
        if (again !== undefined) return done(again);
        done(this.attachChild(parent, name));
      });
    };
    tryParent(0);
  }

  private attachChild(
    parent: ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const child = parent[createChild](name);
    this.nsps.set(name, child);
    debug("namespace %s created as a child of %s", name, parent.name);
    this.sockets[emitLocal]("new_namespace", child);
    if (fn) child.on("connection", fn);
    return child;
  }

  [forgetNamespace](nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.nsps.get(nsp.name) === nsp) this.nsps.delete(nsp.name);
  }

  /** Whether namespace `name` exists. */
  hasNamespace(name: string): boolean {
    return this.nsps.has(name);
  }

  /**
   * Disconnects every socket ("server shutting down"), closes the engine and
   * then the HTTP server. As in socket.io, `fn` gets the HTTP server's close
   * error: `ERR_SERVER_NOT_RUNNING` when it was not listening.
   */
  close(fn?: (err?: Error) => void): Promise<void> {
    debug("closing %d namespaces", this.nsps.size);
    for (const nsp of this.nsps.values()) {
      for (const socket of [...nsp.sockets.values()]) socket[closeSocket]("server shutting down");
      void nsp.adapter.close();
    }
    for (const parent of this.parents) void parent.adapter.close();
    this.engine?.close();
    return new Promise((resolve) => {
      const done = (err?: Error) => {
        fn?.(err);
        resolve();
      };
      const http = this.httpServer;
      if (http === undefined) return done();
      const listening = http.listening;
      http.close(done);
      if (listening) http.closeIdleConnections();
    });
  }

  // Delegation to the main namespace, as socket.io does.

  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.sockets.use(fn);
    return this;
  }

  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.to(room);
  }

  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.in(room);
  }

  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.except(room);
  }

  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.sockets.emit(ev, ...args);
  }

  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLastParams<EmitEvents, Ev>): Promise<BroadcastAckResult<EmitEvents, Ev>> {
    return this.sockets.emitWithAck(ev, ...args);
  }

  send(...args: unknown[]): this {
    this.sockets.send(...args);
    return this;
  }

  write(...args: unknown[]): this {
    return this.send(...args);
  }

  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.volatile;
  }

  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.local;
  }

  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.compress(compress);
  }

  timeout(ms: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.sockets.timeout(ms);
  }

  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }

  /**
   * Ids of every socket of the main namespace.
   * @deprecated as in socket.io 4: use `fetchSockets()`.
   */
  allSockets(): Promise<Set<SocketId>> {
    return this.sockets.allSockets();
  }

  socketsJoin(room: Room | Room[]): void {
    this.sockets.socketsJoin(room);
  }

  socketsLeave(room: Room | Room[]): void {
    this.sockets.socketsLeave(room);
  }

  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
  }

  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean {
    return this.sockets.serverSideEmit(ev, ...args);
  }

  serverSideEmitWithAck(ev: EventNames<ServerSideEvents>, ...args: unknown[]): Promise<unknown[]> {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }

  on(ev: "connection" | "connect", listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  on(ev: "new_namespace", listener: (nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  on<Ev extends EventNames<ServerSideEvents>>(ev: Ev, listener: ServerSideEvents[Ev]): this;
  on(ev: string, listener: Listener): this {
    EventEmitter.prototype.on.call(this.sockets, ev, listener as (...args: unknown[]) => void);
    return this;
  }

  once(ev: "connection" | "connect", listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  once<Ev extends EventNames<ServerSideEvents>>(ev: Ev, listener: ServerSideEvents[Ev]): this;
  once(ev: string, listener: Listener): this {
    EventEmitter.prototype.once.call(this.sockets, ev, listener as (...args: unknown[]) => void);
    return this;
  }

  off(ev: string, listener: Listener): this {
    this.sockets.off(ev, listener as (...args: unknown[]) => void);
    return this;
  }

  removeAllListeners(ev?: string): this {
    this.sockets.removeAllListeners(ev);
    return this;
  }

  listeners(ev: string): Function[] {
    return this.sockets.listeners(ev);
  }
}

function isHttpServer(value: object): value is HttpServer {
  return typeof (value as { listen?: unknown }).listen === "function";
}

/**
 * Refuses, at startup, an adapter that is not a Duplex one: a socket.io
 * adapter (`@socket.io/redis-adapter`'s `createAdapter(…)` returns a plain
 * function) implements socket.io-adapter's interface, not Duplex's, and
 * would fail at the first broadcast.
 */
function duplexAdapter(ctor: AdapterConstructor): AdapterConstructor {
  if (ctor === Adapter || (typeof ctor === "function" && ctor.prototype instanceof Adapter)) return ctor;
  throw Object.assign(
    new TypeError(
      "the adapter is not a Duplex adapter (a class extending @duplex/server's Adapter); socket.io adapters do not fit. " +
        'For Redis, use createAdapter from "@duplex/redis-adapter" instead of "@socket.io/redis-adapter".',
    ),
    { code: "NOT_A_DUPLEX_ADAPTER" },
  );
}

