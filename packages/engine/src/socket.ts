import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { Packet, PacketType } from "engine.io-parser";
import createDebug from "debug";
import { Backpressure, measureBuffered, onCongestion, onSlowConsumer, packetSize, type BackpressureOwner } from "./backpressure";
import { Heartbeat, onPingTimeout, sendPing, type HeartbeatHandler } from "./heartbeat";
import type { PreparedMessage } from "./prepared";
import type { TimerQueue } from "./timer-queue";
import type { ResolvedOptions, TransportName } from "./options";
import {
  NOOP_HANDLER,
  onClose,
  onDrain,
  onPacket,
  onReady,
  type CloseMode,
  type Transport,
  type TransportFailure,
  type TransportHandler,
} from "./transports/transport";
import { onProbed, onUpgradeFailed, onUpgraded, Upgrade, type UpgradeOwner } from "./upgrade";

const debug = createDebug("duplex:engine:socket");

/** One state field for the session's life; it changes only in this file. */
export type ReadyState = "opening" | "open" | "closing" | "closed";

/**
 * Why a session closed: engine.io's reasons, plus "server shutting down", and
 * "slow consumer" for a client that did not read what was sent to it
 * (see `maxBackpressure`).
 */
export type CloseReason = TransportFailure | "ping timeout" | "forced close" | "server shutting down" | "slow consumer";

/** Data an engine session carries: text, or binary in any of Node's shapes. */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView;

/** What `send` takes: data, or a message prepared once for many sessions. */
export type Sendable = SendData | PreparedMessage;

export interface SendOptions {
  /** Whether this message may be compressed (permessage-deflate, HTTP compression). Default true. */
  compress?: boolean;
}

export type SendCallback = () => void;

/** The server that holds a session: the session reads its options and tells it when it closes. */
export interface SessionOwner {
  readonly opts: ResolvedOptions;
  /** The session closed; called before its "close" event, so listeners find it gone from the server. */
  [sessionClosed](session: EngineSocket, reason: CloseReason): void;
  /** The queue its sessions' heartbeats share for deadlines `delay` ms away (pingInterval, pingTimeout). */
  [heartbeatQueue](delay: number): TimerQueue;
}

export interface EngineSocketEvents {
  message: [data: string | Buffer];
  upgrading: [transport: Transport];
  upgrade: [transport: Transport];
  drain: [];
  /** The session became congested (true: see `congested`) or fell back to `maxBackpressure` (false). */
  backpressure: [congested: boolean, bufferedAmount: number];
  heartbeat: [];
  packet: [packet: Packet];
  packetCreate: [packet: Packet];
  close: [reason: CloseReason, description: string | undefined];
}

const NOOP: Packet = { type: "noop" };

// What the engine server calls on a session, kept off its public API.
/** Ends the session now, with reason "server shutting down". */
export const shutdownSession = Symbol("shutdownSession");
/** Sends the open packet and starts the heartbeat. */
export const startSession = Symbol("startSession");
/** Starts probing a transport as the session's next one. */
export const startUpgrade = Symbol("startUpgrade");
// What a session calls on its owner (see SessionOwner).
export const sessionClosed = Symbol("sessionClosed");
export const heartbeatQueue = Symbol("heartbeatQueue");

const NO_UPGRADES: readonly TransportName[] = [];
const TO_WEBSOCKET: readonly TransportName[] = ["websocket"];

/**
 * An Engine.IO session: one `sid` that outlives its transports. It buffers
 * what the application sends, writes it when the transport can take it, runs
 * the heartbeat, and moves from polling to WebSocket through an `Upgrade`.
 *
 * @example
 * engine.on("connection", (socket) => {
 *   socket.on("message", (data) => socket.send(data)); // echo
 *   socket.on("close", (reason) => console.log(socket.id, reason));
 * });
 */
export class EngineSocket
  extends EventEmitter<EngineSocketEvents>
  implements TransportHandler, UpgradeOwner, HeartbeatHandler, BackpressureOwner
{
  /** Engine.IO protocol revision this session speaks. */
  readonly protocol = 4;
  readyState: ReadyState = "opening";
  transport: Transport;
  readonly remoteAddress: string;

  private writeBuffer: Packet[] = [];
  private writeCallbacks: Array<SendCallback | undefined> = [];
  /** Bytes of the packets in `writeBuffer` (see `packetSize`). */
  private queuedBytes = 0;
  /** Made the first time the session holds more than maxBackpressure: until then there is nothing to watch. */
  private backpressure: Backpressure | null = null;
  /** Callbacks of each flush still being written, oldest first. */
  private readonly inflight: Array<Array<SendCallback | undefined> | null> = [];
  private readonly heartbeat: Heartbeat;
  private upgradeAttempt: Upgrade | null = null;
  /** Set when the server ends the session, so the transport's close reports the server's reason. */
  private closeReason: CloseReason | null = null;

  constructor(
    readonly id: string,
    transport: Transport,
    readonly request: IncomingMessage,
    private readonly owner: SessionOwner,
  ) {
    super();
    this.remoteAddress = request.socket.remoteAddress ?? "";
    this.transport = transport;
    // The session is the handler of its transport, heartbeat and backpressure
    // policy: their callbacks are its symbol-keyed methods below.
    transport.handler = this;
    this.heartbeat = new Heartbeat(owner[heartbeatQueue](owner.opts.pingInterval), owner[heartbeatQueue](owner.opts.pingTimeout), this);
  }

  /**
   * Bytes sent to this client and not yet written out: the packets the
   * session still holds plus the transport's own buffer (the WebSocket's
   * socket, or the socket of the poll response being written). Text counts
   * its length (UTF-16 code units).
   *
   * @example
   * if (socket.bufferedAmount > 64 * 1024) skipThisUpdate();
   */
  get bufferedAmount(): number {
    return this.queuedBytes + this.transport.bufferedAmount;
  }

  /**
   * Whether the session is congested: `bufferedAmount` went over
   * `maxBackpressure` and was still over it one event-loop turn later. The
   * server drops volatile packets until it falls back (the "backpressure"
   * event says when).
   */
  get congested(): boolean {
    return this.backpressure?.congested ?? false;
  }

  /** Whether an upgrade is under way. */
  get upgrading(): boolean {
    return this.upgradeAttempt !== null;
  }

  /**
   * Sends a message. `callback` runs once the transport has written it.
   *
   * @example
   * socket.send("hello");
   * socket.send(Buffer.from([1, 2, 3]), { compress: false }, () => console.log("written"));
   */
  send(data: Sendable, options?: SendOptions | SendCallback, callback?: SendCallback): this {
    if (typeof options === "function") {
      callback = options;
      options = undefined;
    }
    // Fast path: nothing to wait for and nothing ahead of it, so the
    // transport writes it now, without a Packet, the buffer or a callback.
    if (callback === undefined && this.canWriteNow() && this.listenerCount("packetCreate") === 0) {
      if (this.transport.writeMessage(data)) return this;
    }
    this.sendPacket("message", data, options, callback);
    return this;
  }

  /** Alias of `send`, as engine.io has it. */
  write(data: Sendable, options?: SendOptions | SendCallback, callback?: SendCallback): this {
    return this.send(data, options, callback);
  }

  /**
   * Closes the session: what is buffered is written first, then polling gets
   * a close packet and a WebSocket is closed. Reason "forced close". With
   * `discard`, buffered packets are dropped and the session ends at once.
   */
  close(discard = false): void {
    if (this.readyState !== "open") return;
    this.readyState = "closing";
    this.closeReason = "forced close";
    if (discard || this.writeBuffer.length === 0) this.transport.close(discard ? "now" : "graceful");
    // else: the drain handler closes the transport once the buffer is written.
  }

  [shutdownSession](): void {
    if (this.readyState === "closed") return;
    this.closeReason = "server shutting down";
    this.readyState = "closing";
    this.transport.close("now");
  }

  [startSession](): void {
    const opts = this.owner.opts;
    const upgrades =
      this.transport.name === "polling" && opts.allowUpgrades && opts.transports.includes("websocket") ? TO_WEBSOCKET : NO_UPGRADES;
    const handshake = JSON.stringify({
      sid: this.id,
      upgrades,
      pingInterval: opts.pingInterval,
      pingTimeout: opts.pingTimeout,
      maxPayload: opts.maxHttpBufferSize,
    });
    this.readyState = "open";
    this.sendPacket("open", handshake);
    this.heartbeat.start();
  }

  [startUpgrade](transport: Transport): void {
    if (this.readyState !== "open" || this.upgradeAttempt !== null) {
      transport.close("now");
      return;
    }
    this.upgradeAttempt = new Upgrade(transport, this, this.owner.opts.upgradeTimeout);
  }

  private sendPacket(type: PacketType, data?: Sendable, options?: SendOptions, callback?: SendCallback): void {
    if (this.readyState === "closing" || this.readyState === "closed") return;
    const packet: Packet = options ? { type, data, options: { compress: options.compress !== false } } : { type, data };
    this.emit("packetCreate", packet);
    if (callback === undefined && this.canWriteNow() && this.transport.write(packet)) return;
    // The write path's one memory bound: every packet the session keeps passes here.
    if (this.backpressure !== null && !this.backpressure.admit()) return;
    this.writeBuffer.push(packet);
    this.writeCallbacks.push(callback);
    this.queuedBytes += packetSize(packet);
    this.flush();
    this.updateBackpressure();
  }

  /** After the buffered amount may have changed; a closed session has nothing left to watch. */
  private updateBackpressure(): void {
    if (this.readyState === "closed") return;
    if (this.backpressure === null) {
      const { maxBackpressure, backpressureTimeout } = this.owner.opts;
      if (this.bufferedAmount <= maxBackpressure) return;
      this.backpressure = new Backpressure(maxBackpressure, backpressureTimeout, this);
    }
    this.backpressure.update();
  }

  /**
   * Whether a packet may skip the buffer: the session is open, nothing is
   * buffered (order), and nobody listens for "drain" (a fast write reports
   * no completion). The transport's `write`/`writeMessage` then decide
   * whether they can take it: a WebSocket takes every packet of a turn
   * straight to its corked socket, even after the first made it not
   * `writable`.
   */
  private canWriteNow(): boolean {
    return this.readyState === "open" && this.writeBuffer.length === 0 && this.listenerCount("drain") === 0;
  }

  private flush(): void {
    if (this.readyState === "closed" || !this.transport.writable || this.writeBuffer.length === 0) return;
    const packets = this.writeBuffer;
    const callbacks = this.writeCallbacks;
    this.writeBuffer = [];
    this.writeCallbacks = [];
    this.queuedBytes = 0;
    this.inflight.push(callbacks.some(Boolean) ? callbacks : null);
    this.transport.send(packets);
  }

  // The handlers below are what the transport, the upgrade, the heartbeat and
  // the backpressure policy report to the session.

  [onReady](): void {
    // Once probed, the client waits for its pending poll to return before it
    // sends `5`: answer at once, with a noop when nothing is buffered.
    if (this.writeBuffer.length === 0 && this.upgradeAttempt?.state === "probed") this.transport.send([NOOP]);
    else this.flush();
    this.updateBackpressure();
  }

  [onDrain](): void {
    const callbacks = this.inflight.shift();
    if (callbacks) for (const cb of callbacks) cb?.();
    this.updateBackpressure();
    this.emit("drain");
    if (this.readyState === "closing" && this.writeBuffer.length === 0 && this.closeReason === "forced close") {
      this.transport.close("graceful");
    }
  }

  [onPacket](packet: Packet): void {
    if (this.readyState !== "open") return;
    this.emit("packet", packet);
    switch (packet.type) {
      case "pong":
        if (this.heartbeat.onPong()) this.emit("heartbeat");
        break;
      case "message":
        // A bare "4" carries the empty message.
        this.emit("message", (packet.data as string | Buffer | undefined) ?? "");
        break;
      case "ping":
        // Engine.IO v4 moved pings to the server; a client ping is a broken peer.
        this.end("transport error", "ping from client (v4 heartbeats go server to client)");
        break;
      case "close":
        this.end("transport close", "client sent a close packet");
        break;
      default:
        // noop, and open/upgrade outside an upgrade: nothing to do.
        break;
    }
  }

  [onProbed](transport: Transport): void {
    this.emit("upgrading", transport);
    if (this.transport.writable) this[onReady]();
  }

  [onUpgraded](transport: Transport): void {
    const previous = this.transport;
    this.upgradeAttempt = null;
    previous.handler = NOOP_HANDLER;
    previous.close("discard");
    this.transport = transport;
    transport.handler = this;
    debug("%s: upgraded %s -> %s", this.id, previous.name, transport.name);
    this.emit("upgrade", transport);
    this.flush();
    if (this.readyState === "closing" && this.writeBuffer.length === 0) transport.close("graceful");
  }

  /** The session's one way to "closed": stops its timers and transport, drops what is buffered, emits "close". */
  private end(reason: CloseReason, description?: string, mode: CloseMode = "now"): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.heartbeat.stop();
    this.backpressure?.stop();
    this.upgradeAttempt?.fail(`session closed: ${reason}`);
    this.upgradeAttempt = null;
    this.transport.handler = NOOP_HANDLER;
    this.transport.close(mode);
    this.writeBuffer = [];
    this.writeCallbacks = [];
    this.queuedBytes = 0;
    this.inflight.length = 0;
    debug("%s: closed (%s%s)", this.id, reason, description ? `: ${description}` : "");
    this.owner[sessionClosed](this, reason);
    this.emit("close", reason, description);
  }

  [onUpgradeFailed](description: string): void {
    debug("%s: upgrade failed: %s", this.id, description);
    this.upgradeAttempt = null;
  }

  [onClose](reason: TransportFailure, description?: string): void {
    this.end(this.closeReason ?? reason, description);
  }

  [measureBuffered](): number {
    return this.bufferedAmount;
  }

  [onCongestion](congested: boolean, bufferedAmount: number): void {
    debug("%s: %s (%d bytes buffered, maxBackpressure %d)", this.id, congested ? "congested" : "drained", bufferedAmount, this.owner.opts.maxBackpressure);
    this.emit("backpressure", congested, bufferedAmount);
  }

  /**
   * The client does not read: what is buffered for it is dropped and its
   * connection cut ("abort": a close frame or packet would wait behind the
   * data it does not read).
   */
  [onSlowConsumer](description: string): void {
    this.end("slow consumer", description, "abort");
  }

  [sendPing](): void {
    this.sendPacket("ping");
  }

  [onPingTimeout](): void {
    this.end("ping timeout", `no pong within ${this.heartbeat.pingTimeout} ms`);
  }
}
