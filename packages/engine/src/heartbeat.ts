import { onDue, type QueueEntry, type TimerQueue } from "./timer-queue";

// Symbol keys: the session implements these itself, off its public API.
export const sendPing = Symbol("sendPing");
export const onPingTimeout = Symbol("onPingTimeout");

/** What the heartbeat asks of its session. */
export interface HeartbeatHandler {
  /** Time to write a ping packet. */
  [sendPing](): void;
  /** No pong came within pingTimeout. */
  [onPingTimeout](): void;
}

/**
 * What the heartbeat is waiting for:
 * - "ping": pingInterval after the open packet or the last pong, the next ping;
 * - "pong": pingTimeout after a ping, the deadline of its pong;
 * - "stopped": nothing (not started, timed out, or stopped).
 */
export type HeartbeatPhase = "stopped" | "ping" | "pong";

/**
 * Engine.IO v4 heartbeat, server side (engine.io-protocol v4, "Heartbeat"):
 * pingInterval after the open packet, and after each pong, the server pings;
 * the pong must come within pingTimeout or the session closes with
 * "ping timeout". A peer that vanished without a TCP close is therefore
 * dropped at most pingInterval + pingTimeout after its last pong.
 *
 * The heartbeat holds no timer of its own: it waits in one of two queues
 * that the server's sessions share, `pings` (delay pingInterval) until its
 * next ping and `pongs` (delay pingTimeout) until its pong deadline. Each
 * queue runs one timer for all its entries, and the heartbeat is its own
 * queue entry, so a session costs no Timeout.
 */
export class Heartbeat implements QueueEntry {
  private phaseValue: HeartbeatPhase = "stopped";
  queuePrevious: QueueEntry | null = null;
  queueNext: QueueEntry | null = null;
  queueDue = 0;

  constructor(
    private readonly pings: TimerQueue,
    private readonly pongs: TimerQueue,
    private readonly handler: HeartbeatHandler,
  ) {}

  get phase(): HeartbeatPhase {
    return this.phaseValue;
  }

  get pingInterval(): number {
    return this.pings.delay;
  }

  get pingTimeout(): number {
    return this.pongs.delay;
  }

  /** Starts the cycle: the first ping goes out after pingInterval. */
  start(): void {
    this.wait("ping");
  }

  /**
   * A pong arrived. Returns whether it answered the outstanding ping (the
   * next ping then goes out after pingInterval); an unsolicited pong
   * changes nothing.
   */
  onPong(): boolean {
    if (this.phaseValue !== "pong") return false;
    this.wait("ping");
    return true;
  }

  stop(): void {
    this.leaveQueue();
    this.phaseValue = "stopped";
  }

  /** The queue of the current phase took the heartbeat out: its time has come. */
  [onDue](): void {
    if (this.phaseValue === "ping") {
      this.phaseValue = "pong";
      this.pongs.add(this);
      this.handler[sendPing]();
    } else if (this.phaseValue === "pong") {
      this.phaseValue = "stopped";
      this.handler[onPingTimeout]();
    }
  }

  /** Moves to `phase`, in the queue of that phase (the phase says which queue holds the heartbeat). */
  private wait(phase: "ping" | "pong"): void {
    this.leaveQueue();
    this.phaseValue = phase;
    (phase === "ping" ? this.pings : this.pongs).add(this);
  }

  private leaveQueue(): void {
    if (this.phaseValue === "ping") this.pings.remove(this);
    else if (this.phaseValue === "pong") this.pongs.remove(this);
  }
}
