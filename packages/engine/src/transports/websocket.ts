import { decodePacket, type Packet } from "engine.io-parser";
import { encodePacketSync } from "../codec";
import { PreparedMessage } from "../prepared";
import type WebSocket from "ws";
import createDebug from "debug";
import { NOOP_HANDLER, type CloseMode, type Transport, type TransportHandler } from "./transport";

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

/**
 * WebSocket transport on `ws` (engine.io-protocol v4, "WebSocket"): one
 * Engine.IO packet per frame, text or binary. `ws`'s listeners are bound once
 * per connection, never per packet.
 */
export class WebSocketTransport implements Transport {
  readonly name = "websocket" as const;
  handler: TransportHandler = NOOP_HANDLER;
  private busy = false;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly perMessageDeflate: boolean,
  ) {
    this.onMessage = this.onMessage.bind(this);
    this.onSocketClose = this.onSocketClose.bind(this);
    this.onSocketError = this.onSocketError.bind(this);
    this.onSent = this.onSent.bind(this);
    ws.on("message", this.onMessage);
    ws.on("close", this.onSocketClose);
    ws.on("error", this.onSocketError);
  }

  get writable(): boolean {
    return !this.busy && !this.closed;
  }

  send(packets: readonly Packet[]): void {
    if (packets.length === 0) return;
    this.busy = true;
    const last = packets.length - 1;
    for (let i = 0; i <= last; i++) {
      const packet = packets[i];
      const compress = this.perMessageDeflate && packet.options?.compress !== false;
      const done = i === last ? this.onSent : undefined;
      const data: unknown = packet.data;
      if (data instanceof PreparedMessage) {
        // The same bytes for every recipient: `ws` frames them without copying.
        this.ws.send(data.webSocketPayload(), { binary: data.binary, compress }, done);
      } else {
        this.ws.send(encodePacketSync(packet, true), { compress }, done);
      }
    }
  }

  close(_mode: CloseMode): void {
    if (this.closed) return;
    this.ws.close();
    this.finish("transport close", "closed by server");
  }

  private onSent(err?: Error): void {
    if (this.closed) return;
    if (err) {
      this.finish("transport error", err.message);
      return;
    }
    this.busy = false;
    this.handler.onDrain();
    this.handler.onReady();
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
    this.handler.onPacket(packet);
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
    this.ws.off("message", this.onMessage);
    debug("closed: %s (%s)", reason, description);
    this.handler.onClose(reason, description);
  }
}
