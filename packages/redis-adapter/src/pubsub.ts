// The adapter's pub/sub over Redis: the namespace channel every node of the
// namespace listens on, and this node's response channel, where answers to
// its requests arrive. Classic (PUBLISH / SUBSCRIBE) or sharded (Redis 7:
// SPUBLISH / SSUBSCRIBE).
import { encodeEnvelope, type Part } from "./envelope";
import type { BufferListener, RedisClientLike, RedisSubscriberLike } from "./redis";
import type { Headers, WireType } from "./wire";

export interface PubSubOptions {
  key: string;
  nsp: string;
  uid: Buffer;
  sharded: boolean;
}

export interface PubSubHandler {
  /** A message on one of the two channels, this node's own included. */
  onMessage: BufferListener;
  /** A Redis command failed, or a client reported an error. */
  onError(err: Error): void;
}

export class PubSub {
  /** The channel of the namespace: broadcasts, room changes, requests. */
  readonly channel: string;
  private readonly ownChannel: string;
  private readonly publishCommand: "PUBLISH" | "SPUBLISH";
  private readonly onError: (err: Error) => void;

  constructor(
    private readonly pub: RedisClientLike,
    private readonly sub: RedisSubscriberLike,
    private readonly opts: PubSubOptions,
    private readonly handler: PubSubHandler,
  ) {
    this.channel = `${opts.key}#${opts.nsp}#`;
    this.ownChannel = this.responseChannel(opts.uid.toString("hex"));
    this.publishCommand = opts.sharded ? "SPUBLISH" : "PUBLISH";
    this.onError = (err) => handler.onError(err);
    pub.on("error", this.onError);
    sub.on("error", this.onError);
  }

  subscribe(): Promise<void> {
    const channels = [this.channel, this.ownChannel];
    if (!this.opts.sharded) return this.sub.subscribe(channels, this.handler.onMessage, true);
    return this.eachShard(channels, (one) => this.sub.sSubscribe(one, this.handler.onMessage, true));
  }

  unsubscribe(): Promise<void> {
    const channels = [this.channel, this.ownChannel];
    if (!this.opts.sharded) return this.sub.unsubscribe(channels, this.handler.onMessage, true);
    return this.eachShard(channels, (one) => this.sub.sUnsubscribe(one, this.handler.onMessage, true));
  }

  /** Stops listening to the clients' errors (the adapter closed). */
  dispose(): void {
    this.pub.off("error", this.onError);
    this.sub.off("error", this.onError);
  }

  /** Sends a message to every node of the namespace. */
  publish<T extends WireType>(type: T, header: Headers[T], parts?: Part[]): void {
    this.send(this.channel, encodeEnvelope(type, this.opts.uid, header, parts));
  }

  /** Sends a message to the node `uid` only, on its response channel. */
  publishTo<T extends WireType>(uid: string, type: T, header: Headers[T]): void {
    this.send(this.responseChannel(uid), encodeEnvelope(type, this.opts.uid, header));
  }

  private send(channel: string, message: Buffer): void {
    this.pub.sendCommand([this.publishCommand, channel, message]).catch(this.onError);
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
