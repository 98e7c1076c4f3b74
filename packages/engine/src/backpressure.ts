import type { Packet } from "engine.io-parser";
import { PreparedMessage } from "./prepared";

// Symbol keys: the session implements these itself, off its public API.
export const measureBuffered = Symbol("measureBuffered");
export const onCongestion = Symbol("onCongestion");
export const onSlowConsumer = Symbol("onSlowConsumer");

/** What a `Backpressure` watches and tells: the session. */
export interface BackpressureOwner {
  /** Bytes buffered for the client now: queued packets plus the transport's own buffer. */
  [measureBuffered](): number;
  /** The amount went over the limit (`congested` true) or fell back to it or under (false). */
  [onCongestion](congested: boolean, bufferedAmount: number): void;
  /** The client does not read: the session must close, `description` says why. */
  [onSlowConsumer](description: string): void;
}

/**
 * The policy for a client that does not read what the server sends (a slow
 * consumer), so that what a server keeps for one client is bounded:
 *
 * - over `limit` bytes, and still over one event-loop turn later, the
 *   session is congested: volatile packets are dropped (the server's
 *   `Client` asks `congested`) and a grace timer of `timeout` ms starts.
 *   Waiting one turn tells a client that does not read from a burst queued
 *   in one go (a history replayed on connect, one large message), which the
 *   transport hands to the network on the next turn whatever its size;
 * - back to `limit` or under within the grace period: not congested any
 *   more (the server's Socket emits "drain"), the timer stops;
 * - still over when the timer fires: the client is a slow consumer;
 * - a congested session may grow by at most `limit` bytes past what it held
 *   when it became congested (its `base`); a packet that finds it there
 *   makes it a slow consumer at once, so memory stays bounded while the
 *   timer runs.
 *
 * Per session over the limit: one immediate, then one timer if it becomes
 * congested; nothing per packet.
 */
export class Backpressure {
  private state: "clear" | "over" | "congested" = "clear";
  private congestedSince = 0;
  /** What the session held when it became congested. */
  private base = 0;
  private timer: NodeJS.Timeout | null = null;
  private nextTurn: NodeJS.Immediate | null = null;

  constructor(
    readonly limit: number,
    readonly timeout: number,
    private readonly owner: BackpressureOwner,
  ) {}

  get congested(): boolean {
    return this.state === "congested";
  }

  /**
   * Whether the session may queue one more packet: false when it is
   * congested and already holds `limit` bytes more than its base, after
   * telling the owner it is a slow consumer.
   */
  admit(): boolean {
    if (this.state !== "congested") return true;
    const amount = this.owner[measureBuffered]();
    if (amount < this.base + this.limit) return true;
    this.owner[onSlowConsumer](
      `${amount} bytes buffered for the client, maxBackpressure (${this.limit}) more than the ${this.base} it held once congested`,
    );
    return false;
  }

  /** Re-reads the amount after it may have changed (a packet queued, a write done). */
  update(): void {
    const amount = this.owner[measureBuffered]();
    if (amount > this.limit) {
      if (this.state !== "clear") return;
      this.state = "over";
      this.nextTurn = setImmediate(Backpressure.onNextTurn, this);
    } else if (this.state === "over") {
      this.stop();
    } else if (this.state === "congested") {
      this.stop();
      this.owner[onCongestion](false, amount);
    }
  }

  /** Back to clear, timers stopped (drained, or the session closed). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.nextTurn !== null) clearImmediate(this.nextTurn);
    this.timer = null;
    this.nextTurn = null;
    this.state = "clear";
  }

  // Timer callbacks get their Backpressure as an argument: no bound function per session.
  private static onNextTurn(backpressure: Backpressure): void {
    backpressure.onNextTurn();
  }

  private static onGraceOver(backpressure: Backpressure): void {
    backpressure.onGraceOver();
  }

  private onNextTurn(): void {
    this.nextTurn = null;
    const amount = this.owner[measureBuffered]();
    if (amount <= this.limit) {
      this.state = "clear";
      return;
    }
    this.state = "congested";
    this.base = amount;
    this.congestedSince = Date.now();
    this.timer = setTimeout(Backpressure.onGraceOver, this.timeout, this);
    this.owner[onCongestion](true, amount);
  }

  private onGraceOver(): void {
    this.timer = null;
    const amount = this.owner[measureBuffered]();
    if (amount <= this.limit) {
      // It drained without an event saying so (a socket's buffer shrinks silently until empty).
      this.stop();
      this.owner[onCongestion](false, amount);
      return;
    }
    this.owner[onSlowConsumer](
      `${amount} bytes buffered for the client, over maxBackpressure (${this.limit}) for ${Date.now() - this.congestedSince} ms (backpressureTimeout ${this.timeout})`,
    );
  }
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
