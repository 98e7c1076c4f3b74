import type { Packet } from "./codec";
import type { EngineClientError } from "./errors";
import type { PollingTransport } from "./transports/polling";
import type { Transport, TransportContext, TransportHandler } from "./transports/transport";
import { WebSocketTransport } from "./transports/websocket";

/**
 * The upgrade from polling to WebSocket, client side (engine.io-protocol v4,
 * "Upgrade"):
 *
 *   opening ──open: sent 2probe──▶ probing ──3probe──▶ pausing ──polling paused: sent 5──▶ upgraded
 *      │                              │                   │
 *      └───── error, close, any other packet, no frame in time ─────▶ failed
 *
 * (The time limits are the WebSocket transport's: see transports/websocket.ts.)
 *
 * While probing, the session goes on over polling. Once the probe is
 * answered, polling pauses: its pending GET comes back (the server answers it
 * at once, with a noop or what it had buffered) and its pending POST ends, so
 * every packet either went over polling or waits in the socket's write
 * buffer; then `5` goes over the WebSocket, which becomes the socket's
 * transport, and the buffer flushes over it. Nothing is lost, duplicated or
 * reordered.
 */
export type UpgradeState = "opening" | "probing" | "pausing" | "upgraded" | "failed";

/** What the upgrade tells its socket. */
export interface UpgradeOwner {
  /** `3probe` arrived: polling pauses now (emit "upgrading"). */
  onProbed(transport: Transport): void;
  /** `5` went out: make `transport` current. */
  onUpgraded(transport: Transport): void;
  /** The attempt failed; the socket stays on polling. */
  onUpgradeFailed(description: string): void;
}

/** The probe WebSocket's handler while it is being probed. */
export class Upgrade implements TransportHandler {
  state: UpgradeState = "opening";
  readonly #probe: Transport;
  readonly #polling: PollingTransport;
  readonly #owner: UpgradeOwner;

  /** Opens a WebSocket to the session's endpoint and probes it, while `polling` carries the session. */
  constructor(context: TransportContext, polling: PollingTransport, owner: UpgradeOwner) {
    this.#polling = polling;
    this.#owner = owner;
    this.#probe = new WebSocketTransport(context, this);
  }

  /** The probe opened: Engine.IO v4 "Upgrade" starts with 2probe. */
  onReady(): void {
    if (this.state !== "opening") return;
    this.state = "probing";
    this.#probe.send([{ type: "ping", data: "probe" }]);
  }

  onPacket(packet: Packet): void {
    if (this.state !== "probing" || packet.type !== "pong" || packet.data !== "probe") {
      this.#fail(`${packet.type} packet while ${this.state}`);
      return;
    }
    this.state = "pausing";
    this.#owner.onProbed(this.#probe);
    this.#polling.pause(() => this.#onPollingPaused());
  }

  /** The 2probe left: nothing to do until 3probe comes. */
  onDrain(): void {}

  onClose(error?: EngineClientError): void {
    this.#fail(error ? error.message : "closed");
  }

  /** Ends the attempt without a report: the socket closed. */
  stop(): void {
    if (this.#pending()) {
      this.state = "failed";
      this.#probe.close();
    }
  }

  #onPollingPaused(): void {
    if (this.state !== "pausing") return;
    this.state = "upgraded";
    this.#probe.send([{ type: "upgrade" }]);
    this.#polling.close(false);
    this.#owner.onUpgraded(this.#probe);
  }

  #fail(description: string): void {
    if (!this.#pending()) return;
    this.stop();
    this.#owner.onUpgradeFailed(description);
  }

  #pending(): boolean {
    return this.state !== "upgraded" && this.state !== "failed";
  }
}
