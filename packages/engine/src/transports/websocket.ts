import type { Duplex } from "node:stream";
import { decodePacket, type Packet } from "engine.io-parser";
import { encodePacketSync } from "../codec";
import { PreparedMessage, toBuffer } from "../prepared";
import type { SendData } from "../socket";
import type WebSocket from "ws";
import createDebug from "debug";
import { binaryFrame, binaryHeader, NO_PREFIX, textFrame } from "./frame";
import { NOOP_HANDLER, onClose, onDrain, onPacket, onReady, type CloseMode, type Transport, type TransportHandler } from "./transport";

const debug = createDebug("duplex:engine:websocket");

/** Errors `ws` raises for a peer that broke the WebSocket framing rules (RFC 6455 §5). */
const FRAME_ERRORS = new Set([
  "WS_ERR_INVALID_UTF8",
  "WS_ERR_INVALID_OPCODE",
  "WS_ERR_UNEXPECTED_RSV_1",
  "WS_ERR_UNEXPECTED_RSV_2_3",
  "WS_ERR_EXPECTED_FIN",
  "WS_ERR_EXPECTED_MASK",
  "WS_ERR_UNEXPECTED_MASK",
  "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",
  "WS_ERR_INVALID_CLOSE_CODE",
]);

interface WsError extends Error {
  code?: string;
}

/** `WebSocket.OPEN`. */
const OPEN = 1;
/** "4", the Engine.IO message packet type, as a byte. */
const MESSAGE = 0x34;
/** Binary payloads up to this size are copied behind their header (one `write`); larger ones are corked as two. */
const COPY_LIMIT = 16 * 1024;

/**
 * The transport that owns a `ws` WebSocket or a raw socket. As in `ws`
 * itself, its listeners are defined once, as private static members of the
 * class (so that they may call its private handlers), and find their
 * transport through this symbol: no closure per connection.
 */
const kTransport = Symbol("duplex:websocket-transport");

interface Owned {
  [kTransport]: WebSocketTransport;
}

function owner(emitter: object): WebSocketTransport {
  return (emitter as Owned)[kTransport];
}

/** Transports written to by the fast path during this turn: released (and uncorked) together on the next tick. */
let writtenThisTurn: WebSocketTransport[] = [];

/**
 * WebSocket transport on `ws` (engine.io-protocol v4, "WebSocket"): one
 * Engine.IO packet per frame, text or binary.
 *
 * Writes. `ws` keeps the connection (handshake, receiving, ping/pong, close),
 * but when no extension is negotiated (no permessage-deflate) the transport
 * frames its packets itself and writes each frame as ONE Buffer straight to
 * the raw socket `ws` adopted in `handleUpgrade`. That is safe only because
 * `ws`'s Sender, without an extension, writes every frame synchronously and
 * never queues (ws 8.23 lib/sender.js: the queue is used only while
 * deflating or reading a Blob, which the engine never sends); so direct
 * writes and `ws`'s own (pong, close) reach the socket in call order. Direct
 * writes happen only while `ws.readyState` is OPEN, so nothing follows a
 * close frame. With permessage-deflate, everything goes through `ws.send`.
 *
 * Completion. `send(packets)` (the session's buffered batches, corked into
 * one syscall) reports `onDrain` + `onReady` when the last frame is written,
 * through a write callback. `write(packet)` (the session's fast path)
 * reports no completion: the transport is not `writable` for the rest of the
 * turn (`corkForTurn`), and, if `socket.write` asked the caller to wait,
 * until the socket's "drain"; then it reports `onReady` so the session
 * flushes what it buffered meanwhile.
 *
 * Turns. The first fast write of an event-loop turn corks the socket until
 * the next tick (`corkForTurn`), so every frame the session writes in that
 * turn leaves in one syscall: ten broadcasts in a turn cost each recipient
 * one `writev`, not ten `write`s.
 */
export class WebSocketTransport implements Transport {
  readonly name = "websocket" as const;
  handler: TransportHandler = NOOP_HANDLER;
  /** A `send` batch is being written; its callback has not run yet. */
  private busy = false;
  /** A direct write filled the socket's buffer: wait for its "drain". */
  private blocked = false;
  private closed = false;
  /** Frames may be written to `socket` directly (no extension negotiated). */
  private readonly direct: boolean;
  /** Written to by the fast path in this turn: not `writable`, and the socket corked, until the next tick (see `release`). */
  private corkedForTurn = false;
  /** The write callback of `send` batches, made on first use (idle sessions never need it). */
  private sentCallback: ((err?: Error | null) => void) | null = null;

  private static wsOnMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    owner(this).onMessage(data, isBinary);
  }
  private static wsOnClose(this: WebSocket, code: number, reason: Buffer): void {
    owner(this).onSocketClose(code, reason);
  }
  private static wsOnError(this: WebSocket, err: WsError): void {
    owner(this).onSocketError(err);
  }
  private static socketOnDrain(this: Duplex): void {
    owner(this).onSocketDrain();
  }
  private static releaseWritten(): void {
    const list = writtenThisTurn;
    writtenThisTurn = [];
    for (let i = 0; i < list.length; i++) list[i].release();
  }

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly perMessageDeflate: boolean,
  ) {
    this.direct = ws.extensions === "";
    (ws as unknown as Owned)[kTransport] = this;
    ws.on("message", WebSocketTransport.wsOnMessage);
    ws.on("close", WebSocketTransport.wsOnClose);
    ws.on("error", WebSocketTransport.wsOnError);
    if (this.direct) (socket as unknown as Owned)[kTransport] = this;
  }

  get writable(): boolean {
    return !this.busy && !this.blocked && !this.corkedForTurn && !this.closed;
  }

  /** The socket's write buffer, plus what `ws` holds while deflating (its own `bufferedAmount`). */
  get bufferedAmount(): number {
    return this.closed ? 0 : this.ws.bufferedAmount;
  }

  send(packets: readonly Packet[]): void {
    if (packets.length === 0) return;
    this.busy = true;
    const done = (this.sentCallback ??= (err) => this.onSent(err));
    const last = packets.length - 1;
    const cork = last > 0 && this.canFrame();
    // Several frames of one flush leave in one syscall.
    if (cork) this.socket.cork();
    for (let i = 0; i <= last; i++) this.writePacket(packets[i], i === last ? done : undefined);
    if (cork) this.socket.uncork();
  }

  write(packet: Packet): boolean {
    if (!this.canWriteDirect()) return false;
    this.corkForTurn();
    this.writePacket(packet, undefined);
    return true;
  }

  writeMessage(data: SendData | PreparedMessage): boolean {
    if (!this.canWriteDirect()) return false;
    this.corkForTurn();
    if (data instanceof PreparedMessage) this.writeFrame(data.webSocketFrame(), undefined);
    else if (typeof data === "string") this.writeFrame(textFrame(data, MESSAGE), undefined);
    else this.writeBinary(toBuffer(data), undefined);
    return true;
  }

  /**
   * After a fast write the transport is not `writable` for the rest of the
   * turn, as if a write were in flight (engine.io's semantics, which
   * `volatile` relies on: a volatile packet after it in the same turn is
   * dropped). Other fast writes of the turn still go straight to the socket,
   * which stays corked until the next tick so that they leave together. One
   * `process.nextTick` serves every transport written to in the turn, rather
   * than a write callback each.
   */
  private corkForTurn(): void {
    if (this.corkedForTurn) return;
    this.corkedForTurn = true;
    this.socket.cork();
    if (writtenThisTurn.length === 0) process.nextTick(WebSocketTransport.releaseWritten);
    writtenThisTurn.push(this);
  }

  private release(): void {
    this.corkedForTurn = false;
    // What the session buffered meanwhile is written before the uncork, in the same syscall.
    if (!this.closed && !this.busy && !this.blocked) this.handler[onReady]();
    this.socket.uncork();
  }

  close(mode: CloseMode): void {
    if (this.closed) return;
    if (mode === "abort") {
      // Destroys the socket: its write buffer is released now, not after ws's closing handshake timeout.
      this.ws.terminate();
      this.finish("transport close", "aborted by server: the client does not read");
      return;
    }
    this.ws.close();
    this.finish("transport close", "closed by server");
  }

  /** Whether the fast path may write now: frames allowed, and the socket not asking us to wait. */
  private canWriteDirect(): boolean {
    return !this.blocked && this.canFrame();
  }

  /** Whether frames may be written to the socket directly (see the class comment). */
  private canFrame(): boolean {
    return this.direct && !this.closed && this.ws.readyState === OPEN;
  }

  /** One packet as one frame: written directly when allowed, else through `ws.send`. */
  private writePacket(packet: Packet, done: ((err?: Error | null) => void) | undefined): void {
    const data: unknown = packet.data;
    // A batch is written whole, even when its first frames fill the socket's buffer.
    if (this.canFrame()) {
      if (data instanceof PreparedMessage) this.writeFrame(data.webSocketFrame(), done);
      else if (packet.type === "message" && typeof data === "string") this.writeFrame(textFrame(data, MESSAGE), done);
      else {
        const encoded = encodePacketSync(packet, true);
        if (typeof encoded === "string") this.writeFrame(textFrame(encoded, NO_PREFIX), done);
        else this.writeBinary(toBuffer(encoded), done);
      }
      return;
    }
    const compress = this.perMessageDeflate && packet.options?.compress !== false;
    if (data instanceof PreparedMessage) {
      // The same bytes for every recipient: `ws` frames them without copying.
      this.ws.send(data.webSocketPayload(), { binary: data.binary, compress }, done);
    } else {
      this.ws.send(encodePacketSync(packet, true), { compress }, done);
    }
  }

  private writeBinary(data: Buffer, done: ((err?: Error | null) => void) | undefined): void {
    if (data.length <= COPY_LIMIT) {
      this.writeFrame(binaryFrame(data), done);
      return;
    }
    this.socket.cork();
    this.socket.write(binaryHeader(data.length));
    this.writeFrame(data, done);
    this.socket.uncork();
  }

  private writeFrame(frame: Buffer, done: ((err?: Error | null) => void) | undefined): void {
    if (this.socket.write(frame, done) || this.blocked) return;
    this.blocked = true;
    this.socket.on("drain", WebSocketTransport.socketOnDrain);
  }

  private onSocketDrain(): void {
    this.socket.off("drain", WebSocketTransport.socketOnDrain);
    if (!this.blocked) return;
    this.blocked = false;
    if (!this.closed && !this.busy && !this.corkedForTurn) this.handler[onReady]();
  }

  private onSent(err?: Error | null): void {
    if (this.closed) return;
    if (err) {
      this.finish("transport error", err.message);
      return;
    }
    this.busy = false;
    this.handler[onDrain]();
    if (!this.blocked && !this.corkedForTurn) this.handler[onReady]();
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closed) return;
    // With the default binaryType "nodebuffer", `ws` hands over one Buffer per message.
    const raw = data as Buffer;
    const packet = decodePacket(isBinary ? raw : raw.toString("utf8"), "nodebuffer");
    if (packet.type === "error") {
      this.ws.close(1002, "parse error");
      this.finish("parse error", `malformed packet: ${JSON.stringify(raw.subarray(0, 32).toString("latin1"))}`);
      return;
    }
    this.handler[onPacket](packet);
  }

  private onSocketError(err: WsError): void {
    if (this.closed) return;
    // `ws` has already failed the connection with the right close code (1002, 1007, 1009…).
    const reason = err.code !== undefined && FRAME_ERRORS.has(err.code) ? "parse error" : "transport error";
    this.finish(reason, `${err.code ?? "error"}: ${err.message}`);
  }

  private onSocketClose(code: number, reason: Buffer): void {
    if (this.closed) return;
    this.finish("transport close", `websocket closed with ${code}${reason.length ? ` ${reason.toString()}` : ""}`);
  }

  private finish(reason: "transport close" | "transport error" | "parse error", description: string): void {
    this.closed = true;
    this.ws.off("message", WebSocketTransport.wsOnMessage);
    if (this.blocked) this.socket.off("drain", WebSocketTransport.socketOnDrain);
    debug("closed: %s (%s)", reason, description);
    this.handler[onClose](reason, description);
  }
}
