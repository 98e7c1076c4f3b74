/** What the heartbeat asks of its session. */
export interface HeartbeatHandler {
  /** Time to write a ping packet. */
  sendPing(): void;
  /** No pong came within pingTimeout. */
  onTimeout(): void;
}

/**
 * Engine.IO v4 heartbeat, server side (engine.io-protocol v4, "Heartbeat"):
 * every `pingInterval` the server pings; a pong must come within `pingTimeout`
 * or the session closes with "ping timeout". The two timers are created once
 * and re-armed with `refresh()`, never re-created per ping.
 */
export class Heartbeat {
  private pingTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;

  constructor(
    private readonly pingInterval: number,
    private readonly pingTimeout: number,
    private readonly handler: HeartbeatHandler,
  ) {
    this.ping = this.ping.bind(this);
    this.expire = this.expire.bind(this);
  }

  /** Starts the cycle: the first ping goes out after pingInterval. */
  start(): void {
    if (this.pingTimer === null) this.pingTimer = setTimeout(this.ping, this.pingInterval);
    else this.pingTimer.refresh();
  }

  /** A pong arrived: the peer is alive; the next ping goes out after pingInterval. */
  onPong(): boolean {
    if (!this.awaitingPong) return false;
    this.awaitingPong = false;
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.start();
    return true;
  }

  stop(): void {
    this.awaitingPong = false;
    if (this.pingTimer) clearTimeout(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
  }

  private ping(): void {
    this.awaitingPong = true;
    if (this.pongTimer === null) this.pongTimer = setTimeout(this.expire, this.pingTimeout);
    else this.pongTimer.refresh();
    this.handler.sendPing();
  }

  private expire(): void {
    if (!this.awaitingPong) return;
    this.awaitingPong = false;
    this.handler.onTimeout();
  }
}
