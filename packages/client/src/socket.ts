import EventEmitter from "eventemitter3";
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
import type { Manager } from "./manager";
import { SocketSender, type EmitFlags } from "./sender";

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

interface QueuedEmit {
  id: number;
  tries: number;
  pending: boolean;
  args: unknown[];
  flags: EmitFlags;
}

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
 * only, merged into the class: eventemitter3 provides the code.
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
  id: string | undefined;
  connected = false;
  /** Whether the last connection recovered the previous session's state. */
  recovered = false;
  auth: SocketOptions["auth"];
  /** Packets received before "connect", and emits waiting for a connection. */
  readonly receiveBuffer: unknown[][] = [];
  readonly sendBuffer: Packet[] = [];
  readonly #acks = new AckRegistry();
  readonly #retries: number;
  readonly #ackTimeout: number | undefined;
  readonly #queue: QueuedEmit[] = [];
  #queueSeq = 0;
  #subs: Array<() => void> | null = null;
  #pid: string | undefined;
  #lastOffset: string | undefined;
  #anyListeners: AnyListener[] = [];
  #anyOutgoingListeners: AnyListener[] = [];

  constructor(
    readonly io: Manager,
    readonly nsp: string,
    opts: Partial<SocketOptions> = {},
  ) {
    super();
    this.auth = opts.auth ?? {};
    this.#retries = opts.retries ?? 0;
    this.#ackTimeout = opts.ackTimeout;
    if (io.opts.autoConnect !== false) this.open();
  }

  get disconnected(): boolean {
    return !this.connected;
  }

  /** Whether the socket is trying to be connected (it reconnects with its manager). */
  get active(): boolean {
    return this.#subs !== null;
  }

  /** Connects (the manager opens its session if needed). */
  open(): this {
    if (this.connected) return this;
    this.#subEvents();
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
    this.emitWith({}, "message", args);
    return this;
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

  onAny(listener: AnyListener): this {
    this.#anyListeners.push(listener);
    return this;
  }

  prependAny(listener: AnyListener): this {
    this.#anyListeners.unshift(listener);
    return this;
  }

  offAny(listener?: AnyListener): this {
    this.#anyListeners = listener ? this.#anyListeners.filter((l) => l !== listener) : [];
    return this;
  }

  listenersAny(): AnyListener[] {
    return this.#anyListeners.slice();
  }

  onAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoingListeners.push(listener);
    return this;
  }

  prependAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoingListeners.unshift(listener);
    return this;
  }

  offAnyOutgoing(listener?: AnyListener): this {
    this.#anyOutgoingListeners = listener ? this.#anyOutgoingListeners.filter((l) => l !== listener) : [];
    return this;
  }

  listenersAnyOutgoing(): AnyListener[] {
    return this.#anyOutgoingListeners.slice();
  }

  /** @internal */
  emitWith(flags: EmitFlags, ev: string, args: unknown[], withError = flags.timeout !== undefined): this {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    // As socket.io-client: with `retries`, every emit (with an ack or not) goes through the queue.
    if (this.#retries && !flags.queued && !flags.volatile) {
      this.#enqueue(flags, [ev, ...args]);
      return this;
    }
    const data: unknown[] = [ev, ...args];
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp, data: data as [string] };
    if (typeof data[data.length - 1] === "function") {
      const ack = data.pop() as Fn;
      const timeout = flags.timeout ?? this.#ackTimeout;
      packet.id = this.#acks.add(
        withError || timeout !== undefined
          ? (err, answer) => {
              if (!err) return ack(null, ...answer);
              // A timed-out emit still in the send buffer must not go out later.
              const i = this.sendBuffer.findIndex((p) => (p as { id?: number }).id === err.id);
              if (i >= 0) this.sendBuffer.splice(i, 1);
              ack(ackError(err.code));
            }
          : (err, answer) => (err ? undefined : ack(...answer)),
        timeout,
      );
    }
    const engine = this.io.engine;
    const writable = engine?.transport?.writable === true;
    if (flags.volatile && !(this.connected && writable)) return this;
    if (this.connected) {
      this.#notifyOutgoing(data);
      this.#packet(packet, flags.compress);
    } else {
      this.sendBuffer.push(packet);
    }
    return this;
  }

  #enqueue(flags: EmitFlags, args: unknown[]): void {
    const ack = typeof args[args.length - 1] === "function" ? (args.pop() as Fn) : undefined;
    const entry: QueuedEmit = { id: this.#queueSeq++, tries: 0, pending: false, args, flags };
    args.push((err: Error | null, ...answer: unknown[]) => {
      if (entry !== this.#queue[0]) return; // settled already
      if (err && entry.tries <= this.#retries) {
        entry.pending = false;
        this.#drainQueue();
        return;
      }
      this.#queue.shift();
      ack?.(err, ...answer);
      this.#drainQueue();
    });
    this.#queue.push(entry);
    this.#drainQueue();
  }

  /** Sends the head of the retry queue (one emit in flight at a time). */
  #drainQueue(force = false): void {
    const entry = this.#queue[0];
    if (!this.connected || !entry || (entry.pending && !force)) return;
    entry.pending = true;
    entry.tries++;
    const [ev, ...args] = entry.args;
    this.emitWith({ ...entry.flags, queued: true }, ev as string, args, true);
  }

  #packet(packet: Packet, compress?: boolean): void {
    this.io._packet(packet, compress);
  }

  #subEvents(): void {
    if (this.#subs) return;
    const io = this.io;
    const onOpen = () => this.#onopen();
    const onPacket = (packet: DecodedPacket) => this.#onpacket(packet);
    const onError = (err: Error) => {
      if (!this.connected) this.#emitReserved("connect_error", err);
    };
    const onClose = (reason: string, description?: unknown) => this.#onclose(reason, description);
    io.on("open", onOpen);
    io.on("packet", onPacket);
    io.on("error", onError);
    io.on("close", onClose);
    this.#subs = [
      () => io.off("open", onOpen),
      () => io.off("packet", onPacket),
      () => io.off("error", onError),
      () => io.off("close", onClose),
    ];
  }

  #onopen(): void {
    if (typeof this.auth === "function") this.auth((data) => this.#sendConnect(data));
    else this.#sendConnect(this.auth);
  }

  #sendConnect(auth: Record<string, unknown>): void {
    const data = this.#pid ? { pid: this.#pid, offset: this.#lastOffset, ...auth } : auth;
    this.#packet({ type: PacketType.CONNECT, nsp: this.nsp, data });
  }

  #onpacket(packet: DecodedPacket): void {
    if (packet.nsp !== this.nsp) return;
    switch (packet.type) {
      case PacketType.CONNECT: {
        const sid = packet.data?.sid;
        if (typeof sid === "string") this.#onconnect(sid, packet.data?.pid as string | undefined);
        else {
          // Terse in the browser bundles (see @duplex/protocol's errors.ts).
          const message = !globalThis.__DUPLEX_TERSE__ ? "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, which is not possible" : "v2.x server";
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
    for (const packet of this.sendBuffer.splice(0)) {
      this.#notifyOutgoing((packet as { data: unknown[] }).data);
      this.#packet(packet);
    }
    // The retry queue's head goes before "connect" listeners emit (as socket.io-client), or it would leave twice.
    this.#drainQueue(true);
    this.#emitReserved("connect");
  }

  #onevent(data: unknown[], id: number | undefined): void {
    const args = id === undefined ? data : [...data, this.#ackFor(id)];
    if (this.connected) this.#dispatch(args);
    else this.receiveBuffer.push(args);
  }

  #dispatch(args: unknown[]): void {
    for (const l of this.#anyListeners.slice()) l.apply(this, args as [string]);
    emitLocal.apply(this, args as [string]);
    // With recovery, the server appends an offset to each event: the last one seen is where to resume.
    const last = args[args.length - 1];
    if (this.#pid && typeof last === "string") this.#lastOffset = last;
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
    this.#acks.rejectAll(reason, (id) => this.sendBuffer.some((p) => (p as { id?: number }).id === id));
  }

  #destroy(): void {
    if (this.#subs) {
      for (const dispose of this.#subs) dispose();
      this.#subs = null;
    }
    this.io._destroy(this);
  }

  #notifyOutgoing(data: unknown[]): void {
    for (const l of this.#anyOutgoingListeners.slice()) l.apply(this, data as [string]);
  }

  #emitReserved(ev: string, ...args: unknown[]): void {
    emitLocal.call(this, ev, ...args);
  }
}

/** socket.io-client's messages, with the protocol's stable code ("ACK_TIMEOUT" / "ACK_CLOSED"). */
function ackError(code: string): Error & { code: string } {
  return Object.assign(new Error(code === "ACK_TIMEOUT" ? "operation has timed out" : "socket has been disconnected"), { code });
}

type AnySocket = Socket<EventsMap, EventsMap>;
