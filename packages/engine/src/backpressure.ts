import type { Packet } from "engine.io-parser";
import { PreparedMessage } from "./prepared";

/** What a `Backpressure` watches and tells: the session. */
export interface BackpressureOwner {
  /** Bytes buffered for the client now: queued packets plus the transport's own buffer. */
  bufferedAmount(): number;
  /** The amount went over the limit (`congested` true) or fell back to it or under (false). */
  onCongestion(congested: boolean, bufferedAmount: number): void;
  /** The client does not read: the session must close, `description` says why. */
  onSlowConsumer(description: string): void;
}

/**
 * The policy for a client that does not read what the server sends (a slow
 * consumer; socket.io#3158, engine.io#420), so that what a server keeps for
 * one client is bounded:
 *
 * - over `limit` bytes the session is congested: volatile packets are
 *   dropped (the server's `Client` asks `congested`), and a grace timer of
 *   `timeout` ms starts;
 * - back to `limit` or under, within the grace period: not congested any
 *   more (the server's Socket emits "drain"), the timer stops;
 * - still over when the timer fires: the client is a slow consumer;
 * - holding twice `limit` when a packet is about to be queued: a slow
 *   consumer at once, so memory stays bounded while the timer runs. The
 *   check is made before the packet is counted, so a single message larger
 *   than the limit still goes to a client that reads.
 *
 * One timer per congested session, made when it becomes congested; nothing
 * per packet.
 */
export class Backpressure {
  private congestedSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly limit: number,
    readonly timeout: number,
    private readonly owner: BackpressureOwner,
  ) {}

  get congested(): boolean {
    return this.congestedSince !== null;
  }

  /**
   * Whether the session may queue one more packet: false when it already
   * holds twice the limit, after telling the owner it is a slow consumer.
   */
  admit(): boolean {
    const amount = this.owner.bufferedAmount();
    if (amount < 2 * this.limit) return true;
    this.owner.onSlowConsumer(`${amount} bytes buffered for the client, twice maxBackpressure (${this.limit})`);
    return false;
  }

  /** Re-reads the amount after it may have changed (a packet queued, a write done). */
  update(): void {
    const amount = this.owner.bufferedAmount();
    if (amount > this.limit) {
      if (this.congestedSince !== null) return;
      this.congestedSince = Date.now();
      this.timer = setTimeout(onGraceOver, this.timeout, this);
      this.owner.onCongestion(true, amount);
    } else if (this.congestedSince !== null) {
      this.stop();
      this.owner.onCongestion(false, amount);
    }
  }

  /** Stops the timer (the session closed). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.congestedSince = null;
  }

  /** @internal */
  onGraceOver(): void {
    this.timer = null;
    const amount = this.owner.bufferedAmount();
    if (amount <= this.limit) {
      // It drained without an event saying so (a socket's buffer shrinks silently until empty).
      this.congestedSince = null;
      this.owner.onCongestion(false, amount);
      return;
    }
    const since = this.congestedSince === null ? this.timeout : Date.now() - this.congestedSince;
    this.owner.onSlowConsumer(
      `${amount} bytes buffered for the client, over maxBackpressure (${this.limit}) for ${since} ms (backpressureTimeout ${this.timeout})`,
    );
  }
}

function onGraceOver(backpressure: Backpressure): void {
  backpressure.onGraceOver();
}

/**
 * Bytes a queued packet stands for: its data plus the type byte. Text counts
 * its length (UTF-16 code units, which is bytes for ASCII) rather than being
 * measured: this runs for every queued packet.
 */
export function packetSize(packet: Packet): number {
  const data: unknown = packet.data;
  if (data === undefined) return 1;
  if (typeof data === "string") return data.length + 1;
  if (data instanceof PreparedMessage) return data.data.length + 1;
  return (data as ArrayBuffer | ArrayBufferView).byteLength + 1;
}
