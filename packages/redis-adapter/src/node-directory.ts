import { randomBytes } from "node:crypto";
import createDebug from "debug";
import type { BufferListener, RedisClientLike, RedisSubscriberLike } from "./redis";

const debug = createDebug("duplex:redis-adapter:directory");

/** Random bytes of a node's tag: 6 bytes are 8 base64url characters. */
const TAG_BYTES = 6;
/** Characters of a tag at the start of every sid a forwarding node opens. */
export const TAG_LENGTH = 8;

type AnnouncementType = "hello" | "here" | "bye";

/** What a node says on the directory channel (JSON, version 1). */
interface Announcement {
  v: 1;
  type: AnnouncementType;
  tag: string;
  address: string;
}

function parseAnnouncement(message: Buffer): Announcement | null {
  let value: unknown;
  try {
    value = JSON.parse(message.toString());
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const a = value as Record<string, unknown>;
  const typeOk = a.type === "hello" || a.type === "here" || a.type === "bye";
  if (a.v !== 1 || !typeOk || typeof a.tag !== "string" || a.tag.length !== TAG_LENGTH || !isHttpAddress(a.address)) return null;
  return value as Announcement;
}

/** An `http://host:port` or `https://…` address, as `forwardRequests.address` must be. */
export function isHttpAddress(address: unknown): address is string {
  if (typeof address !== "string") return false;
  try {
    const url = new URL(address);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

export interface DirectoryOptions {
  /** The Redis channel every node of the cluster announces itself on. */
  channel: string;
  sharded: boolean;
  /** ms between two announcements. */
  interval: number;
  /** ms of silence after which a node's address is forgotten (while Redis itself answers). */
  timeout: number;
  onError(err: Error): void;
}

/**
 * Which node is where: each node picks a random tag, puts it at the start of
 * the sids it opens, and announces `tag → address` over Redis at start
 * ("hello", answered by every node with "here"), every `interval`, and when
 * it stops ("bye"). Only addresses announced this way are ever forwarded
 * to: a sid a client made up cannot point a node at another host.
 *
 * A node that stops announcing is forgotten after `timeout`, but only once
 * this node has heard its own announcement come back after that time:
 * during a Redis outage nobody is heard, and the last known addresses stay,
 * so requests keep reaching their sessions.
 */
export class NodeDirectory {
  readonly tag = randomBytes(TAG_BYTES).toString("base64url");
  private readonly addresses = new Map<string, { address: string; seenAt: number }>();
  private state: "new" | "open" | "closed" = "new";
  private timer: NodeJS.Timeout | undefined;
  private lastEcho = 0;
  /** Where the other nodes reach this one, known from {@link start} on. */
  private address = "";
  private readonly onMessage: BufferListener = (message) => this.receive(message);

  constructor(
    private readonly pub: RedisClientLike,
    private readonly sub: RedisSubscriberLike,
    private readonly opts: DirectoryOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many other nodes are known. */
  get size(): number {
    return this.addresses.size;
  }

  /** The address of the node whose tag is `tag`, if it announced one. */
  addressOf(tag: string): string | undefined {
    return this.addresses.get(tag)?.address;
  }

  /** Forgets a node (its address refused a connection: it is gone). */
  forget(tag: string): void {
    this.addresses.delete(tag);
  }

  /** Starts announcing `address` (where the other nodes reach this one) and listening to theirs. */
  async start(address: string): Promise<void> {
    if (this.state !== "new") return;
    this.state = "open";
    this.address = address;
    try {
      await (this.opts.sharded ? this.sub.sSubscribe([this.opts.channel], this.onMessage, true) : this.sub.subscribe([this.opts.channel], this.onMessage, true));
    } catch (err) {
      this.opts.onError(err as Error);
    }
    if (this.state !== "open") return;
    this.announce("hello");
    this.timer = setInterval(() => {
      this.announce("here");
      this.sweep();
    }, this.opts.interval).unref();
  }

  async stop(): Promise<void> {
    if (this.state === "closed") return;
    const wasOpen = this.state === "open";
    this.state = "closed";
    clearInterval(this.timer);
    this.addresses.clear();
    if (!wasOpen) return;
    this.announce("bye");
    const unsubscribe = this.opts.sharded ? this.sub.sUnsubscribe([this.opts.channel], this.onMessage, true) : this.sub.unsubscribe([this.opts.channel], this.onMessage, true);
    await unsubscribe.catch((err: Error) => debug("unsubscribe failed: %s", err.message));
  }

  private announce(type: AnnouncementType): void {
    const announcement: Announcement = { v: 1, type, tag: this.tag, address: this.address };
    this.pub.sendCommand([this.opts.sharded ? "SPUBLISH" : "PUBLISH", this.opts.channel, JSON.stringify(announcement)]).catch(this.opts.onError);
  }

  private receive(message: Buffer): void {
    if (this.state !== "open") return;
    const announcement = parseAnnouncement(message);
    if (announcement === null) {
      debug("dropped a message that is not a v1 announcement");
      return;
    }
    if (announcement.tag === this.tag) {
      this.lastEcho = this.now();
      return;
    }
    if (announcement.type === "bye") {
      this.addresses.delete(announcement.tag);
      return;
    }
    this.addresses.set(announcement.tag, { address: announcement.address, seenAt: this.now() });
    // Answer a newcomer at once, so it can forward without waiting an interval.
    if (announcement.type === "hello") this.announce("here");
  }

  /**
   * Forgets each node that had been silent for longer than `timeout` when
   * this node last heard its own announcement: Redis was delivering then,
   * so the silence was the node's. While Redis is silent, `lastEcho` stays
   * where it was and nobody is forgotten.
   */
  private sweep(): void {
    for (const [tag, entry] of this.addresses) if (this.lastEcho - entry.seenAt > this.opts.timeout) this.addresses.delete(tag);
  }
}
