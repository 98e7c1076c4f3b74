import { EventEmitter } from "node:events";
import type { Packet, WireChunk } from "@duplex/protocol";
import type { RecoveryOptions } from "./recovery";
import type { Handshake } from "./handshake";

export type SocketId = string;

/** A packet as the parser encoded it: its messages in order, text then attachments. */
export type EncodedChunks = readonly WireChunk[];
/** Rooms are strings; a socket's own id is also a room holding only it. */
export type Room = string;

/** Flags of a broadcast, as the operator built them. */
export interface BroadcastFlags {
  volatile?: boolean;
  compress?: boolean;
  /** Stay on this node (a multi-node adapter must not forward it). */
  local?: boolean;
  /** Milliseconds to wait for acks (broadcastWithAck). */
  timeout?: number;
}

/** Who a broadcast reaches: sockets in any of `rooms` (all sockets when empty), minus those in any of `except`. */
export interface BroadcastOptions {
  rooms: Set<Room>;
  except?: Set<Room>;
  flags?: BroadcastFlags;
}

/** What connection state recovery keeps of a disconnected socket. */
export interface Session {
  sid: SocketId;
  /** Private id: only the client that owned the session knows it. */
  pid: string;
  rooms: Room[];
  data: unknown;
}

/** A session found again, with the packets it missed. */
export interface RecoveredSession extends Session {
  missedPackets: unknown[][];
}

/** What fetchSockets learns of a socket, local or on another node. */
export interface SocketDetails {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: unknown;
}

/**
 * What an adapter needs from a socket: its details, and a way to write packets
 * already encoded. Kept this narrow so adapters never touch engine internals.
 */
export interface AdapterSocket extends SocketDetails {
  /**
   * The private session id of connection state recovery (undefined when it
   * is off), so a multi-node adapter can keep a live socket's session where
   * another node finds it if this node dies.
   */
  readonly pid?: string;
  /** Writes encoded messages; `volatile` drops them if the transport cannot take them now. */
  writeEncoded(encoded: EncodedChunks, flags: BroadcastFlags | undefined, packet: Packet): void;
  /** Registers an ack id this socket must answer, for broadcastWithAck. */
  expectAck(id: number, callback: (err: Error | null, response?: unknown) => void, timeout: number | undefined): void;
  join(rooms: Room | Room[]): void;
  leave(room: Room): void;
  disconnect(close?: boolean): void;
}

/** What an adapter needs from its namespace. */
export interface AdapterNamespace {
  readonly name: string;
  readonly sockets: ReadonlyMap<SocketId, AdapterSocket>;
  /** A fresh ack id, shared by the namespace's sockets and broadcasts. */
  nextAckId(): number;
  /** Encodes with the server's parser. */
  encode(packet: Packet): EncodedChunks;
  /** Runs the handlers of a server-side emit from another node. */
  onServerSideEmit(args: unknown[]): void;
  /**
   * The server's connection state recovery options, null when recovery is
   * off: a multi-node adapter keeps sessions and packets for
   * `maxDisconnectionDuration` itself.
   */
  readonly recoveryOptions?: RecoveryOptions | null;
}

export interface AdapterEvents {
  "create-room": [room: Room];
  "delete-room": [room: Room];
  "join-room": [room: Room, id: SocketId];
  "leave-room": [room: Room, id: SocketId];
  error: [err: Error];
}

/** An adapter constructor: `io.adapter(RedisAdapterFactory)` passes one of these. */
export type AdapterConstructor = new (nsp: AdapterNamespace) => Adapter;

/**
 * Keeps rooms and carries broadcasts to the sockets of one namespace. This
 * in-memory adapter works within one process; a multi-node adapter (Redis)
 * extends it and forwards what must reach other nodes. The method names are
 * socket.io-adapter's, so the contract reads the same.
 */
export class Adapter extends EventEmitter<AdapterEvents> {
  readonly rooms = new Map<Room, Set<SocketId>>();
  readonly sids = new Map<SocketId, Set<Room>>();

  constructor(readonly nsp: AdapterNamespace) {
    super();
  }

  /** Called once the namespace is ready; a multi-node adapter subscribes here. */
  init(): Promise<void> | void {}

  /** Called when the namespace or the server closes. */
  close(): Promise<void> | void {}

  /** How many server nodes share this namespace. */
  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void {
    let joined = this.sids.get(id);
    if (joined === undefined) {
      joined = new Set();
      this.sids.set(id, joined);
    }
    for (const room of rooms) {
      joined.add(room);
      let members = this.rooms.get(room);
      if (members === undefined) {
        members = new Set();
        this.rooms.set(room, members);
        this.emit("create-room", room);
      }
      if (!members.has(id)) {
        members.add(id);
        this.emit("join-room", room, id);
      }
    }
  }

  del(id: SocketId, room: Room): Promise<void> | void {
    this.sids.get(id)?.delete(room);
    this.removeFromRoom(room, id);
  }

  delAll(id: SocketId): void {
    const joined = this.sids.get(id);
    if (joined === undefined) return;
    for (const room of joined) this.removeFromRoom(room, id);
    this.sids.delete(id);
  }

  private removeFromRoom(room: Room, id: SocketId): void {
    const members = this.rooms.get(room);
    if (members === undefined || !members.delete(id)) return;
    this.emit("leave-room", room, id);
    if (members.size === 0 && this.rooms.delete(room)) this.emit("delete-room", room);
  }

  /** Encodes `packet` once and writes the same messages to every matching socket. */
  broadcast(packet: Packet, opts: BroadcastOptions): void {
    const encoded = this.nsp.encode(packet);
    this.apply(opts, (socket) => socket.writeEncoded(encoded, opts.flags, packet));
  }

  /**
   * Like `broadcast`, with an ack expected from each recipient:
   * `clientCount` learns how many were sent, `ack` gets each answer.
   */
  broadcastWithAck(
    packet: Packet & { id: number },
    opts: BroadcastOptions,
    clientCount: (count: number) => void,
    ack: (response: unknown) => void,
  ): void {
    const encoded = this.nsp.encode(packet);
    let count = 0;
    const timeout = opts.flags?.timeout;
    this.apply(opts, (socket) => {
      count++;
      socket.expectAck(packet.id, (err, response) => (err ? undefined : ack(response)), timeout);
      socket.writeEncoded(encoded, opts.flags, packet);
    });
    clientCount(count);
  }

  /** Ids of the sockets in any of `rooms` (all sockets when empty). */
  sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    this.apply({ rooms }, (socket) => ids.add(socket.id));
    return Promise.resolve(ids);
  }

  socketRooms(id: SocketId): Set<Room> | undefined {
    return this.sids.get(id);
  }

  /** The matching sockets of this node (a multi-node adapter adds the others'). */
  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const found: SocketDetails[] = [];
    this.apply(opts, (socket) => found.push(socket));
    return Promise.resolve(found);
  }

  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.apply(opts, (socket) => socket.join(rooms));
  }

  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.apply(opts, (socket) => rooms.forEach((room) => socket.leave(room)));
  }

  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    this.apply(opts, (socket) => socket.disconnect(close));
  }

  /**
   * Sends a server-side event to the other nodes. Alone, there are none: a
   * trailing ack callback (serverSideEmitWithAck) is answered with no responses.
   */
  serverSideEmit(args: unknown[]): void {
    const last = args[args.length - 1];
    if (typeof last === "function") (last as (err: Error | null, responses: unknown[]) => void)(null, []);
  }

  /** Keeps a disconnected socket's state for recovery. No-op unless recovery is on. */
  persistSession(_session: Session): Promise<void> | void {}

  /** Finds a session and the packets it missed since `offset`; null when it cannot. */
  restoreSession(_pid: string, _offset: string): Promise<RecoveredSession | null> {
    return Promise.resolve(null);
  }

  /** Calls `fn` for each local socket matching `opts`, once each. */
  protected apply(opts: Pick<BroadcastOptions, "rooms" | "except">, fn: (socket: AdapterSocket) => void): void {
    const sockets = this.nsp.sockets;
    if (opts.rooms.size === 0 && (opts.except === undefined || opts.except.size === 0)) {
      // Everyone (io.emit): the common broadcast, without id lookups.
      for (const socket of sockets.values()) fn(socket);
      return;
    }
    const except = this.excluded(opts.except);
    if (opts.rooms.size === 0) {
      for (const [id, socket] of sockets) if (!except.has(id)) fn(socket);
      return;
    }
    const seen = new Set<SocketId>();
    for (const room of opts.rooms) {
      const members = this.rooms.get(room);
      if (members === undefined) continue;
      for (const id of members) {
        if (seen.has(id) || except.has(id)) continue;
        seen.add(id);
        const socket = sockets.get(id);
        if (socket !== undefined) fn(socket);
      }
    }
  }

  private excluded(except: Set<Room> | undefined): Set<SocketId> {
    const ids = new Set<SocketId>();
    if (except === undefined) return ids;
    for (const room of except) {
      const members = this.rooms.get(room);
      if (members !== undefined) for (const id of members) ids.add(id);
    }
    return ids;
  }
}
