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
 * What the heartbeat's one timer is counting down to:
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
 * One timer runs at a time, made anew for each phase. It is not re-armed
 * with `refresh()`: on a timer that was cleared, Node's `refresh()` does
 * nothing (while Jest's fake timers do re-arm it), which once left every
 * session without a pong deadline after its first pong.
 */
export class Heartbeat {
  private phaseValue: HeartbeatPhase = "stopped";
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly pingInterval: number,
    readonly pingTimeout: number,
    private readonly handler: HeartbeatHandler,
  ) {}

  get phase(): HeartbeatPhase {
    return this.phaseValue;
  }

  /** Starts the cycle: the first ping goes out after pingInterval. */
  start(): void {
    this.arm("ping", this.pingInterval);
  }

  /**
   * A pong arrived. Returns whether it answered the outstanding ping (the
   * next ping then goes out after pingInterval); an unsolicited pong
   * changes nothing.
   */
  onPong(): boolean {
    if (this.phaseValue !== "pong") return false;
    this.arm("ping", this.pingInterval);
    return true;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.phaseValue = "stopped";
  }

  // The timer callback gets its heartbeat as an argument: no bound function per session.
  private static onTimer(heartbeat: Heartbeat): void {
    heartbeat.onTimer();
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.phaseValue === "ping") {
      this.arm("pong", this.pingTimeout);
      this.handler[sendPing]();
    } else if (this.phaseValue === "pong") {
      this.phaseValue = "stopped";
      this.handler[onPingTimeout]();
    }
  }

  private arm(phase: "ping" | "pong", delay: number): void {
    clearTimeout(this.timer);
    this.phaseValue = phase;
    this.timer = setTimeout(Heartbeat.onTimer, delay, this);
  }
}
