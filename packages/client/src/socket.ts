import { EventEmitter } from "./event-emitter";
import {
  AckRegistry,
  PacketType,
  RESERVED_EVENTS,
  type AllButLastParams,
  type DecodedPacket,
  type DecorateAcknowledgements,
  type DefaultEventsMap,
  type EventNames,
  type EventParams,
  type EventsMap,
  type FirstAckArg,
  type Packet,
  type ReservedOrUserEventNames,
  type ReservedOrUserListener,
} from "@duplex/protocol";
import { listen } from "./listen";
import { RetryQueue } from "./retry-queue";
import type { Manager, ManagerEvents } from "./manager";
import { SocketSender, type EmitFlags } from "./sender";
import { FULL_MESSAGES } from "./build";

export { SocketSender, type EmitFlags };

/** Options of one namespace socket. */
export interface SocketOptions {
  /** Sent with CONNECT: an object, or a function that calls back with one. */
  auth: Record<string, unknown> | ((cb: (data: Record<string, unknown>) => void) => void);
  /** Retries for emits with an ack (at-least-once delivery). Default 0: no queue. */
  retries: number;
  /** Default ack timeout for emits, in ms, when `retries` is set. */
  ackTimeout: number;
}

type AnyListener = (event: string, ...args: unknown[]) => void;
type Fn = (...args: unknown[]) => void;

/** A socket.io-client disconnect reason. */
export type DisconnectReason =
  | "io server disconnect"
  | "io client disconnect"
  | "ping timeout"
  | "transport close"
  | "transport error"
  | "parse error";

/** Error of "connect_error": the server's message and `data`, and a `code` where Duplex knows it. */
export interface ConnectError extends Error {
  data?: unknown;
  code?: string;
}

/**
 * One namespace over the manager's engine session: socket.io-client's
 * `Socket`. Emits made while disconnected are buffered and flushed, in order,
 * once connected; with `retries`, emits with an ack are delivered at least once.
 *
 * @example
 * const socket = io("https://example.com/chat", { auth: { token } });
 * socket.on("connect", () => socket.emit("join", "lobby", (ok) => console.log(ok)));
 * socket.on("connect_error", (err) => console.warn(err.message, err.data));
 */
// socket.io-client's emit returns the socket (for chaining); eventemitter3's returns a boolean.
// The listener methods come typed from the interface below.
const Emitter = EventEmitter as unknown as new () => Omit<EventEmitter<string>, "emit" | "on" | "once" | "off">;
const emitLocal = EventEmitter.prototype.emit;

/** Events the socket itself emits: listen to them, never emit them. */
export interface SocketReservedEvents {
  connect: () => void;
  connect_error: (err: ConnectError) => void;
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
}

/**
 * The typed listener methods of a socket (socket.io-client's generics):
 * `Socket<ServerToClient, ClientToServer>` checks listeners against the
 * events the server sends (and `emit` against those it listens to). Types
 * only, merged into the class, which gets the methods from eventemitter3.
 */
export interface Socket<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents> {
  on<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this;
  once<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this;
  off<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev?: Ev,
    listener?: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the interface adds the generic types above
export class Socket<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents> extends Emitter {
  // Declared, not defined: the constructor and "connect" set them.
  declare readonly io: Manager;
  declare readonly nsp: string;
  declare id: string | undefined;
  connected = false;
  /** Whether the last connection recovered the previous session's state. */
  recovered = false;
  declare auth: SocketOptions["auth"];
  /** Packets received before "connect", and emits waiting for a connection. */
  readonly receiveBuffer: unknown[][] = [];
  readonly sendBuffer: Packet[] = [];
  readonly #ackTimeout: number | undefined;
  /** Acks of emits, by id; ids count from 0, as socket.io-client's do. */
  readonly #acks = new AckRegistry({
    // An emit that timed out while buffered must not go out later.
    onTimeout: (id) => {
      const index = this.#buffered(id);
      if (index >= 0) this.sendBuffer.splice(index, 1);
    },
  });
  #nextAckId = 0;
  /** With the `retries` option only. */
  readonly #retryQueue: RetryQueue | undefined;
  /** Set while the socket follows its manager (`active`): removes those listeners. */
  #unsubscribe: (() => void) | undefined;
  /** Connection state recovery: the server's private session id, and the offset of the last event seen. */
  #pid: string | undefined;
  #offset: string | undefined;
  /** onAny listeners (incoming events) and onAnyOutgoing ones. */
  #anyIncoming: AnyListener[] = [];
  #anyOutgoing: AnyListener[] = [];

  constructor(io: Manager, nsp: string, opts: Partial<SocketOptions> = {}) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.auth = opts.auth ?? {};
    this.#ackTimeout = opts.ackTimeout;
    if (opts.retries) {
      this.#retryQueue = new RetryQueue(opts.retries, {
        canSend: () => this.connected,
        send: (flags, data, settle) => this.#send(flags, data, settle, true),
      });
    }
    if (io.opts.autoConnect !== false) this.open();
  }

  /** Adds a listener called with every incoming event (name first), before its own listeners. */
  onAny(listener: AnyListener): this {
    this.#anyIncoming.push(listener);
    return this;
  }

  /** `onAny`, first in the list. */
  prependAny(listener: AnyListener): this {
    this.#anyIncoming.unshift(listener);
    return this;
  }

  /** Removes `listener`, or every catch-all listener. */
  offAny(listener?: AnyListener): this {
    this.#anyIncoming = without(this.#anyIncoming, listener);
    return this;
  }

  listenersAny(): AnyListener[] {
    return this.#anyIncoming.slice();
  }

  /** Adds a listener called with every outgoing event (name first), as it is sent. */
  onAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoing.push(listener);
    return this;
  }

  prependAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoing.unshift(listener);
    return this;
  }

  /** Removes `listener`, or every outgoing catch-all listener. */
  offAnyOutgoing(listener?: AnyListener): this {
    this.#anyOutgoing = without(this.#anyOutgoing, listener);
    return this;
  }

  listenersAnyOutgoing(): AnyListener[] {
    return this.#anyOutgoing.slice();
  }

  /** Whether `event` has listeners (component-emitter's method, which socket.io-client's Socket has). */
  hasListeners(event: string): boolean {
    return this.listeners(event).length > 0;
  }

  get disconnected(): boolean {
    return !this.connected;
  }

  /** Whether the socket is trying to be connected (it reconnects with its manager). */
  get active(): boolean {
    return this.#unsubscribe !== undefined;
  }

  /** Connects (the manager opens its session if needed). */
  open(): this {
    if (this.connected) return this;
    this.#unsubscribe ??= listen<ManagerEvents>(this.io, {
      open: () => this.#onopen(),
      packet: (packet) => this.#onpacket(packet),
      error: (err) => {
        if (!this.connected) this.#emitReserved("connect_error", err);
      },
      close: (reason, description) => this.#onclose(reason, description),
    });
    if (!this.io._reconnecting) this.io.open();
    if (this.io._readyState === "open") this.#onopen();
    return this;
  }

  connect(): this {
    return this.open();
  }

  /** Leaves the namespace ("io client disconnect"); the session closes when no namespace is left. */
  disconnect(): this {
    if (this.connected) this.#packet({ type: PacketType.DISCONNECT, nsp: this.nsp });
    this.#destroy();
    this.#onclose("io client disconnect");
    return this;
  }

  close(): this {
    return this.disconnect();
  }

  /**
   * Emits an event; a trailing function is an ack callback.
   * @throws {Error} for a reserved event name.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): this {
    return this.emitWith({}, ev as string, args);
  }

  /** Resolves with the server's ack; rejects on timeout (with `timeout(ms)`) or disconnect. */
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLastParams<EmitEvents, Ev>): Promise<FirstAckArg<EmitEvents, Ev>> {
    return new SocketSender<EmitEvents>(this, {}).emitWithAck(ev, ...args);
  }

  /** `emit("message", …args)`. */
  send(...args: unknown[]): this {
    return this.emitWith({}, "message", args);
  }

  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** Emits whose ack callback gets `(err, ...answer)`, err after `ms`. */
  timeout(ms: number): SocketSender<DecorateAcknowledgements<EmitEvents>> {
    return new SocketSender(this, { timeout: ms });
  }

  /** Emits dropped when they cannot be sent now (no buffering). */
  get volatile(): SocketSender<EmitEvents> {
    return new SocketSender(this, { volatile: true });
  }

  compress(compress: boolean): SocketSender<EmitEvents> {
    return new SocketSender(this, { compress });
  }

  /**
   * What `emit` and the senders call: `errorFirst` makes the ack callback
   * `(err, ...answer)`, as `timeout(ms)` and `emitWithAck` want. @internal
   */
  emitWith(flags: EmitFlags, ev: string, args: unknown[], errorFirst = flags.timeout !== undefined): this {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const data: unknown[] = [ev, ...args];
    const ack = typeof data[data.length - 1] === "function" ? (data.pop() as Fn) : undefined;
    // As socket.io-client: with `retries`, every emit (with an ack or not) goes through the queue.
    if (this.#retryQueue && !flags.volatile) this.#retryQueue.push(flags, data, ack);
    else this.#send(flags, data, ack, errorFirst);
    return this;
  }

  #send(flags: EmitFlags, data: unknown[], ack: Fn | undefined, errorFirst: boolean): void {
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp, data: data as [string] };
    if (ack) {
      const timeout = flags.timeout ?? this.#ackTimeout;
      const id = this.#nextAckId++;
      packet.id = id;
      this.#acks.set(id, ack, errorFirst || timeout !== undefined, timeout);
    }
    if (flags.volatile && !(this.connected && this.io.engine?.transport?.writable)) return;
    if (this.connected) this.#write(packet, flags.compress);
    else this.sendBuffer.push(packet);
  }

  /** The index of the emit with ack `id` in the send buffer, or -1. */
  #buffered(id: number): number {
    return this.sendBuffer.findIndex((packet) => (packet as { id?: number }).id === id);
  }

  /** Sends an EVENT now, after the onAnyOutgoing listeners. */
  #write(packet: Packet, compress?: boolean): void {
    callAll(this.#anyOutgoing, this, (packet as { data: unknown[] }).data);
    this.#packet(packet, compress);
  }

  #packet(packet: Packet, compress?: boolean): void {
    this.io._packet(packet, compress);
  }

  #onopen(): void {
    if (typeof this.auth === "function") this.auth((data) => this.#sendConnect(data));
    else this.#sendConnect(this.auth);
  }

  #sendConnect(auth: Record<string, unknown>): void {
    const data = this.#pid ? { pid: this.#pid, offset: this.#offset, ...auth } : auth;
    this.#packet({ type: PacketType.CONNECT, nsp: this.nsp, data });
  }

  #onpacket(packet: DecodedPacket): void {
    if (packet.nsp !== this.nsp) return;
    switch (packet.type) {
      case PacketType.CONNECT: {
        const sid = packet.data?.sid;
        if (typeof sid === "string") this.#onconnect(sid, packet.data?.pid as string | undefined);
        else {
          // socket.io-client's message; short in the browser bundles (build.ts).
          const message = FULL_MESSAGES
            ? "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, which is not possible"
            : "v2.x server";
          this.#emitReserved("connect_error", new Error(message));
        }
        break;
      }
      case PacketType.EVENT:
        // A server may not fake "connect" or "disconnect": socket.io-client's parser refuses them too.
        if (RESERVED_EVENTS.has(packet.data[0] as string)) this.io._parseError();
        else this.#onevent(packet.data, packet.id);
        break;
      case PacketType.ACK:
        this.#acks.settle(packet.id, packet.data);
        break;
      case PacketType.DISCONNECT:
        this.#destroy();
        this.#onclose("io server disconnect");
        break;
      case PacketType.CONNECT_ERROR: {
        this.#destroy();
        const data = packet.data;
        const err: ConnectError = new Error(typeof data === "string" ? data : String(data.message));
        if (typeof data === "object") err.data = data.data;
        this.#emitReserved("connect_error", err);
        break;
      }
    }
  }

  #onconnect(id: string, pid: string | undefined): void {
    this.id = id;
    this.recovered = pid !== undefined && this.#pid === pid;
    this.#pid = pid;
    this.connected = true;
    for (const args of this.receiveBuffer.splice(0)) this.#dispatch(args);
    for (const packet of this.sendBuffer.splice(0)) this.#write(packet);
    // The retry queue's head goes before "connect" listeners emit (as socket.io-client), or it would leave twice.
    this.#retryQueue?.drain(true);
    this.#emitReserved("connect");
  }

  #onevent(data: unknown[], id: number | undefined): void {
    const args = id === undefined ? data : [...data, this.#ackFor(id)];
    if (this.connected) this.#dispatch(args);
    else this.receiveBuffer.push(args);
  }

  #dispatch(args: unknown[]): void {
    callAll(this.#anyIncoming, this, args);
    emitLocal.apply(this, args as [string]);
    // With recovery, the server appends an offset to each event: the last one seen is where to resume.
    const last = args[args.length - 1];
    if (this.#pid && typeof last === "string") this.#offset = last;
  }

  #ackFor(id: number): Fn {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      sent = true;
      this.#packet({ type: PacketType.ACK, nsp: this.nsp, id, data: args });
    };
  }

  #onclose(reason: string, description?: unknown): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.id = undefined;
    if (wasConnected) this.#emitReserved("disconnect", reason, description);
    // Emits still in the send buffer keep their acks: they go out on the next connection.
    this.#acks.rejectAll((id) => this.#buffered(id) >= 0);
  }

  /** Stops following the manager (no longer `active`); the manager closes once no socket is active. */
  #destroy(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.io._destroy(this);
  }

  #emitReserved(ev: string, ...args: unknown[]): void {
    emitLocal.call(this, ev, ...args);
  }
}

/** `list` without `listener`; empty without a listener. */
function without(list: AnyListener[], listener: AnyListener | undefined): AnyListener[] {
  return listener ? list.filter((each) => each !== listener) : [];
}

/** Calls each of `listeners` (a copy: one may remove another) with `args`. */
function callAll(listeners: AnyListener[], socket: object, args: unknown[]): void {
  for (const listener of listeners.slice()) listener.apply(socket, args as [string]);
}
