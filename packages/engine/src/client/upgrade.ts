import type { Packet } from "./codec";
import { EngineClientError } from "./errors";
import type { Transport, TransportHandler } from "./transports/transport";

/**
 * The client's half of the upgrade (engine.io-protocol v4, "Upgrade"):
 *
 *   probing ──3probe──▶ pausing ──polling paused──▶ upgraded (sent 5)
 *      │                   │
 *      └── error, close, another packet, no 3probe in time ──▶ failed
 *
 * (The time limits are the WebSocket transport's: see transports/websocket.ts.)
 *
 * While probing, the session goes on over polling. Once the probe is
 * answered, polling pauses: its pending GET comes back (the server answers it
 * at once, with a noop or what it had buffered) and its pending POST ends, so
 * every packet either went over polling or waits in the socket's buffer; then
 * `5` goes over the WebSocket, which becomes the transport, and the buffer
 * flushes over it. Nothing is lost, duplicated or reordered.
 */
export type UpgradeState = "probing" | "pausing" | "upgraded" | "failed";

export interface UpgradeOwner {
  /** `3probe` arrived: emit "upgrading" and pause polling, calling `paused` once it is. */
  onProbed(t: Transport, paused: () => void): void;
  /** `5` went out: make `t` the transport. */
  onUpgraded(t: Transport): void;
  /** The attempt ended without a switch; polling goes on. */
  onUpgradeFailed(err: EngineClientError): void;
}

export class Upgrade implements TransportHandler {
  state: UpgradeState = "probing";
  #owner: UpgradeOwner;
  #t: Transport;

  constructor(owner: UpgradeOwner, t: Transport) {
    this.#owner = owner;
    this.#t = t;
    t.h = this;
  }

  onTransportOpen(): void {
    this.#t.send([{ type: "ping", data: "probe" }]);
  }

  onPacket(p: Packet): void {
    const t = this.#t;
    if (this.state == "probing" && p.type == "pong" && p.data == "probe") {
      this.state = "pausing";
      this.#owner.onProbed(t, () => {
        if (this.state != "pausing") return;
        this.state = "upgraded";
        t.send([{ type: "upgrade" }]);
        this.#owner.onUpgraded(t);
      });
    } else this.fail(`${p.type} packet while ${this.state}`);
  }

  onDrain(): void {}

  onTransportClose(err?: EngineClientError): void {
    this.fail(err ? err.message : "closed");
  }

  /** Ends the attempt; `why` is told to the owner, none (the session closed) to nobody. */
  fail(why?: string): void {
    if (this.state != "probing" && this.state != "pausing") return;
    this.state = "failed";
    this.#t.close();
    if (why) this.#owner.onUpgradeFailed(new EngineClientError("TRANSPORT_ERROR", "upgrade probe failed: " + why));
  }
}
