/** What the heartbeat asks of its session. */
export interface HeartbeatHandler {
  /** Time to write a ping packet. */
  sendPing(): void;
  /** No pong came within pingTimeout. */
  onTimeout(): void;
}

// Timer callbacks get their heartbeat as an argument (kept by `refresh()`): no bound function per session.
function ping(heartbeat: Heartbeat): void {
  heartbeat.onPingTimer();
}
function expire(heartbeat: Heartbeat): void {
  heartbeat.onPongTimer();
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
  ) {}

  /** Starts the cycle: the first ping goes out after pingInterval. */
  start(): void {
    if (this.pingTimer === null) this.pingTimer = setTimeout(ping, this.pingInterval, this);
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

  /** @internal */
  onPingTimer(): void {
    this.awaitingPong = true;
    if (this.pongTimer === null) this.pongTimer = setTimeout(expire, this.pingTimeout, this);
    else this.pongTimer.refresh();
    this.handler.sendPing();
  }

  /** @internal */
  onPongTimer(): void {
    if (!this.awaitingPong) return;
    this.awaitingPong = false;
    this.handler.onTimeout();
  }
}
