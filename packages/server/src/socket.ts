import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { EngineSocket } from "@duplex/engine";
import { AckRegistry, PacketType, RESERVED_EVENTS, type DecodedPacket, type Packet } from "@duplex/protocol";
import createDebug from "debug";
import type { EncodedChunks, AdapterSocket, BroadcastFlags, Room, SocketId } from "./adapter";
import { BroadcastOperator } from "./broadcast-operator";
import { handshakeOf, type Handshake } from "./handshake";
import { SocketSender, type EmitFlags } from "./socket-sender";
import { RECOVERABLE, type DisconnectReason, type SocketReservedEvents } from "./disconnect-reasons";
import type { Client } from "./client";
import {
  closeSocket,
  connectSocket,
  disconnectAll,
  discardSocket,
  emitWithFlags,
  generateSocketId,
  joinAbandoned,
  notifyDrain,
  onInvalidPacket,
  removeSocket,
  reportError,
  routePacket,
  writeEncoded,
  writePacket,
} from "./internal";
import type { Namespace } from "./namespace";
import type {
  DecorateAcknowledgements,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
  AllButLastParams,
  FirstAckArg,
} from "@duplex/protocol";

export type { DisconnectReason, EmitFlags, Handshake, SocketReservedEvents };

const debug = createDebug("duplex:server:socket");

/** `Socket.data` before it is first read or set. */
const DATA_UNSET = Symbol("data unset");

export type SocketMiddleware = (event: unknown[], next: (err?: Error) => void) => void;
type AnyListener = (event: string, ...args: unknown[]) => void;
type AckFn = (...args: unknown[]) => void;

/**
 * One client's membership of one namespace: socket.io's `Socket`. Its id is
 * its own (not the engine sid); it emits to its client, joins rooms, and
 * receives the client's events through `on`.
 *
 * @example
 * io.on("connection", (socket) => {
 *   socket.join("lobby");
 *   socket.on("chat", (text, ack) => { socket.to("lobby").emit("chat", text); ack?.("ok"); });
 *   socket.on("disconnect", (reason) => console.log(socket.id, reason));
 * });
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = unknown,
> extends EventEmitter implements AdapterSocket {
  readonly id: SocketId;
  /** `data`, made on first use (most applications never set it). */
  private dataValue: SocketData | typeof DATA_UNSET = DATA_UNSET;
  /** Whether this socket got its state back through connection state recovery. */
  readonly recovered: boolean;
  connected = false;
  /** Private session id for recovery; only this client learns it (adapters store it). */
  readonly pid: string | undefined;

  /** Set once the socket disconnected or was refused: it may not join rooms again. */
  private ended = false;
  /** When the socket joined, in ms since the epoch: the handshake's `issued`. */
  private readonly issued = Date.now();
  /** The handshake, made on first read (most applications never read it). */
  private handshakeValue: Handshake | null = null;
  /** Acks this socket waits for: made by the first emit that expects one. */
  private acks: AckRegistry | null = null;
  /** Made by the first `use()`. */
  private middlewares: SocketMiddleware[] | null = null;
  private anyListeners: AnyListener[] | null = null;
  private anyOutgoingListeners: AnyListener[] | null = null;

  constructor(
    readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly client: Client,
    private readonly auth: Record<string, unknown>,
    session?: { sid: SocketId; pid: string; data: unknown } | null,
  ) {
    super();
    if (session) {
      this.id = session.sid;
      this.pid = session.pid;
      this.dataValue = session.data as SocketData;
      this.recovered = true;
    } else {
      this.id = nsp.server[generateSocketId]();
      this.pid = nsp.server.recoveryOptions ? nsp.server[generateSocketId]() : undefined;
      this.recovered = false;
    }
  }

  /** Listens to a client event, or to "disconnect", "disconnecting", "error". */
  override on<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.on(ev, listener as (...args: unknown[]) => void);
  }

  override once<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.once(ev, listener as (...args: unknown[]) => void);
  }

  /** Free-form data, shared across nodes by fetchSockets. An empty object until set. */
  get data(): SocketData {
    if (this.dataValue === DATA_UNSET) this.dataValue = {} as SocketData;
    return this.dataValue;
  }

  set data(value: SocketData) {
    this.dataValue = value;
  }

  /** What the server knew of the client when it joined the namespace: headers, address, query, auth… */
  get handshake(): Handshake {
    return (this.handshakeValue ??= handshakeOf(this.client.conn, this.auth, this.issued));
  }

  /** The HTTP request that opened the engine session (what `io.engine.use()` middlewares saw). */
  get request(): IncomingMessage {
    return this.client.conn.request;
  }

  /** The engine session under this socket. */
  get conn(): EngineSocket {
    return this.client.conn;
  }

  get disconnected(): boolean {
    return !this.connected;
  }

  /** Rooms this socket is in, its own id included. */
  get rooms(): Set<Room> {
    return new Set(this.nsp.adapter.socketRooms(this.id) ?? []);
  }

  /**
   * Emits an event to this client. A trailing function is an ack callback.
   * @throws {Error} for a reserved event name ("connect", "disconnect", …).
   * @example socket.emit("hello", "world", (answer) => console.log(answer));
   */
  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this[emitWithFlags](undefined, ev as string, args);
  }

  /** Emits and resolves with the client's ack (rejects on timeout or disconnect). */
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLastParams<EmitEvents, Ev>): Promise<FirstAckArg<EmitEvents, Ev>> {
    return new SocketSender<EmitEvents>(this as AnySocket, {}).emitWithAck(ev, ...args);
  }

  /** `emit("message", …args)`. */
  send(...args: unknown[]): this {
    this[emitWithFlags](undefined, "message", args);
    return this;
  }

  /** Alias of `send`. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** Emits with an ack deadline: the callback gets `(err, ...answer)`. */
  timeout(ms: number): SocketSender<DecorateAcknowledgements<EmitEvents>> {
    return new SocketSender(this as AnySocket, { timeout: ms });
  }

  /** Emits that may be dropped if the client cannot take them now. */
  get volatile(): SocketSender<EmitEvents> {
    return new SocketSender(this as AnySocket, { volatile: true });
  }

  compress(compress: boolean): SocketSender<EmitEvents> {
    return new SocketSender(this as AnySocket, { compress });
  }

  /** Emits to every socket of the namespace but this one. */
  get broadcast(): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcast();
  }

  /** Emits to `room` (or rooms), except this socket. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcast().to(room);
  }

  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcast().except(room);
  }

  /** A broadcast that stays on this node. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcast().local;
  }

  /**
   * Joins `rooms`. Middlewares may join before the socket connects; after it
   * disconnected, a late join (say, after an await) is ignored, so the
   * adapter keeps no room for a socket that is gone.
   */
  join(rooms: Room | Room[]): Promise<void> | void {
    if (this.ended) return;
    return this.nsp.adapter.addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
  }

  leave(room: Room): Promise<void> | void {
    return this.nsp.adapter.del(this.id, room);
  }

  /**
   * Leaves the namespace ("server namespace disconnect"); with `close`, ends
   * the whole engine session (every namespace of this client).
   */
  disconnect(close = false): this {
    if (!this.connected) return this;
    if (close) {
      this.client[disconnectAll]();
    } else {
      this[writePacket]({ type: PacketType.DISCONNECT, nsp: this.nsp.name });
      this[closeSocket]("server namespace disconnect");
    }
    return this;
  }

  /** Adds a middleware run for each incoming event: `([event, ...args], next) => …`. */
  use(fn: SocketMiddleware): this {
    (this.middlewares ??= []).push(fn);
    return this;
  }

  onAny(listener: AnyListener): this {
    (this.anyListeners ??= []).push(listener);
    return this;
  }

  prependAny(listener: AnyListener): this {
    (this.anyListeners ??= []).unshift(listener);
    return this;
  }

  offAny(listener?: AnyListener): this {
    this.anyListeners = removeListener(this.anyListeners, listener);
    return this;
  }

  listenersAny(): AnyListener[] {
    return this.anyListeners?.slice() ?? [];
  }

  onAnyOutgoing(listener: AnyListener): this {
    (this.anyOutgoingListeners ??= []).push(listener);
    return this;
  }

  prependAnyOutgoing(listener: AnyListener): this {
    (this.anyOutgoingListeners ??= []).unshift(listener);
    return this;
  }

  offAnyOutgoing(listener?: AnyListener): this {
    this.anyOutgoingListeners = removeListener(this.anyOutgoingListeners, listener);
    return this;
  }

  listenersAnyOutgoing(): AnyListener[] {
    return this.anyOutgoingListeners?.slice() ?? [];
  }

  [emitWithFlags](flags: EmitFlags | undefined, ev: string, args: unknown[], withError = flags?.timeout !== undefined): boolean {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const data: unknown[] = [ev, ...args];
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp.name, data: data as [string, ...unknown[]] };
    const last = data[data.length - 1];
    if (typeof last === "function") {
      data.pop();
      const id = this.nsp.nextAckId();
      packet.id = id;
      // Plain callbacks get the answer; timed ones get (err, ...answer), err on timeout or disconnect.
      this.acks ??= new AckRegistry();
      this.acks.set(id, last as AckFn, withError, flags?.timeout);
    }
    if (this.nsp.server.recoveryOptions && packet.id === undefined && !flags?.volatile) {
      // Through the adapter, so the packet gets an offset and is kept for recovery.
      this.nsp.adapter.broadcast(packet, { rooms: new Set([this.id]), flags: { ...flags, local: true } });
    } else {
      this.notifyOutgoing(packet);
      this[writePacket](packet, flags);
    }
    return true;
  }

  [writePacket](packet: Packet, flags?: BroadcastFlags): void {
    this.client[writePacket](packet, flags);
  }

  /** Adapter side: writes an already-encoded broadcast. */
  writeEncoded(encoded: EncodedChunks, flags: BroadcastFlags | undefined, packet: Packet): void {
    if (!this.connected) return;
    this.notifyOutgoing(packet);
    this.client[writeEncoded](encoded, flags);
  }

  /** Adapter side: awaits the ack of a broadcast. */
  expectAck(id: number, callback: (err: Error | null, response?: unknown) => void, timeout: number | undefined): void {
    this.acks ??= new AckRegistry();
    this.acks.set(id, callback, true, timeout);
  }

  /** Called by the namespace once middlewares passed. */
  [connectSocket](missedPackets: unknown[][] = []): void {
    this.connected = true;
    this.join(this.id);
    const data = this.pid === undefined ? { sid: this.id } : { sid: this.id, pid: this.pid };
    this[writePacket]({ type: PacketType.CONNECT, nsp: this.nsp.name, data });
    for (const args of missedPackets) {
      this[writePacket]({ type: PacketType.EVENT, nsp: this.nsp.name, data: args as [string, ...unknown[]] });
    }
  }

  [routePacket](packet: DecodedPacket): void {
    switch (packet.type) {
      case PacketType.EVENT:
        this.onEvent(packet.data, packet.id);
        break;
      case PacketType.ACK:
        // An ack for an unknown or settled id is ignored (the registry says false).
        if (this.acks === null || !this.acks.settle(packet.id, packet.data)) debug("%s: ack %d unknown or settled", this.id, packet.id);
        break;
      case PacketType.DISCONNECT:
        this[closeSocket]("client namespace disconnect");
        break;
      default:
        break;
    }
  }

  [closeSocket](reason: DisconnectReason, description?: unknown): void {
    if (!this.connected) return;
    this.emitReserved("disconnecting", reason, description);
    const server = this.nsp.server;
    if (server.recoveryOptions && this.pid !== undefined && RECOVERABLE.has(reason)) {
      void this.nsp.adapter.persistSession({ sid: this.id, pid: this.pid, rooms: [...this.rooms], data: this.data });
    }
    this.ended = true;
    this.nsp.adapter.delAll(this.id);
    this.nsp[removeSocket](this);
    this.client[removeSocket](this);
    this.connected = false;
    this.acks?.rejectAll();
    this.emitReserved("disconnect", reason, description);
  }

  /** Ends a socket that never connected (refused, or its session closed while joining): leaves the rooms a middleware joined. */
  [discardSocket](): void {
    this.ended = true;
    this.nsp.adapter.delAll(this.id);
    this.nsp[joinAbandoned]();
  }

  [notifyDrain](): void {
    if (this.connected) this.emitReserved("drain");
  }

  /** Drops the error if nobody listens. */
  [reportError](err: Error): void {
    if (this.listenerCount("error") > 0) super.emit("error", err);
    else debug("%s: unhandled socket error: %s", this.id, err.message);
  }

  private emitReserved(ev: keyof SocketReservedEvents, ...args: unknown[]): void {
    super.emit(ev, ...args);
  }

  private onEvent(data: unknown[], id: number | undefined): void {
    const event = id === undefined ? data : [...data, this.ackFor(id)];
    const name = data[0];
    if (typeof name === "string" && RESERVED_EVENTS.has(name)) {
      // A client may not fake "disconnect" & co. socket.io-parser refuses such packets.
      const err = new Error(`reserved event name ${JSON.stringify(name)} sent by the client`);
      this.client[onInvalidPacket](Object.assign(err, { code: "RESERVED_EVENT_NAME" }));
      return;
    }
    if (this.anyListeners) for (const l of this.anyListeners.slice()) l.apply(this, event as [string, ...unknown[]]);
    if (this.middlewares === null) this.dispatch(event);
    else this.runMiddlewares(this.middlewares, event, 0);
  }

  private runMiddlewares(middlewares: SocketMiddleware[], event: unknown[], index: number): void {
    const fn = middlewares[index];
    if (fn === undefined) return this.dispatch(event);
    fn(event, (err) => {
      if (err) this[reportError](err);
      else this.runMiddlewares(middlewares, event, index + 1);
    });
  }

  private dispatch(event: unknown[]): void {
    if (!this.connected) return;
    const name = event[0] as string;
    // An event named "error" from the client must not throw for want of a listener.
    if (name === "error" && this.listenerCount("error") === 0) return;
    // "drain" is the server's own news about this client's buffer: a client cannot fake it.
    if (name === "drain") {
      debug("%s: event named drain from the client, not dispatched", this.id);
      return;
    }
    try {
      super.emit(name, ...event.slice(1));
    } catch (err) {
      // A throwing handler is the application's bug. It is rethrown outside
      // the decoder and the engine, so their state stays consistent; like any
      // uncaught exception it then ends the process unless the application
      // handles "uncaughtException" (socket.io lets it escape the same way).
      debug("%s: handler for %s threw: %s", this.id, name, err);
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  private ackFor(id: number): AckFn {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent || !this.connected) return;
      sent = true;
      this[writePacket]({ type: PacketType.ACK, nsp: this.nsp.name, id, data: args });
    };
  }

  private notifyOutgoing(packet: Packet): void {
    const listeners = this.anyOutgoingListeners;
    if (listeners === null || listeners.length === 0) return;
    const data = (packet as { data?: unknown[] }).data ?? [];
    for (const l of listeners.slice()) l.apply(this, data as [string, ...unknown[]]);
  }

  private newBroadcast(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.nsp.adapter, new Set(), new Set([this.id]), {});
  }
}

function removeListener(list: AnyListener[] | null, listener: AnyListener | undefined): AnyListener[] | null {
  if (list === null || listener === undefined) return null;
  const i = list.indexOf(listener);
  if (i >= 0) list.splice(i, 1);
  return list;
}

type AnySocket = Socket<EventsMap, EventsMap, EventsMap, unknown>;
