import { randomBytes } from "node:crypto";
import {
  Adapter,
  type AdapterConstructor,
  type AdapterNamespace,
  type BroadcastFlags,
  type BroadcastOptions,
  type RecoveredSession,
  type Room,
  type Session,
  type SocketDetails,
} from "@duplex/server";
import createDebug from "debug";
import { MessageType, UID_BYTES, decodeEnvelope, encodeEnvelope, isFrom, toPart, type Envelope, type Part } from "./envelope";
import { NodeTracker } from "./nodes";
import { lazyPacket } from "./packet";
import { RecoveryStore } from "./recovery-store";
import { toRedisClients } from "./clients";
import type { BufferListener, RedisClientLike, RedisSubscriberLike } from "./redis";
import { Requests } from "./requests";
import { RequestForwarder, type ForwardRequestsOptions } from "./forwarding";

const debug = createDebug("duplex:redis-adapter");

type Packet = Parameters<Adapter["broadcast"]>[0];
const EVENT = 2;

/** Options of {@link createAdapter}. */
export interface RedisAdapterOptions {
  /** Prefix of every channel and key. Default "duplex". */
  key?: string;
  /** ms a cluster request (fetchSockets, serverSideEmitWithAck) waits for the other nodes. Default 5000. */
  requestsTimeout?: number;
  /** ms between two heartbeats of a node. Default 5000. */
  heartbeatInterval?: number;
  /** ms of silence after which a node counts as gone. Default 10000. */
  heartbeatTimeout?: number;
  /** Use Redis 7 sharded pub/sub (SPUBLISH / SSUBSCRIBE). Default false. */
  sharded?: boolean;
  /**
   * Serve long-polling behind a load balancer without sticky sessions: a
   * request for a session another node holds is forwarded over HTTP to that
   * node, at `address`. Off by default. See docs/scaling.md.
   */
  forwardRequests?: ForwardRequestsOptions;
}

/** Rooms and flags as they travel: arrays, and only the flags a remote node needs. */
interface WireTarget {
  r: Room[];
  e: Room[];
  f?: BroadcastFlags;
}

interface WireSocket {
  id: string;
  handshake: SocketDetails["handshake"];
  rooms: Room[];
  data: unknown;
}

function wireTarget(opts: BroadcastOptions): WireTarget {
  const target: WireTarget = { r: [...opts.rooms], e: opts.except ? [...opts.except] : [] };
  const flags = opts.flags;
  if (flags !== undefined && (flags.volatile || flags.compress !== undefined || flags.timeout !== undefined)) {
    target.f = { volatile: flags.volatile, compress: flags.compress, timeout: flags.timeout };
  }
  return target;
}

function fromWire(target: WireTarget): BroadcastOptions {
  return { rooms: new Set(target.r), except: new Set(target.e), flags: target.f };
}

/**
 * The Redis adapter of one namespace. Broadcasts are encoded once, by the
 * node that emits them, and travel in a versioned binary envelope (see
 * envelope.ts) that other nodes write to their sockets as is. Requests
 * (fetchSockets, serverSideEmitWithAck, broadcast acks) wait for the nodes
 * the heartbeats say are alive, and end when all answered, one left, or the
 * timeout passed: they never hang.
 */
export class RedisAdapter extends Adapter {
  /** This node's id in the cluster (hex). */
  readonly uid: string;
  private readonly uidBytes: Buffer;
  private readonly channel: string;
  private readonly ownChannel: string;
  private readonly key: string;
  private readonly sharded: boolean;
  private readonly requestsTimeout: number;
  private readonly heartbeatInterval: number;
  private readonly nodes: NodeTracker;
  private readonly requests = new Requests();
  private readonly store: RecoveryStore | null;
  private state: "new" | "open" | "closed" = "new";
  private heartbeat: NodeJS.Timeout | undefined;
  private offsets = 0;
  /** Live sockets whose session must be written (recovery): batched per tick. */
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  /** pids persisted on a recoverable disconnect: their session key must stay. */
  private readonly persisted = new Set<string>();
  // Defined once per adapter, not per message.
  private readonly onMessage: BufferListener = (message) => this.receive(message);
  private readonly onRedisError = (err: Error): void => this.reportError(err);

  constructor(
    nsp: AdapterNamespace,
    private readonly pub: RedisClientLike,
    private readonly sub: RedisSubscriberLike,
    opts: RedisAdapterOptions = {},
  ) {
    super(nsp);
    this.uidBytes = randomBytes(UID_BYTES);
    this.uid = this.uidBytes.toString("hex");
    this.key = opts.key ?? "duplex";
    this.sharded = opts.sharded ?? false;
    this.requestsTimeout = opts.requestsTimeout ?? 5000;
    this.heartbeatInterval = opts.heartbeatInterval ?? 5000;
    this.channel = `${this.key}#${nsp.name}#`;
    this.ownChannel = this.responseChannel(this.uid);
    this.nodes = new NodeTracker(opts.heartbeatTimeout ?? 10_000, (uid) => this.requests.nodeGone(uid));
    const recovery = nsp.recoveryOptions;
    this.store = recovery ? new RecoveryStore(pub, this.key, nsp.name, this.uidBytes, recovery.maxDisconnectionDuration) : null;
    pub.on("error", this.onRedisError);
    sub.on("error", this.onRedisError);
  }

  override async init(): Promise<void> {
    if (this.state !== "new") return;
    this.state = "open";
    const channels = [this.channel, this.ownChannel];
    try {
      await (this.sharded ? this.eachShard(channels, (one) => this.sub.sSubscribe(one, this.onMessage, true)) : this.sub.subscribe(channels, this.onMessage, true));
    } catch (err) {
      this.reportError(err as Error);
    }
    if (this.state !== "open") return;
    this.publish(MessageType.INITIAL_HEARTBEAT, {});
    this.heartbeat = setInterval(() => {
      this.publish(MessageType.HEARTBEAT, {});
      this.nodes.sweep();
      // Live sessions are rewritten each interval, so they outlive this node
      // (if it dies) by maxDisconnectionDuration and carry fresh socket.data.
      if (this.store !== null) for (const id of this.nsp.sockets.keys()) this.markDirty(id);
    }, this.heartbeatInterval).unref();
  }

  /**
   * One SSUBSCRIBE / SUNSUBSCRIBE per channel: on a Redis Cluster a sharded
   * channel lives in its hash slot, and one command naming channels of two
   * slots is refused with CROSSSLOT (the namespace channel and this node's
   * response channel hash apart).
   */
  private async eachShard(channels: string[], command: (one: string[]) => Promise<void>): Promise<void> {
    await Promise.all(channels.map((channel) => command([channel])));
  }

  override async close(): Promise<void> {
    if (this.state === "closed") return;
    const wasOpen = this.state === "open";
    this.state = "closed";
    clearInterval(this.heartbeat);
    this.requests.closeAll();
    this.nodes.clear();
    if (wasOpen) {
      this.publish(MessageType.ADAPTER_CLOSE, {});
      const channels = [this.channel, this.ownChannel];
      await (this.sharded ? this.eachShard(channels, (one) => this.sub.sUnsubscribe(one, this.onMessage, true)) : this.sub.unsubscribe(channels, this.onMessage, true)).catch(
        (err: Error) => debug("unsubscribe failed: %s", err.message),
      );
    }
    this.pub.off("error", this.onRedisError);
    this.sub.off("error", this.onRedisError);
  }

  /** This node plus every node alive according to the heartbeats. */
  override serverCount(): Promise<number> {
    return Promise.resolve(1 + this.nodes.size);
  }

  override addAll(id: string, rooms: Set<Room>): void {
    super.addAll(id, rooms);
    if (this.store !== null) this.markDirty(id);
  }

  override del(id: string, room: Room): void {
    super.del(id, room);
    if (this.store !== null) this.markDirty(id);
  }

  override delAll(id: string): void {
    const pid = this.store !== null ? this.nsp.sockets.get(id)?.pid : undefined;
    super.delAll(id);
    this.dirty.delete(id);
    if (pid === undefined) return;
    // A disconnect that cannot be recovered (the client left) drops the live session.
    if (!this.persisted.delete(pid)) this.store!.dropSession(pid).catch(this.onRedisError);
  }

  /**
   * Connection state recovery survives a node's death: a connected socket's
   * session is kept in Redis too (not only on disconnect, which a SIGKILLed
   * node never reaches), so its client recovers on another node.
   */
  private markDirty(id: string): void {
    this.dirty.add(id);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const sid of this.dirty) {
        const socket = this.nsp.sockets.get(sid);
        const rooms = this.sids.get(sid);
        if (socket?.pid === undefined || rooms === undefined || this.store === null) continue;
        this.store.persistSession({ sid, pid: socket.pid, rooms: [...rooms], data: socket.data }).catch(this.onRedisError);
      }
      this.dirty.clear();
    });
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (this.store !== null && packet.type === EVENT && packet.id === undefined && !opts.flags?.volatile) {
      // Connection state recovery: the offset is the packet's last argument (socket.io's rule).
      const offset = `${this.uid}-${(++this.offsets).toString(36)}`;
      packet.data.push(offset);
      this.store.append(offset, opts.rooms, opts.except, packet.data).catch(this.onRedisError);
    }
    const encoded = this.nsp.encode(packet);
    this.apply(opts, (socket) => socket.writeEncoded(encoded, opts.flags, packet));
    if (opts.flags?.local) return;
    const header = wireTarget(opts) as unknown as Record<string, unknown>;
    header.c = encoded.length;
    this.publish(MessageType.BROADCAST, header, encoded.map(toPart));
  }

  override broadcastWithAck(
    packet: Packet & { id: number },
    opts: BroadcastOptions,
    clientCount: (count: number) => void,
    ack: (response: unknown) => void,
  ): void {
    if (!opts.flags?.local && this.nodes.size > 0) {
      const req = this.requests.open(this.nodes.uids(), opts.flags?.timeout ?? this.requestsTimeout, {
        onAnswer: (env) => {
          if (env.type === MessageType.BROADCAST_CLIENT_COUNT) clientCount(env.header.n as number);
          else ack(env.header.a);
          // Only the count completes a node's part; acks keep coming until the timeout.
          return env.type === MessageType.BROADCAST_CLIENT_COUNT;
        },
        // A node gone before it counted has sent the packet to nobody.
        onNodeGone: () => clientCount(0),
        onEnd: () => {},
        keepUntilTimeout: true,
      });
      this.publish(MessageType.BROADCAST_WITH_ACK, { ...wireTarget(opts), req, d: (packet as { data: unknown[] }).data });
    }
    super.broadcastWithAck(packet, opts, clientCount, ack);
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const found = await super.fetchSockets(opts);
    if (opts.flags?.local || this.nodes.size === 0) return found;
    return new Promise((resolve, reject) => {
      const req = this.requests.open(this.nodes.uids(), this.requestsTimeout, {
        onAnswer: (env) => {
          for (const s of env.header.s as WireSocket[]) found.push({ id: s.id, handshake: s.handshake, rooms: new Set(s.rooms), data: s.data });
          return true;
        },
        onEnd: (err) => (err ? reject(err) : resolve(found)),
      });
      this.publish(MessageType.FETCH_SOCKETS, { ...wireTarget(opts), req });
    });
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.addSockets(opts, rooms);
    if (!opts.flags?.local) this.publish(MessageType.SOCKETS_JOIN, { ...wireTarget(opts), rooms });
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.delSockets(opts, rooms);
    if (!opts.flags?.local) this.publish(MessageType.SOCKETS_LEAVE, { ...wireTarget(opts), rooms });
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    if (!opts.flags?.local) this.publish(MessageType.DISCONNECT_SOCKETS, { ...wireTarget(opts), close });
  }

  /**
   * Sends a server-side event to every other node; a trailing callback
   * (serverSideEmitWithAck) gets `(err, responses)`, one response per node,
   * err when some did not answer within `requestsTimeout`.
   */
  override serverSideEmit(args: unknown[]): void {
    const last = args[args.length - 1];
    if (typeof last !== "function") {
      this.publish(MessageType.SERVER_SIDE_EMIT, { a: args });
      return;
    }
    const callback = last as (err: Error | null, responses: unknown[]) => void;
    const data = args.slice(0, -1);
    if (this.nodes.size === 0) return callback(null, []);
    const responses: unknown[] = [];
    const req = this.requests.open(this.nodes.uids(), this.requestsTimeout, {
      onAnswer: (env) => {
        responses.push(env.header.a);
        return true;
      },
      onEnd: (err) => callback(err, responses),
    });
    this.publish(MessageType.SERVER_SIDE_EMIT, { a: data, req });
  }

  override persistSession(session: Session): Promise<void> | void {
    if (this.store === null) return;
    this.persisted.add(session.pid);
    return this.store.persistSession(session).then(
      () => undefined,
      (err: Error) => this.reportError(err),
    );
  }

  override restoreSession(pid: string, offset: string): Promise<RecoveredSession | null> {
    if (this.store === null) return Promise.resolve(null);
    return this.store.restoreSession(pid, offset).catch((err: Error) => {
      this.reportError(err);
      return null;
    });
  }

  private responseChannel(uid: string): string {
    return `${this.key}#${this.nsp.name}#${uid}#`;
  }

  private publish(type: MessageType, header: Record<string, unknown>, parts?: Part[], channel = this.channel): void {
    const message = encodeEnvelope(type, this.uidBytes, header, parts);
    this.pub.sendCommand([this.sharded ? "SPUBLISH" : "PUBLISH", channel, message]).catch(this.onRedisError);
  }

  private respond(to: Envelope, type: MessageType, header: Record<string, unknown>): void {
    this.publish(type, { ...header, req: to.header.req }, undefined, this.responseChannel(to.uid));
  }

  private receive(message: Buffer): void {
    if (this.state !== "open" || isFrom(message, this.uidBytes)) return;
    const env = decodeEnvelope(message);
    if (env === null) {
      debug("%s: dropped a message that is not a v1 envelope", this.nsp.name);
      return;
    }
    if (env.type === MessageType.ADAPTER_CLOSE) {
      this.nodes.remove(env.uid);
      return;
    }
    this.nodes.seen(env.uid);
    const h = env.header;
    switch (env.type) {
      case MessageType.INITIAL_HEARTBEAT:
        // Answer at once, so the newcomer knows every node without waiting an interval.
        this.publish(MessageType.HEARTBEAT, {});
        break;
      case MessageType.HEARTBEAT:
        break;
      case MessageType.BROADCAST: {
        const opts = fromWire(h as unknown as WireTarget);
        const encoded = env.parts.slice(0, h.c as number);
        const packet = lazyPacket(this.nsp.name, encoded);
        this.apply(opts, (socket) => socket.writeEncoded(encoded, opts.flags, packet));
        break;
      }
      case MessageType.BROADCAST_WITH_ACK: {
        const packet = { type: EVENT, nsp: this.nsp.name, id: this.nsp.nextAckId(), data: h.d } as Packet & { id: number };
        super.broadcastWithAck(
          packet,
          fromWire(h as unknown as WireTarget),
          (n) => this.respond(env, MessageType.BROADCAST_CLIENT_COUNT, { n }),
          (a) => this.respond(env, MessageType.BROADCAST_ACK, { a }),
        );
        break;
      }
      case MessageType.SOCKETS_JOIN:
        super.addSockets(fromWire(h as unknown as WireTarget), h.rooms as Room[]);
        break;
      case MessageType.SOCKETS_LEAVE:
        super.delSockets(fromWire(h as unknown as WireTarget), h.rooms as Room[]);
        break;
      case MessageType.DISCONNECT_SOCKETS:
        super.disconnectSockets(fromWire(h as unknown as WireTarget), h.close === true);
        break;
      case MessageType.FETCH_SOCKETS: {
        const s: WireSocket[] = [];
        this.apply(fromWire(h as unknown as WireTarget), (socket) =>
          s.push({ id: socket.id, handshake: socket.handshake, rooms: [...(this.socketRooms(socket.id) ?? [])], data: socket.data }),
        );
        this.respond(env, MessageType.FETCH_SOCKETS_RESPONSE, { s });
        break;
      }
      case MessageType.SERVER_SIDE_EMIT: {
        const args = h.a as unknown[];
        if (h.req === undefined) {
          this.nsp.onServerSideEmit(args);
          break;
        }
        let answered = false;
        this.nsp.onServerSideEmit([
          ...args,
          (a: unknown) => {
            if (answered) return;
            answered = true;
            this.respond(env, MessageType.SERVER_SIDE_EMIT_RESPONSE, { a });
          },
        ]);
        break;
      }
      case MessageType.FETCH_SOCKETS_RESPONSE:
      case MessageType.SERVER_SIDE_EMIT_RESPONSE:
      case MessageType.BROADCAST_CLIENT_COUNT:
      case MessageType.BROADCAST_ACK:
        this.requests.answer(h.req as string, env);
        break;
      default:
        debug("%s: unknown message type %d", this.nsp.name, env.type);
    }
  }

  /** Redis errors reach the user as the adapter's "error" event; nobody listening must not crash the server. */
  private reportError(err: Error): void {
    if (this.listenerCount("error") > 0) this.emit("error", err);
    else debug("%s: %s", this.nsp.name, err.message);
  }
}



/**
 * Creates the adapter constructor for `io.adapter(…)` from two connected
 * Redis clients: `pub` sends, `sub` is put in subscriber mode. node-redis 4
 * or later (`createClient()`, `createCluster()`) and ioredis (`new Redis()`,
 * `new Cluster()`) are accepted, as with @socket.io/redis-adapter. Every
 * Duplex node sharing the same Redis and `key` shares its broadcasts, rooms
 * and cluster requests.
 *
 * @throws {RedisClientError} at once, for a client of another kind
 * (`UNSUPPORTED_REDIS_CLIENT`), one not connected (`REDIS_CLIENT_NOT_CONNECTED`),
 * or one connection given twice (`SAME_REDIS_CLIENT`).
 *
 * @example
 * import { createClient } from "redis";
 * import { Server } from "@duplex/server";
 * import { createAdapter } from "@duplex/redis-adapter";
 *
 * const pub = createClient({ url: "redis://localhost:6379" });
 * const sub = pub.duplicate();
 * await Promise.all([pub.connect(), sub.connect()]);
 * const io = new Server(3000, { adapter: createAdapter(pub, sub) });
 *
 * // or with ioredis:
 * // const pub = new Redis(); const sub = pub.duplicate();
 */
export function createAdapter(pub: object, sub: object, opts: RedisAdapterOptions = {}): AdapterConstructor {
  const clients = toRedisClients(pub, sub, opts.sharded);
  const forwarder = opts.forwardRequests === undefined ? null : new RequestForwarder(clients.pub, clients.sub, opts.forwardRequests, opts);
  return class extends RedisAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, clients.pub, clients.sub, opts);
      forwarder?.adopt(this);
    }

    override async close(): Promise<void> {
      await Promise.all([forwarder?.release(this), super.close()]);
    }
  };
}
