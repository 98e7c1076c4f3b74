import { EventEmitter } from "node:events";
import { PacketType, type Packet } from "@duplex/protocol";
import createDebug from "debug";
import type { EncodedChunks, Adapter, AdapterNamespace, Room, SocketId } from "./adapter";
import { BroadcastOperator, type RemoteSocket } from "./broadcast-operator";
import type { Client } from "./client";
import {
  connectSocket,
  createAdapter,
  discardSocket,
  emitLocal,
  inheritMiddlewares,
  joinAbandoned,
  joinNamespace,
  onConnectRefused,
  onEmpty,
  removeSocket,
  resetAdapter,
  writePacket,
} from "./internal";
import type { RecoveryOptions } from "./recovery";
import type { Server } from "./server";
import { Socket } from "./socket";
import type {
  AllButLastParams,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  BroadcastAckResult,
} from "@duplex/protocol";

const debug = createDebug("duplex:server:namespace");

export type NamespaceMiddleware<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> = (
  socket: Socket<L, E, S, D>,
  next: (err?: ExtendedError) => void,
) => void;

/** An error a middleware passes to `next`: its message and `data` reach the client in CONNECT_ERROR. */
export interface ExtendedError extends Error {
  data?: unknown;
}

/**
 * A namespace: its own sockets, middlewares, rooms (through its adapter) and
 * events, multiplexed with the others over each client's engine session.
 *
 * @example
 * const chat = io.of("/chat");
 * chat.use((socket, next) => (socket.handshake.auth.token ? next() : next(new Error("unauthorized"))));
 * chat.on("connection", (socket) => socket.emit("welcome"));
 */
export class Namespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = unknown,
> extends EventEmitter {
  readonly sockets = new Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  adapter: Adapter;
  /** Set on dynamic children when cleanupEmptyChildNamespaces is on. */
  [onEmpty]: (() => void) | undefined;
  private middlewares: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
  /** Sockets whose CONNECT is being processed (recovery, middlewares). */
  private joining = 0;
  private ackIds = 0;

  constructor(
    readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly name: string,
    /** Makes this namespace's adapter: by default one of the server's adapter class. */
    private readonly makeAdapter: (nsp: AdapterNamespace) => Adapter = (nsp) => server[createAdapter](nsp),
  ) {
    super();
    this.adapter = this.startAdapter();
  }

  /** Listens to "connection"/"connect" (a socket joined) or to a server-side event from another node. */
  override on(ev: "connection" | "connect", listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  override on<Ev extends EventNames<ServerSideEvents>>(ev: Ev, listener: ServerSideEvents[Ev]): this;
  override on(ev: string | symbol, listener: (...args: never[]) => void): this {
    return super.on(ev, listener as (...args: unknown[]) => void);
  }

  override once(ev: "connection" | "connect", listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  override once<Ev extends EventNames<ServerSideEvents>>(ev: Ev, listener: ServerSideEvents[Ev]): this;
  override once(ev: string | symbol, listener: (...args: never[]) => void): this {
    return super.once(ev, listener as (...args: unknown[]) => void);
  }

  /** The server's connection state recovery options (null when off), for the adapter. */
  get recoveryOptions(): RecoveryOptions | null {
    return this.server.recoveryOptions;
  }

  [resetAdapter](): void {
    this.adapter = this.startAdapter();
  }

  private startAdapter(): Adapter {
    const adapter = this.makeAdapter(this);
    void Promise.resolve(adapter.init()).catch((err: Error) => adapter.emit("error", err));
    return adapter;
  }

  /** Adds a middleware run for each socket joining the namespace. */
  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.middlewares.push(fn);
    return this;
  }

  [inheritMiddlewares](from: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this.middlewares = from.middlewares.slice();
  }

  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().to(room);
  }

  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().in(room);
  }

  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().except(room);
  }

  /** Broadcasts to every socket of the namespace. */
  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.operator().emit(ev, ...args);
  }

  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLastParams<EmitEvents, Ev>): Promise<BroadcastAckResult<EmitEvents, Ev>> {
    return this.operator().emitWithAck(ev, ...args);
  }

  send(...args: unknown[]): this {
    new BroadcastOperator(this.adapter).emit("message", ...args);
    return this;
  }

  write(...args: unknown[]): this {
    return this.send(...args);
  }

  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().volatile;
  }

  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().local;
  }

  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().compress(compress);
  }

  timeout(ms: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.operator().timeout(ms);
  }

  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.operator().fetchSockets();
  }

  /**
   * Ids of every socket of the namespace.
   * @deprecated as in socket.io 4: use `fetchSockets()`.
   */
  allSockets(): Promise<Set<SocketId>> {
    return this.operator().allSockets();
  }

  socketsJoin(room: Room | Room[]): void {
    this.operator().socketsJoin(room);
  }

  socketsLeave(room: Room | Room[]): void {
    this.operator().socketsLeave(room);
  }

  disconnectSockets(close = false): void {
    this.operator().disconnectSockets(close);
  }

  /**
   * Emits to the other server nodes (through the adapter); a trailing
   * callback gets `(err, responses)`.
   * @throws {Error} for a reserved event name.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean {
    const name = String(ev);
    if (RESERVED_NAMESPACE_EVENTS.has(name)) throw new Error(`"${name}" is a reserved event name`);
    this.adapter.serverSideEmit([name, ...(args as unknown[])]);
    return true;
  }

  serverSideEmitWithAck(ev: EventNames<ServerSideEvents>, ...args: unknown[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const callback = (err: Error | null, responses: unknown[]) => (err ? reject(err) : resolve(responses));
      this.adapter.serverSideEmit([String(ev), ...args, callback]);
    });
  }

  [emitLocal](ev: string, ...args: unknown[]): boolean {
    return super.emit(ev, ...args);
  }

  /** Adapter side: a server-side event from another node runs this node's listeners. */
  onServerSideEmit(args: unknown[]): void {
    super.emit(args[0] as string, ...args.slice(1));
  }

  /** A fresh ack id; sockets and broadcasts of the namespace (and adapters) share the sequence. */
  nextAckId(): number {
    const id = this.ackIds;
    this.ackIds = id >= Number.MAX_SAFE_INTEGER ? 0 : id + 1;
    return id;
  }

  /** Adapter side: encodes a packet once, with the server's encoder, for all its recipients. */
  encode(packet: Packet): EncodedChunks {
    return this.server.encoder.encode(packet);
  }

  /**
   * A client asks to join: recover its session if it can, run the
   * middlewares, then connect. `onJoined` runs once the CONNECT is sent.
   */
  async [joinNamespace](
    client: Client,
    auth: Record<string, unknown>,
    onJoined: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Promise<void> {
    this.joining++;
    const recovery = this.server.recoveryOptions;
    const pid = auth.pid;
    const offset = auth.offset;
    if (recovery && typeof pid === "string" && typeof offset === "string") {
      const session = await this.adapter.restoreSession(pid, offset).catch(() => null);
      if (client.conn.readyState !== "open") return this[joinAbandoned]();
      if (session) {
        const socket = new Socket(this, client, auth, session);
        const join = () => {
          socket.join(session.rooms);
          this.connect(socket, onJoined, session.missedPackets);
        };
        if (recovery.skipMiddlewares) join();
        else this.runMiddlewares(socket, client, join);
        return;
      }
    }
    const socket = new Socket(this, client, auth);
    this.runMiddlewares(socket, client, () => this.connect(socket, onJoined));
  }

  [removeSocket](socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this.sockets.delete(socket.id);
    if (this.sockets.size === 0 && this.joining === 0) this[onEmpty]?.();
  }

  /**
   * A CONNECT ended without a socket: refused by a middleware, or its session
   * closed meanwhile. A dynamic child created for it is removed like one whose
   * last socket left, or refused names (which clients choose) would pile up.
   */
  [joinAbandoned](): void {
    this.joining--;
    if (this.sockets.size === 0 && this.joining === 0) this[onEmpty]?.();
  }

  private runMiddlewares(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, client: Client, done: () => void): void {
    const fns = this.middlewares.slice();
    const step = (i: number) => {
      if (client.conn.readyState !== "open") return socket[discardSocket]();
      const fn = fns[i];
      if (fn === undefined) return done();
      let called = false;
      fn(socket, (err) => {
        if (called) return;
        called = true;
        if (err) return this.refuse(socket, err);
        step(i + 1);
      });
    };
    step(0);
  }

  private refuse(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, err: ExtendedError): void {
    debug("%s: middleware refused: %s", this.name, err.message);
    socket[discardSocket]();
    const data = err.data === undefined ? { message: err.message } : { message: err.message, data: err.data };
    socket.client[writePacket]({ type: PacketType.CONNECT_ERROR, nsp: this.name, data });
    socket.client[onConnectRefused](this.name);
  }

  private connect(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    onJoined: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
    missedPackets?: unknown[][],
  ): void {
    if (socket.client.conn.readyState !== "open") return socket[discardSocket]();
    this.joining--;
    this.sockets.set(socket.id, socket);
    socket[connectSocket](missedPackets);
    onJoined(socket);
    try {
      super.emit("connect", socket);
      super.emit("connection", socket);
    } catch (err) {
      // A throwing "connection" handler is the application's bug. socket.io
      // runs these handlers from process.nextTick, so the error surfaces as an
      // "uncaughtException"; here `add` is async and the error would become an
      // unhandled rejection (or be thrown into a middleware's `next()`), so it
      // is rethrown the same way.
      debug("%s: connection handler threw: %s", this.name, err);
      process.nextTick(() => {
        throw err;
      });
    }
  }

  private operator(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<EmitEvents, SocketData>(this.adapter);
  }
}

const RESERVED_NAMESPACE_EVENTS = new Set(["connect", "connection", "new_namespace"]);
