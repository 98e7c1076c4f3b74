import { decodePacket, encodeFrame, type Packet, type RawData } from "../codec";
import { diagnose } from "../diagnose";
import { DOCS, EngineClientError, show } from "../errors";
import { clock, type WebSocketLike } from "../platform";
import type { Transport, TransportContext, TransportHandler } from "./transport";

/**
 * WebSocket transport (engine.io-protocol v4, "WebSocket"): one packet per
 * frame, binary messages as binary frames. The WebSocket class comes from the
 * platform: the global one in browsers, `ws` in Node.
 *
 * A WebSocket that is not open within 4 × handshakeTimeout, or that opened
 * but sent no first frame (the open packet, or `3probe`) within
 * handshakeTimeout, fails softly: a proxy that holds the upgrade, or a plain
 * WebSocket server that waits for the client to speak, must not stall the
 * connection.
 */
export class WebSocketTransport implements Transport {
  readonly name = "websocket";
  writable = false;
  h: TransportHandler;
  #ws: WebSocketLike;
  #closed = false;
  /** Nothing heard yet: a failure now means the WebSocket path does not work (soft). */
  #silent = true;
  #why = "";
  #stop: () => void;
  #drained = (): void => {
    if (!this.#closed) {
      this.writable = true;
      this.h.onDrain();
    }
  };

  constructor(c: TransportContext, h: TransportHandler) {
    this.h = h;
    const url = c.url("websocket");
    // Only a WebSocket that opens a session (no sid yet) must start with the open packet.
    let handshake = !c.id;
    const ws = (this.#ws = c.platform.ws(url, c.opts.extraHeaders));
    const timers = c.opts.clock || clock;
    const ms = c.opts.handshakeTimeout ?? 2500;
    const expire = (err: EngineClientError) => {
      this.close();
      this.h.onTransportClose(err, true);
    };
    let timer: unknown = timers.setTimeout(() => expire(new EngineClientError("TRANSPORT_ERROR", !globalThis.__DUPLEX_TERSE__ ? `WebSocket ${url}: not open within ${4 * ms} ms` : "not open")), 4 * ms);
    this.#stop = () => timers.clearTimeout(timer);
    ws.onopen = () => {
      timers.clearTimeout(timer);
      timer = timers.setTimeout(
        () => expire(new EngineClientError(handshake ? "NOT_ENGINE_IO" : "TRANSPORT_ERROR", !globalThis.__DUPLEX_TERSE__ ? `WebSocket ${url}: no frame within ${ms} ms of opening; got nothing${DOCS}` : "no frame", 101, "")),
        ms,
      );
      // Read now, so a binaryType set right after construction applies.
      ws.binaryType = c.binaryType;
      this.writable = true;
      this.h.onTransportOpen();
    };
    ws.onmessage = ({ data }) => {
      if (this.#closed) return;
      timers.clearTimeout(timer);
      this.#silent = false;
      const text = typeof data == "string";
      if (handshake) {
        handshake = false;
        const b = data as { byteLength?: number; size?: number };
        const err = diagnose(101, text ? data : `<binary frame, ${b.byteLength ?? b.size} bytes>`, "WebSocket " + url);
        if (err) return this.#fail(err);
      }
      const p = text ? decodePacket(data) : { type: "message" as const, data: data as RawData };
      if (p) this.h.onPacket(p);
      else this.#fail(new EngineClientError("PARSER_ERROR", "bad frame " + show(data as string)));
    };
    ws.onerror = (e) => {
      this.#why = e.message || "error";
    };
    ws.onclose = ({ code }) => {
      timers.clearTimeout(timer);
      if (this.#closed) return;
      this.#closed = true;
      this.writable = false;
      const silent = this.#silent;
      // A clean close of a running session is the server's "transport close", not an error.
      this.h.onTransportClose(
        silent || this.#why
          ? new EngineClientError("TRANSPORT_ERROR", `${!globalThis.__DUPLEX_TERSE__ ? `WebSocket ${url}: ` : ""}${this.#why} close ${code}${!globalThis.__DUPLEX_TERSE__ && silent ? " before any frame" : ""}`)
          : undefined,
        silent,
      );
    };
  }

  send(packets: Packet[]): void {
    this.writable = false;
    for (const p of packets) this.#ws.send(encodeFrame(p));
    Promise.resolve().then(this.#drained);
  }

  close(): void {
    this.#stop();
    if (this.#closed) return;
    this.#closed = true;
    this.writable = false;
    this.#ws.close();
  }

  #fail(err: EngineClientError): void {
    this.close();
    this.h.onTransportClose(err);
  }
}
