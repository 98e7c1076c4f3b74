import { randomBytes } from "node:crypto";
import {
  Adapter,
  type AdapterConstructor,
  type AdapterNamespace,
  type BroadcastOptions,
  type RecoveredSession,
  type Room,
  type Session,
  type SocketDetails,
} from "@duplex/server";
import createDebug from "debug";
import { ClusterRequests } from "./cluster-requests";
import { Duplicates } from "./duplicates";
import { toRedisClients } from "./clients";
import { MessageType, UID_BYTES, decodeEnvelope, toPart } from "./envelope";
import { NodeTracker } from "./nodes";
import { lazyPacket } from "./packet";
import { Outage } from "./outage";
import { PubSub, type LinkState, type OutageReport } from "./pubsub";
import { Recovery } from "./recovery";
import type { RedisClientLike, RedisSubscriberLike } from "./redis";
import { fromWireTarget, isWireMessage, sequenceOf, toWireTarget, type WireMessage, type WireSocket } from "./wire";
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
   * Bytes of messages (broadcasts, room changes, server-side events) this
   * node keeps, per namespace, while Redis is unreachable; they are sent, in
   * order, when it is back. Past the bound the oldest are dropped and
   * counted. Default 16 MiB: about 100,000 small broadcasts.
   */
  outageBufferSize?: number;
  /**
   * Where the adapter writes one line when Redis becomes unreachable and one
   * when it is back; `false` for none. Default `console.warn`.
   */
  log?: ((line: string) => void) | false;
  /**
   * Serve long-polling behind a load balancer without sticky sessions: a
   * request for a session another node holds is forwarded over HTTP to that
   * node, at `address`. Off by default. See docs/scaling.md.
   */
  forwardRequests?: ForwardRequestsOptions;
}

/** What {@link RedisAdapter.outageStats} reports. */
export interface OutageStats {
  /** "up"; "down" while Redis is unreachable; "reachable" while waiting for the other nodes to be back too. */
  state: LinkState;
  /** Outages since the adapter started. */
  outages: number;
  /** Messages kept now, waiting for Redis. */
  buffered: number;
  bufferedBytes: number;
  /** Messages dropped since the adapter started because the buffer was full. */
  dropped: number;
  /** The last outage that ended. */
  lastOutage: OutageReport | undefined;
}

const DEFAULT_OUTAGE_BUFFER_SIZE = 16 * 1024 * 1024;
/** ms between two probes while Redis is unreachable: how soon its return is noticed. */
const PROBE_INTERVAL = 200;

/**
 * The Redis adapter of one namespace. Broadcasts are encoded once, by the
 * node that emits them, and travel in a versioned binary envelope (see
 * envelope.ts) that other nodes write to their sockets as is. The parts:
 * pub/sub and what it keeps through a Redis outage (pubsub.ts, outbox.ts),
 * the outage's reporting and end (outage.ts), requests across nodes
 * (cluster-requests.ts, answered in receive()), connection state recovery
 * (recovery.ts), the messages between nodes (wire.ts, duplicates.ts).
 */
export class RedisAdapter extends Adapter {
  /** This node's id in the cluster (hex). */
  readonly uid: string;
  private readonly uidBytes: Buffer;
  private readonly heartbeatInterval: number;
  private readonly pubsub: PubSub;
  private readonly nodes: NodeTracker;
  private readonly requests: ClusterRequests;
  private readonly recovery: Recovery | null;
  private state: "new" | "open" | "closed" = "new";
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly duplicates = new Duplicates();
  private readonly outage: Outage;

  constructor(nsp: AdapterNamespace, pub: RedisClientLike, sub: RedisSubscriberLike, opts: RedisAdapterOptions = {}) {
    super(nsp);
    this.uidBytes = randomBytes(UID_BYTES);
    this.uid = this.uidBytes.toString("hex");
    const key = opts.key ?? "duplex";
    this.heartbeatInterval = opts.heartbeatInterval ?? 5000;
    const heartbeatTimeout = opts.heartbeatTimeout ?? 10_000;
    const outboxSize = opts.outageBufferSize ?? DEFAULT_OUTAGE_BUFFER_SIZE;
    const pubsubOptions = { key, nsp: nsp.name, uid: this.uidBytes, sharded: opts.sharded ?? false, outboxSize, probeInterval: PROBE_INTERVAL };
    this.pubsub = new PubSub(pub, sub, pubsubOptions, {
      // Defined once per adapter, not per message.
      onMessage: (message) => this.receive(message),
      onDown: (err) => this.outage.started(err),
      onReachable: () => this.outage.reachable(),
      onUp: (report) => this.outage.ended(report),
    });
    this.nodes = new NodeTracker(heartbeatTimeout, (uid) => {
      this.duplicates.forget(uid);
      this.requests.nodeGone(uid);
    });
    this.requests = new ClusterRequests(this.pubsub, this.nodes, opts.requestsTimeout ?? 5000);
    const log = opts.log ?? ((line: string) => console.warn(line));
    this.outage = new Outage(this.pubsub, this.nodes, { nsp: nsp.name, uid: this.uid, heartbeatTimeout, log }, {
      onStart: (err) => {
        this.requests.failAll();
        if (this.listenerCount("error") > 0) this.emit("error", err);
        else debug("%s: %s", nsp.name, err.message);
      },
    });
    const recovery = nsp.recoveryOptions;
    this.recovery = recovery
      ? new Recovery(nsp, pub, key, { hex: this.uid, bytes: this.uidBytes }, recovery.maxDisconnectionDuration, (id) => this.sids.get(id), (err) => this.reportError(err))
      : null;
  }

  override async init(): Promise<void> {
    if (this.state !== "new") return;
    this.state = "open";
    try {
      await this.pubsub.subscribe();
    } catch (err) {
      this.reportError(err as Error);
    }
    if (this.state !== "open") return;
    this.pubsub.signal(MessageType.INITIAL_HEARTBEAT, {});
    this.heartbeat = setInterval(() => {
      this.pubsub.signal(MessageType.HEARTBEAT, {});
      // While Redis is unreachable nobody can be heard: silence says nothing.
      if (this.pubsub.state !== "up") return;
      this.nodes.sweep();
      this.recovery?.refreshAll();
    }, this.heartbeatInterval).unref();
  }

  /** Where this node stands with Redis, and what outages cost so far. */
  outageStats(): OutageStats {
    return { ...this.pubsub.stats(), lastOutage: this.outage.lastReport };
  }

  override async close(): Promise<void> {
    if (this.state === "closed") return;
    const wasOpen = this.state === "open";
    this.state = "closed";
    clearInterval(this.heartbeat);
    this.outage.dispose();
    this.requests.closeAll();
    this.nodes.clear();
    if (wasOpen) {
      this.pubsub.signal(MessageType.ADAPTER_CLOSE, {});
      const unsubscribed = this.pubsub.unsubscribe().catch((err: Error) => debug("unsubscribe failed: %s", err.message));
      // While Redis is unreachable the command waits in the client's queue: closing does not wait with it.
      if (this.pubsub.state === "up") await unsubscribed;
    }
    this.pubsub.dispose();
  }

  /** This node plus every node alive according to the heartbeats. */
  override serverCount(): Promise<number> {
    return Promise.resolve(1 + this.nodes.size);
  }

  override addAll(id: string, rooms: Set<Room>): void {
    super.addAll(id, rooms);
    this.recovery?.markDirty(id);
  }

  override del(id: string, room: Room): void {
    super.del(id, room);
    this.recovery?.markDirty(id);
  }

  override delAll(id: string): void {
    const pid = this.recovery !== null ? this.nsp.sockets.get(id)?.pid : undefined;
    super.delAll(id);
    this.recovery?.left(id, pid);
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    this.recovery?.keep(packet, opts);
    const encoded = this.nsp.encode(packet);
    this.apply(opts, (socket) => socket.writeEncoded(encoded, opts.flags, packet));
    if (opts.flags?.local) return;
    this.pubsub.publish(MessageType.BROADCAST, { ...toWireTarget(opts), c: encoded.length }, encoded.map(toPart));
  }

  override broadcastWithAck(
    packet: Packet & { id: number },
    opts: BroadcastOptions,
    clientCount: (count: number) => void,
    ack: (response: unknown) => void,
  ): void {
    // The server's operators send events only (acks need an event to answer).
    if (!opts.flags?.local && packet.type === EVENT) this.requests.broadcastWithAck(packet.data, opts, clientCount, ack);
    super.broadcastWithAck(packet, opts, clientCount, ack);
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const found = await super.fetchSockets(opts);
    if (opts.flags?.local) return found;
    return this.requests.fetchSockets(opts, found);
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.addSockets(opts, rooms);
    if (!opts.flags?.local) this.pubsub.publish(MessageType.SOCKETS_JOIN, { ...toWireTarget(opts), rooms });
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.delSockets(opts, rooms);
    if (!opts.flags?.local) this.pubsub.publish(MessageType.SOCKETS_LEAVE, { ...toWireTarget(opts), rooms });
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    if (!opts.flags?.local) this.pubsub.publish(MessageType.DISCONNECT_SOCKETS, { ...toWireTarget(opts), close });
  }

  /**
   * Sends a server-side event to every other node; a trailing callback
   * (serverSideEmitWithAck) gets `(err, responses)`, one response per node,
   * err when some did not answer within `requestsTimeout`.
   */
  override serverSideEmit(args: unknown[]): void {
    const last = args[args.length - 1];
    if (typeof last !== "function") {
      this.pubsub.publish(MessageType.SERVER_SIDE_EMIT, { a: args });
      return;
    }
    this.requests.serverSideEmitWithAck(args.slice(0, -1), last as (err: Error | null, responses: unknown[]) => void);
  }

  override persistSession(session: Session): Promise<void> | void {
    return this.recovery?.persistSession(session);
  }

  override restoreSession(pid: string, offset: string): Promise<RecoveredSession | null> {
    return this.recovery?.restoreSession(pid, offset) ?? Promise.resolve(null);
  }

  private receive(message: Buffer): void {
    if (this.state !== "open") return;
    const env = decodeEnvelope(message);
    if (env === null) {
      debug("%s: dropped a message that is not a v1 envelope", this.nsp.name);
      return;
    }
    if (!isWireMessage(env)) {
      debug("%s: dropped a message of unknown type %d or with a malformed header", this.nsp.name, env.type);
      return;
    }
    if (env.type === MessageType.ADAPTER_CLOSE) {
      this.nodes.remove(env.uid);
      return;
    }
    this.nodes.seen(env.uid);
    this.outage.heard(env);
    const seq = sequenceOf(env);
    if (seq !== undefined && !this.duplicates.isNew(env.uid, seq)) {
      debug("%s: dropped message %d of %s, already received", this.nsp.name, seq, env.uid);
      return;
    }
    this.handle(env);
  }

  /** Acts on a message of another node of the namespace. */
  private handle(msg: WireMessage): void {
    switch (msg.type) {
      case MessageType.INITIAL_HEARTBEAT:
        // Answer at once, so the newcomer (or a node back from an outage) knows every node without waiting an interval.
        this.pubsub.signal(MessageType.HEARTBEAT, { to: msg.uid });
        break;
      case MessageType.HEARTBEAT:
      case MessageType.ADAPTER_CLOSE:
        break;
      case MessageType.BROADCAST: {
        const opts = fromWireTarget(msg.header);
        const encoded = msg.parts.slice(0, msg.header.c);
        const packet = lazyPacket(this.nsp.name, encoded);
        this.apply(opts, (socket) => socket.writeEncoded(encoded, opts.flags, packet));
        break;
      }
      case MessageType.BROADCAST_WITH_ACK: {
        const { req } = msg.header;
        const packet = { type: EVENT, nsp: this.nsp.name, id: this.nsp.nextAckId(), data: msg.header.d } as Packet & { id: number };
        super.broadcastWithAck(
          packet,
          fromWireTarget(msg.header),
          (n) => this.pubsub.signalTo(msg.uid, MessageType.BROADCAST_CLIENT_COUNT, { req, n }),
          (a) => this.pubsub.signalTo(msg.uid, MessageType.BROADCAST_ACK, { req, a }),
        );
        break;
      }
      case MessageType.SOCKETS_JOIN:
        super.addSockets(fromWireTarget(msg.header), msg.header.rooms);
        break;
      case MessageType.SOCKETS_LEAVE:
        super.delSockets(fromWireTarget(msg.header), msg.header.rooms);
        break;
      case MessageType.DISCONNECT_SOCKETS:
        super.disconnectSockets(fromWireTarget(msg.header), msg.header.close);
        break;
      case MessageType.FETCH_SOCKETS: {
        const s: WireSocket[] = [];
        this.apply(fromWireTarget(msg.header), (socket) =>
          s.push({ id: socket.id, handshake: socket.handshake, rooms: [...(this.socketRooms(socket.id) ?? [])], data: socket.data }),
        );
        this.pubsub.signalTo(msg.uid, MessageType.FETCH_SOCKETS_RESPONSE, { req: msg.header.req, s });
        break;
      }
      case MessageType.SERVER_SIDE_EMIT: {
        const { a: args, req } = msg.header;
        if (req === undefined) {
          this.nsp.onServerSideEmit(args);
          break;
        }
        let answered = false;
        this.nsp.onServerSideEmit([
          ...args,
          (a: unknown) => {
            if (answered) return;
            answered = true;
            this.pubsub.signalTo(msg.uid, MessageType.SERVER_SIDE_EMIT_RESPONSE, { req, a });
          },
        ]);
        break;
      }
      case MessageType.FETCH_SOCKETS_RESPONSE:
      case MessageType.SERVER_SIDE_EMIT_RESPONSE:
      case MessageType.BROADCAST_CLIENT_COUNT:
      case MessageType.BROADCAST_ACK:
        this.requests.answered(msg);
        break;
    }
  }

  /**
   * Redis errors reach the user as the adapter's "error" event; nobody
   * listening must not crash the server. During an outage the outage was
   * reported once: what follows only goes to the debug log.
   */
  private reportError(err: Error): void {
    if (this.listenerCount("error") > 0 && this.pubsub.state === "up") this.emit("error", err);
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
