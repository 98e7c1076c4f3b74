// The adapter's pub/sub over Redis: the namespace channel every node of the
// namespace listens on, and this node's response channel, where answers to
// its requests arrive. Classic (PUBLISH / SUBSCRIBE) or sharded (Redis 7:
// SPUBLISH / SSUBSCRIBE).
//
// It also carries the namespace's messages through a Redis outage. The link
// is "up", "down" (a client reported an error or a command failed) or
// "reachable" (a probe this node published came back through its own
// subscription: both connections work again, the adapter is waiting for the
// other nodes to be back too). Messages that change what clients receive
// (broadcasts, room changes, server-side events) are numbered per node; while
// the link is not up they are kept in the outbox, in order and bounded, and
// sent when the adapter calls resume(). Receivers drop a number they already
// had (duplicates.ts), so a message that Redis delivered just before a
// connection died and that is sent again is not delivered twice.
import { MessageType, encodeEnvelope, isFrom, type Part } from "./envelope";
import { Outbox, type OutboxEntry } from "./outbox";
import type { BufferListener, RedisClientLike, RedisSubscriberLike } from "./redis";
import type { Headers, SequencedType, WireType } from "./wire";

export interface PubSubOptions {
  key: string;
  nsp: string;
  uid: Buffer;
  sharded: boolean;
  /** Bytes of messages kept while Redis is unreachable. */
  outboxSize: number;
  /** ms between two probes while Redis is unreachable. */
  probeInterval: number;
}

export type LinkState = "up" | "down" | "reachable";

/** One sending of a kept message (the same message may be sent again after an outage). */
interface Attempt {
  entry: OutboxEntry;
}

/** An outage as it ended. */
export interface OutageReport {
  /** ms from the first error to the moment the kept messages were sent. */
  duration: number;
  /** Messages kept during the outage and sent after it. */
  sent: number;
  /** Messages dropped during the outage because the outbox was full (the oldest first). */
  dropped: number;
}

/** Redis cannot be reached; `cause` is the client's error. `code` is stable. */
export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
  readonly code = "REDIS_UNAVAILABLE";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface PubSubHandler {
  /** A message of another node, on one of the two channels. */
  onMessage: BufferListener;
  /** The link went down: once per outage. */
  onDown(err: RedisUnavailableError): void;
  /** Both connections work again; call resume() once the other nodes can hear. */
  onReachable(): void;
  /** The outage is over: what was kept has been handed to Redis. */
  onUp(report: OutageReport): void;
}

export class PubSub {
  /** The channel of the namespace: broadcasts, room changes, requests. */
  readonly channel: string;
  private readonly ownChannel: string;
  private readonly publishCommand: "PUBLISH" | "SPUBLISH";
  private readonly outbox: Outbox;
  private link: LinkState = "up";
  private sequence = 0;
  private outages = 0;
  private outageStart = 0;
  private droppedBefore = 0;
  /**
   * Messages handed to the client whose PUBLISH has not been answered. When
   * the link goes down they go back to the outbox: the client may resend
   * them itself on reconnection (ioredis resends unanswered commands, both
   * clients send their offline queue), but maybe before the other nodes
   * subscribed again. Sent twice, they are delivered once (duplicates.ts).
   */
  private readonly unconfirmed = new Map<number, Attempt>();
  private probeTimer: NodeJS.Timeout | undefined;
  private probeInFlight = false;
  private disposed = false;
  // Defined once, not per message.
  private readonly onClientError = (err?: unknown): void => this.down(err instanceof Error ? err : new Error(String(err)));
  private readonly onReconnecting = (): void => this.down(new Error("the connection to Redis was lost; the client is reconnecting"));
  private readonly onSubscribed: BufferListener;

  constructor(
    private readonly pub: RedisClientLike,
    private readonly sub: RedisSubscriberLike,
    private readonly opts: PubSubOptions,
    private readonly handler: PubSubHandler,
  ) {
    this.channel = `${opts.key}#${opts.nsp}#`;
    this.ownChannel = this.responseChannel(opts.uid.toString("hex"));
    this.publishCommand = opts.sharded ? "SPUBLISH" : "PUBLISH";
    this.outbox = new Outbox(opts.outboxSize);
    this.onSubscribed = (message, channel) => {
      if (!isFrom(message, opts.uid)) return handler.onMessage(message, channel);
      // This node's own heartbeat or probe: Redis carried it both ways.
      if (message[1] === MessageType.HEARTBEAT) this.reachable();
    };
    for (const client of [pub, sub]) {
      client.on("error", this.onClientError);
      client.on("reconnecting", this.onReconnecting);
    }
  }

  get state(): LinkState {
    return this.link;
  }

  /** Counters since the adapter started. */
  stats(): { state: LinkState; outages: number; buffered: number; bufferedBytes: number; dropped: number } {
    return { state: this.link, outages: this.outages, buffered: this.outbox.size, bufferedBytes: this.outbox.byteLength, dropped: this.outbox.dropped };
  }

  subscribe(): Promise<void> {
    const channels = [this.channel, this.ownChannel];
    if (!this.opts.sharded) return this.sub.subscribe(channels, this.onSubscribed, true);
    return this.eachShard(channels, (one) => this.sub.sSubscribe(one, this.onSubscribed, true));
  }

  unsubscribe(): Promise<void> {
    const channels = [this.channel, this.ownChannel];
    if (!this.opts.sharded) return this.sub.unsubscribe(channels, this.onSubscribed, true);
    return this.eachShard(channels, (one) => this.sub.sUnsubscribe(one, this.onSubscribed, true));
  }

  /** Stops listening to the clients and probing (the adapter closed). */
  dispose(): void {
    this.disposed = true;
    clearInterval(this.probeTimer);
    for (const client of [this.pub, this.sub]) {
      client.off("error", this.onClientError);
      client.off("reconnecting", this.onReconnecting);
    }
  }

  /**
   * Sends a message that changes what clients receive to every node of the
   * namespace, numbered; kept in the outbox while the link is not up.
   */
  publish<T extends SequencedType>(type: T, header: Headers[T], parts?: Part[]): void {
    header.q = ++this.sequence;
    const entry: OutboxEntry = { seq: this.sequence, message: encodeEnvelope(type, this.opts.uid, header, parts) };
    if (this.link === "up") this.sendKept(entry);
    else this.outbox.push(entry);
  }

  /**
   * Sends a message that only matters now (a heartbeat, a request, an
   * answer) to every node of the namespace; dropped while the link is down.
   */
  signal<T extends WireType>(type: T, header: Headers[T]): void {
    if (this.link !== "down") this.send(this.channel, encodeEnvelope(type, this.opts.uid, header));
  }

  /** As signal(), to the node `uid` only, on its response channel. */
  signalTo<T extends WireType>(uid: string, type: T, header: Headers[T]): void {
    if (this.link !== "down") this.send(this.responseChannel(uid), encodeEnvelope(type, this.opts.uid, header));
  }

  /** Ends the outage: sends what the outbox kept, oldest first, then publishes directly again. */
  resume(): void {
    if (this.link !== "reachable") return;
    this.link = "up";
    const kept = this.outbox.takeAll();
    for (const entry of kept) this.sendKept(entry);
    const dropped = this.outbox.dropped - this.droppedBefore;
    this.handler.onUp({ duration: Date.now() - this.outageStart, sent: kept.length, dropped });
  }

  private sendKept(entry: OutboxEntry): void {
    const attempt: Attempt = { entry };
    this.unconfirmed.set(entry.seq, attempt);
    this.pub.sendCommand([this.publishCommand, this.channel, entry.message]).then(
      () => {
        if (this.unconfirmed.get(entry.seq) === attempt) this.unconfirmed.delete(entry.seq);
      },
      (err: Error) => {
        if (this.unconfirmed.get(entry.seq) !== attempt) return this.down(err);
        this.unconfirmed.delete(entry.seq);
        this.outbox.putBack(entry);
        this.down(err);
      },
    );
  }

  private send(channel: string, message: Buffer): void {
    this.pub.sendCommand([this.publishCommand, channel, message]).catch(this.onClientError);
  }

  private down(err: Error): void {
    if (this.disposed) return;
    if (this.link === "down") return;
    const wasUp = this.link === "up";
    this.link = "down";
    for (const { entry } of this.unconfirmed.values()) this.outbox.putBack(entry);
    this.unconfirmed.clear();
    if (wasUp) {
      this.outages++;
      this.outageStart = Date.now();
      this.droppedBefore = this.outbox.dropped;
      this.handler.onDown(new RedisUnavailableError(`Redis is unreachable (${err.message}); publishes are kept until it is back`, { cause: err }));
    }
    this.probeTimer ??= setInterval(() => this.probe(), this.opts.probeInterval);
    this.probeTimer.unref();
  }

  /** Publishes this node's heartbeat to its own channel: when it comes back, Redis works both ways. */
  private probe(): void {
    if (this.probeInFlight) return;
    this.probeInFlight = true;
    const message = encodeEnvelope(MessageType.HEARTBEAT, this.opts.uid, {});
    this.pub.sendCommand([this.publishCommand, this.ownChannel, message]).then(
      () => (this.probeInFlight = false),
      () => (this.probeInFlight = false),
    );
  }

  private reachable(): void {
    if (this.link !== "down") return;
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.link = "reachable";
    this.handler.onReachable();
  }

  private responseChannel(uid: string): string {
    return `${this.opts.key}#${this.opts.nsp}#${uid}#`;
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
}
