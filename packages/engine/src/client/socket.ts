import { payloadLength, type Packet, type RawData } from "./codec";
import { pollingWorks, unanswered } from "./diagnose";
import { Emitter } from "./emitter";
import { EngineClientError, failure } from "./errors";
import { diagnoseOnce, transportsToTry, webSocketFailed, webSocketFails, webSocketOpened, webSocketWorked } from "./fallback";
import { holdHandshake, needsCheck, type HandshakeData } from "./handshake";
import { Heartbeat, type HeartbeatHandler } from "./heartbeat";
import type { SocketOptions, TransportName } from "./options";
import { clock, type BinaryType, type Clock, type Platform } from "./platform";
import { PollingTransport } from "./transports/polling";
import type { Transport, TransportContext, TransportHandler } from "./transports/transport";
import { WebSocketTransport } from "./transports/websocket";
import { Upgrade, type UpgradeOwner } from "./upgrade";
import { endpoint, transportUrl } from "./url";
import { FULL_MESSAGES, SIDE_DIAGNOSIS } from "./build";

export type ReadyState = "opening" | "open" | "closing" | "closed";
/** engine.io-client's close reasons. */
export type CloseReason = "transport close" | "transport error" | "ping timeout" | "forced close" | "parser error";

export type { HandshakeData };

export interface SendOptions {
  /** Accepted for engine.io-client compatibility; browsers decide compression themselves. */
  compress?: boolean;
}

export interface SocketEvents {
  handshake: [data: HandshakeData];
  open: [];
  /** A message from the server: a string, or binary as `binaryType` says. */
  message: [data: RawData];
  /** The same as "message" (Socket.IO's Manager listens to "data"). */
  data: [data: RawData];
  packet: [packet: Packet];
  ping: [];
  upgrading: [transport: Transport];
  upgrade: [transport: Transport];
  upgradeError: [err: EngineClientError];
  /** The write buffer is empty. */
  drain: [];
  /** A packet is queued to leave (a message, or the pong of a ping). */
  packetCreate: [packet: Packet];
  /** Queued packets were handed to the transport. */
  flush: [];
  /** A packet arrived from the server: the session is alive. */
  heartbeat: [];
  error: [err: EngineClientError];
  close: [reason: CloseReason, description?: EngineClientError];
}


/** A packet waiting to leave, with the callback to run once it has. */
type Outgoing = Packet & { cb?: () => void };

/**
 * An Engine.IO v4 client session, shaped like engine.io-client 6's `Socket`
 * so that a Socket.IO Manager can sit on it. Construct it through the
 * package entry (`Socket` of `@duplex/engine/client`), which supplies the
 * platform.
 *
 * It is the handler of its current transport, of its upgrade (upgrade.ts),
 * and of its heartbeat (heartbeat.ts). What an endpoint taught about
 * WebSocket is fallback.ts's, the check of an ambiguous open packet
 * handshake.ts's. `readyState` is its one lifecycle field.
 */
export class BaseSocket
  extends Emitter<SocketEvents>
  implements TransportContext, TransportHandler, UpgradeOwner, HeartbeatHandler
{
  /** The session id, once open. */
  id: string | null = null;
  readyState: ReadyState = "opening";
  /** The current transport (`transport.name`: "polling" | "websocket"). */
  declare transport: Transport;
  /** Transports the server offers to upgrade to, that this client may use. */
  upgrades: string[] = [];
  // Set by the constructor: `declare` keeps the compiler from emitting empty field definitions too.
  declare binaryType: BinaryType;
  declare readonly opts: SocketOptions;
  declare readonly platform: Platform;
  /**
   * The session's timers: the `clock` option, or in Node the one
   * `autoUnref` / `useNativeTimers` ask for (the Socket.IO Manager uses them too).
   */
  declare readonly clock: Clock;
  /** The endpoint's http(s) URL, with the query of every request (url.ts). */
  #base: URL;
  /** Origin and path: names the endpoint in what fallback.ts remembers. */
  #endpoint: string;
  /** Transports left to try for the first connection. */
  #transportsLeft: TransportName[];
  /** A WebSocket of this connection failed before the handshake. */
  #webSocketFailed = false;
  /** A polling request of this connection got no answer at all. */
  #pollingFailed = false;
  /** Packets waiting to leave, with their callbacks; the first `#inFlight` were handed to the transport. */
  #writeBuffer: Outgoing[] = [];
  #inFlight = 0;
  /** The server's limit on a polling body, from the open packet; 0 when it gave none. */
  #maxPayload = 0;
  #heartbeat: Heartbeat;
  /** The upgrade under way, if any. */
  #upgrade?: Upgrade;
  /** Packets that arrived while the open packet is checked (handshake.ts). */
  #held?: Packet[];
  #onBeforeUnload?: () => void;

  constructor(uri: string | SocketOptions | undefined, opts: SocketOptions | undefined, platform: Platform) {
    super();
    if (uri && typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    const options: SocketOptions = opts || {};
    this.opts = options;
    this.platform = platform;
    this.binaryType = platform.binaryType;
    this.clock = options.clock || clock;
    this.#heartbeat = new Heartbeat(this.clock, this);
    const base = endpoint(platform.resolve(uri), options);
    this.#base = base;
    this.#endpoint = base.origin + base.pathname;
    this.#transportsLeft = transportsToTry(this.#endpoint, options);
    if (options.closeOnBeforeunload && typeof addEventListener === "function") {
      this.#onBeforeUnload = () => this.transport.close();
      addEventListener("beforeunload", this.#onBeforeUnload);
    }
    this.#nextTransport();
  }

  /** @internal */
  url(name: TransportName): string {
    return transportUrl(this.#base, name, this.id, this.opts);
  }

  /**
   * Sends a message (string or binary); `cb` runs once it has left.
   * @example socket.send("hello"); socket.send(new Uint8Array([1, 2]), () => console.log("sent"));
   */
  send(data: RawData, opts?: SendOptions | (() => void), cb?: () => void): this {
    this.#queue({ type: "message", data, cb: typeof opts === "function" ? opts : cb });
    return this;
  }

  /** Alias of `send`. */
  write(data: RawData, opts?: SendOptions | (() => void), cb?: () => void): this {
    return this.send(data, opts, cb);
  }

  /** Closes the session once the write buffer has left ("forced close"). */
  close(): this {
    const state = this.readyState;
    if (state === "opening" || state === "open") {
      this.readyState = "closing";
      if (state === "open" && this.#writeBuffer.length > 0) this.once("drain", () => this.#end("forced close"));
      else this.#end("forced close");
    }
    return this;
  }

  // TransportHandler: what the current transport reports.

  /** @internal */
  onPacket(packet: Packet): void {
    if (this.readyState === "closed") return;
    if (this.#held) {
      this.#held.push(packet);
      return;
    }
    this.emit("packet", packet);
    // engine.io-client's sign of life: any packet from the server.
    this.emit("heartbeat");
    this.#heartbeat.onPacket();
    const data = packet.data as RawData;
    switch (packet.type) {
      case "open":
        if (!this.id) this.#handshake(JSON.parse(data as string));
        break;
      case "ping":
        this.#queue({ type: "pong" });
        this.emit("ping");
        break;
      case "message":
        this.emit("data", data);
        this.emit("message", data);
        break;
      case "close":
        this.#end("transport close");
        break;
    }
  }

  /** A WebSocket opened; only a session already open can write over it. @internal */
  onReady(): void {
    this.#flush();
  }

  /** @internal */
  onDrain(): void {
    const sent = this.#inFlight;
    for (const packet of this.#writeBuffer.splice(0, sent)) packet.cb?.();
    this.#inFlight = 0;
    // A drain with nothing of ours in flight (the `5` of an upgrade) may still
    // find packets that waited for the transport: send them now. The upgrade's
    // drain counts as one, as in engine.io-client.
    if (this.#writeBuffer.length > 0) this.#flush();
    else if (sent > 0 || this.id) this.emit("drain");
  }

  /** @internal */
  onClose(error?: EngineClientError, soft?: boolean): void {
    if (this.readyState === "closed") return;
    if (this.id || this.#held) {
      if (error) this.#fail(error);
      else this.#end("transport close");
    } else this.#failedBeforeOpen(error, soft);
  }

  // UpgradeOwner: what the upgrade reports.

  /** @internal */
  onProbed(transport: Transport): void {
    this.emit("upgrading", transport);
  }

  /** @internal */
  onUpgraded(transport: Transport): void {
    this.#upgrade = undefined;
    transport.handler = this;
    this.transport = transport;
    webSocketWorked(this.#endpoint);
    this.emit("upgrade", transport);
    this.#flush();
  }

  /** Polling goes on; the endpoint is remembered as one where WebSocket fails (fallback.ts). @internal */
  onUpgradeFailed(description: string): void {
    this.#upgrade = undefined;
    webSocketFailed(this.#endpoint);
    this.emit("upgradeError", failure("TRANSPORT_ERROR", "upgrade probe failed", description));
    (this.transport as PollingTransport).resume();
    this.#flush();
  }

  // HeartbeatHandler.

  /** @internal */
  onTimeout(): void {
    this.#end("ping timeout", new EngineClientError("PING_TIMEOUT", FULL_MESSAGES && "server silent for pingInterval + pingTimeout"));
  }

  /**
   * The transport closed before the open packet. When nothing was heard from
   * the endpoint (`soft`), the next transport is tried; when none is left,
   * the error says what the endpoint is, as far as the client can tell.
   */
  #failedBeforeOpen(error: EngineClientError | undefined, soft?: boolean): void {
    const webSocket = soft && this.transport.name === "websocket";
    if (webSocket) this.#webSocketFailed = true;
    else if (soft) this.#pollingFailed = true;
    if (soft && this.#transportsLeft.length > 0) {
      this.#nextTransport();
      return;
    }
    const cause = error || new EngineClientError("TRANSPORT_ERROR", FULL_MESSAGES && "closed before the handshake");
    if (!soft) {
      this.#fail(cause);
      return;
    }
    // A WebSocket was the last hope: ask over HTTP what the endpoint is. Not
    // where a WebSocket opened before (one that fails now met a server that
    // is down or restarting, not a proxy), nor when polling went unanswered
    // in this very attempt.
    if (webSocket && !this.#pollingFailed && !webSocketOpened(this.#endpoint)) {
      // Without the side request (the production bundles, build.ts),
      // nothing tells a proxy from a server that is down: the WebSocket's
      // own error is all there is to report.
      if (!SIDE_DIAGNOSIS) {
        this.#fail(cause);
        return;
      }
      diagnoseOnce(this.#endpoint, this.url("polling"), this.opts.extraHeaders).then((diagnosis) => {
        if (this.readyState !== "opening") return;
        if (diagnosis === null) this.#fail(pollingWorks(cause));
        else this.#fail(diagnosis || unanswered(cause));
      });
      return;
    }
    this.#fail(unanswered(cause));
  }

  #nextTransport(): void {
    const name = this.#transportsLeft.shift();
    this.transport = name === "websocket" ? new WebSocketTransport(this, this) : new PollingTransport(this, this);
  }

  #handshake(data: HandshakeData): void {
    // Builds without the side request (build.ts) take the open packet as it comes.
    if (!SIDE_DIAGNOSIS || !needsCheck(this.transport.name, data)) {
      this.#open(data);
      return;
    }
    const diagnosis = diagnoseOnce(this.#endpoint, this.url("polling"), this.opts.extraHeaders);
    this.#held = holdHandshake(diagnosis, (refusal, held) => {
      this.#held = undefined;
      if (this.readyState !== "opening") return;
      if (refusal) {
        this.#fail(refusal);
        return;
      }
      this.#open(data);
      for (const packet of held) this.onPacket(packet);
    });
  }

  #open(data: HandshakeData): void {
    const options = this.opts;
    const transport = this.transport;
    const endpoint = this.#endpoint;
    this.id = data.sid;
    this.#maxPayload = data.maxPayload || 0;
    if (transport.name === "websocket") webSocketWorked(endpoint);
    else if (this.#webSocketFailed) webSocketFailed(endpoint);
    this.upgrades = (data.upgrades || []).filter(
      (name) => name === "websocket" && (options.transports || [name]).includes(name) && !webSocketFails(endpoint),
    );
    this.emit("handshake", data);
    this.readyState = "open";
    this.emit("open");
    // The silence is counted from the open packet (onPacket noted its time), as the server's pings are.
    this.#heartbeat.start(data.pingInterval, data.pingTimeout);
    this.#flush();
    if (this.readyState === "open" && transport.name === "polling" && options.upgrade !== false && this.upgrades.length > 0) {
      this.#upgrade = new Upgrade(this, transport as PollingTransport, this);
    }
  }

  #queue(packet: Outgoing): void {
    if (this.readyState === "closing" || this.readyState === "closed") return;
    this.emit("packetCreate", packet);
    this.#writeBuffer.push(packet);
    this.#flush();
  }

  #flush(): void {
    const transport = this.transport;
    const buffer = this.#writeBuffer;
    if (!this.id || !transport.writable || this.#inFlight > 0 || buffer.length === 0) return;
    let count = buffer.length;
    // Engine.IO v4 "maxPayload": split a polling body the server would refuse.
    if (transport.name === "polling" && this.#maxPayload > 0) {
      for (let i = 0, size = 0; i < count; i++) {
        size += payloadLength(buffer[i].data);
        if (i > 0 && size > this.#maxPayload) count = i;
      }
    }
    this.#inFlight = count;
    // Transports read type and data only.
    transport.send(buffer.slice(0, count));
    this.emit("flush");
  }

  #fail(error: EngineClientError): void {
    this.emit("error", error);
    this.#end(error.code === "PARSER_ERROR" ? "parser error" : "transport error", error);
  }

  #end(reason: CloseReason, error?: EngineClientError): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.#heartbeat.stop();
    this.#upgrade?.stop();
    this.#upgrade = undefined;
    this.transport.close();
    if (this.#onBeforeUnload) removeEventListener("beforeunload", this.#onBeforeUnload);
    this.id = null;
    this.#writeBuffer = [];
    this.#inFlight = 0;
    this.emit("close", reason, error);
  }
}
