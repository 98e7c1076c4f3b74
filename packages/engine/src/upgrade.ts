import type { Packet } from "engine.io-parser";
import createDebug from "debug";
import { onClose, onDrain, onPacket, onReady, type Transport, type TransportFailure, type TransportHandler } from "./transports/transport";

const debug = createDebug("duplex:engine:upgrade");

/**
 * The upgrade from polling to WebSocket (engine.io-protocol v4, "Upgrade"):
 *
 *   probing ──2probe──▶ probed ──5──▶ upgraded
 *      │                  │
 *      └──── anything else, close, error or upgradeTimeout ──▶ failed
 *
 * While probing, the session goes on over polling. Once probed, the client
 * pauses polling; the session releases the pending GET with a noop so the
 * client can send `5` over the WebSocket. Packets written meanwhile wait in
 * the session's buffer and go out over the WebSocket after the switch.
 */
export type UpgradeState = "probing" | "probed" | "upgraded" | "failed";

// Symbol keys: the session implements these itself, off its public API.
export const onProbed = Symbol("onProbed");
export const onUpgraded = Symbol("onUpgraded");
export const onUpgradeFailed = Symbol("onUpgradeFailed");

/** What the upgrade tells its session. */
export interface UpgradeOwner {
  /** `3probe` went out: release the pending poll, emit "upgrading". */
  [onProbed](transport: Transport): void;
  /** `5` arrived: make `transport` current. */
  [onUpgraded](transport: Transport): void;
  /** The attempt ended without a switch; the session stays on its transport. */
  [onUpgradeFailed](description: string): void;
}

const PROBE_ANSWER: Packet = { type: "pong", data: "probe" };

export class Upgrade implements TransportHandler {
  private stateValue: UpgradeState = "probing";
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly transport: Transport,
    private readonly owner: UpgradeOwner,
    timeout: number,
  ) {
    transport.handler = this;
    this.timer = setTimeout(() => this.fail(`no upgrade within upgradeTimeout (${timeout} ms)`), timeout);
  }

  get state(): UpgradeState {
    return this.stateValue;
  }

  /** Whether the attempt is still under way. */
  get pending(): boolean {
    return this.stateValue === "probing" || this.stateValue === "probed";
  }

  [onPacket](packet: Packet): void {
    if (this.stateValue === "probing" && packet.type === "ping" && packet.data === "probe") {
      this.transport.send([PROBE_ANSWER]);
      this.stateValue = "probed";
      debug("probe answered");
      this.owner[onProbed](this.transport);
    } else if (this.stateValue === "probed" && packet.type === "upgrade") {
      clearTimeout(this.timer);
      this.stateValue = "upgraded";
      debug("upgraded");
      this.owner[onUpgraded](this.transport);
    } else {
      this.fail(`unexpected ${packet.type} packet while ${this.stateValue}`);
    }
  }

  [onReady](): void {}
  [onDrain](): void {}

  [onClose](reason: TransportFailure, description?: string): void {
    if (!this.pending) return;
    this.end(`${reason} during upgrade${description ? `: ${description}` : ""}`);
  }

  /** Stops the attempt and closes the probing transport (the session closed, or the server). */
  fail(description: string): void {
    if (!this.pending) return;
    this.end(description);
    this.transport.close("now");
  }

  private end(description: string): void {
    this.stateValue = "failed";
    clearTimeout(this.timer);
    debug("upgrade failed: %s", description);
    this.owner[onUpgradeFailed](description);
  }
}
