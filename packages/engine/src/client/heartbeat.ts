import type { Clock } from "./platform";

/** What the heartbeat tells its socket. */
export interface HeartbeatHandler {
  /** Nothing arrived for pingInterval + pingTimeout. */
  onTimeout(): void;
}

/**
 * Engine.IO v4 heartbeat, client side (engine.io-protocol v4, "Heartbeat"):
 * the server pings every pingInterval and waits pingTimeout for the pong, so
 * a client that hears nothing for pingInterval + pingTimeout knows that the
 * server, or the path to it, is gone.
 *
 * Any packet counts as a sign of life. `onPacket` only records its time; the
 * one timer, when it fires before the silence has lasted long enough, re-arms
 * itself for what is left. No timer is made or cleared per packet.
 */
export class Heartbeat {
  readonly #clock: Clock;
  readonly #handler: HeartbeatHandler;
  /** When the last packet arrived. */
  #lastPacketAt = 0;
  /** pingInterval + pingTimeout: the silence after which the server counts as gone. */
  #allowedSilence = 0;
  #timer: unknown;

  constructor(clock: Clock, handler: HeartbeatHandler) {
    this.#clock = clock;
    this.#handler = handler;
  }

  /** Starts watching: the silence is counted from the last packet (the open packet). */
  start(pingInterval: number, pingTimeout: number): void {
    this.#allowedSilence = pingInterval + pingTimeout;
    this.#arm(this.#allowedSilence);
  }

  /** A packet arrived: the server is alive. */
  onPacket(): void {
    this.#lastPacketAt = this.#clock.now();
  }

  stop(): void {
    this.#clock.clearTimeout(this.#timer);
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#onTimer(), ms);
  }

  #onTimer(): void {
    const left = this.#lastPacketAt + this.#allowedSilence - this.#clock.now();
    if (left > 0) this.#arm(left);
    else this.#handler.onTimeout();
  }
}
