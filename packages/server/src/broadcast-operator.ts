import { AckError, PacketType, RESERVED_EVENTS, type Packet } from "@duplex/protocol";
import type { Adapter, BroadcastFlags, BroadcastOptions, Room, SocketDetails, SocketId } from "./adapter";
import type { Handshake } from "./handshake";
import type {
  AllButLastParams,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  BroadcastAckResult,
} from "@duplex/protocol";

type AckCallback = (err: Error | null, responses: unknown[]) => void;

/**
 * An immutable description of a broadcast: rooms, exceptions and flags. Each
 * `to()`, `except()`, `volatile`, `timeout()` returns a new operator; nothing
 * is stored on the namespace or the socket between calls.
 *
 * @example
 * io.to("room-1").except("banned").timeout(5000).emit("question", (err, answers) => console.log(answers));
 */
export class BroadcastOperator<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = unknown> {
  constructor(
    private readonly adapter: Adapter,
    private readonly rooms: Set<Room> = new Set(),
    private readonly exceptRooms: Set<Room> = new Set(),
    private readonly flags: BroadcastFlags = {},
  ) {}

  /** Targets `room` (or rooms) too. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const rooms = new Set(this.rooms);
    for (const r of Array.isArray(room) ? room : [room]) rooms.add(r);
    return new BroadcastOperator(this.adapter, rooms, this.exceptRooms, this.flags);
  }

  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Leaves out the sockets in `room` (or rooms). */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const except = new Set(this.exceptRooms);
    for (const r of Array.isArray(room) ? room : [room]) except.add(r);
    return new BroadcastOperator(this.adapter, this.rooms, except, this.flags);
  }

  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ compress });
  }

  /** May be dropped for clients that cannot take it now. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ volatile: true });
  }

  /** Stays on this node. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ local: true });
  }

  /** Waits at most `ms` for acks; the callback gets `(err, responses)`. */
  timeout(ms: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return new BroadcastOperator(this.adapter, this.rooms, this.exceptRooms, { ...this.flags, timeout: ms });
  }

  /**
   * Emits to every targeted socket: encoded once, the same bytes to each. A
   * trailing callback collects one answer per recipient:
   * `(err, responses)`, with err when some did not answer in time.
   * @throws {Error} for a reserved event name.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    const name = ev as string;
    if (RESERVED_EVENTS.has(name)) throw new Error(`"${name}" is a reserved event name`);
    const data: unknown[] = [name, ...(args as unknown[])];
    const last = data[data.length - 1];
    if (typeof last !== "function") {
      this.adapter.broadcast(this.packet(data), this.options());
      return true;
    }
    data.pop();
    this.emitWithAckCallback(data, last as AckCallback);
    return true;
  }

  /**
   * Like `emit` with an ack callback, as a promise of every response. On
   * timeout it rejects with an error whose `responses` holds the answers that
   * did arrive, as socket.io's does.
   */
  emitWithAck<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: AllButLastParams<EmitEvents, Ev>): Promise<BroadcastAckResult<EmitEvents, Ev>> {
    return new Promise((resolve, reject) => {
      this.emitWithAckCallback([ev, ...(args as unknown[])], (err, responses) =>
        err ? reject(Object.assign(err, { responses })) : resolve(responses as BroadcastAckResult<EmitEvents, Ev>),
      );
    });
  }

  /**
   * Ids of the sockets in the targeted rooms (every socket when none), as
   * the adapter reports them; like socket.io, `except` is not applied.
   * @deprecated as in socket.io 4: use `fetchSockets()`.
   * @example const ids = await io.in("lobby").allSockets();
   */
  allSockets(): Promise<Set<SocketId>> {
    return this.adapter.sockets(this.rooms);
  }

  /** The targeted sockets, on every node, as snapshots you can act on. */
  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const sockets = await this.adapter.fetchSockets(this.options());
    return sockets.map((s) => new RemoteSocket<EmitEvents, SocketData>(this.adapter, describeSocket(s)));
  }

  socketsJoin(room: Room | Room[]): void {
    this.adapter.addSockets(this.options(), Array.isArray(room) ? room : [room]);
  }

  socketsLeave(room: Room | Room[]): void {
    this.adapter.delSockets(this.options(), Array.isArray(room) ? room : [room]);
  }

  disconnectSockets(close = false): void {
    this.adapter.disconnectSockets(this.options(), close);
  }

  /**
   * Each server node reports how many clients it sent the packet to
   * (`clientCount`, once per node) and then their answers; the broadcast is
   * complete once every node reported and every counted client answered.
   */
  private emitWithAckCallback(data: unknown[], ack: AckCallback): void {
    const packet = this.packet(data) as Packet & { id: number };
    packet.id = this.adapter.nsp.nextAckId();
    const responses: unknown[] = [];
    let expectedClients = 0;
    let reportedServers = 0;
    let expectedServers = this.flags.local ? 1 : -1;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      ack(err, responses);
    };
    const check = () => {
      if (expectedServers >= 0 && reportedServers >= expectedServers && responses.length >= expectedClients) finish(null);
    };
    const timeout = this.flags.timeout;
    if (timeout !== undefined) timer = setTimeout(() => finish(new AckError("ACK_TIMEOUT", packet.id)), timeout);
    if (expectedServers < 0) {
      void this.adapter.serverCount().then((count) => {
        expectedServers = count;
        check();
      });
    }
    this.adapter.broadcastWithAck(
      packet,
      this.options(),
      (count) => {
        expectedClients += count;
        reportedServers++;
        check();
      },
      (response) => {
        if (settled) return;
        responses.push(response);
        check();
      },
    );
  }


  private packet(data: unknown[]): Packet {
    return { type: PacketType.EVENT, nsp: this.adapter.nsp.name, data: data as [string, ...unknown[]] };
  }

  private options(): BroadcastOptions {
    return { rooms: this.rooms, except: this.exceptRooms, flags: this.flags };
  }

  private withFlags(flags: BroadcastFlags): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.adapter, this.rooms, this.exceptRooms, { ...this.flags, ...flags });
  }
}

/** A snapshot, so later joins and leaves do not change what was fetched. */
function describeSocket(s: SocketDetails): SocketDetails {
  return { id: s.id, handshake: s.handshake, rooms: new Set(s.rooms), data: s.data };
}

/**
 * A socket as `fetchSockets()` returns it: a snapshot of its id, handshake,
 * rooms and data, with actions that go through the adapter, so they work for
 * sockets on other nodes too.
 */
export class RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = unknown> {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;
  private readonly operator: BroadcastOperator<EmitEvents, SocketData>;

  constructor(
    private readonly adapter: Adapter,
    details: SocketDetails,
  ) {
    this.id = details.id;
    this.handshake = details.handshake;
    this.rooms = details.rooms;
    this.data = details.data as SocketData;
    this.operator = new BroadcastOperator<EmitEvents, SocketData>(adapter, new Set([this.id]));
  }

  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.operator.emit(ev, ...args);
  }

  timeout(ms: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.operator.timeout(ms);
  }

  join(room: Room | Room[]): void {
    this.operator.socketsJoin(room);
  }

  leave(room: Room | Room[]): void {
    this.operator.socketsLeave(room);
  }

  disconnect(close = false): this {
    this.operator.disconnectSockets(close);
    return this;
  }
}
