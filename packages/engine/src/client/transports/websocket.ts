import { decodePacket, encodeFrame, type Packet, type RawData } from "../codec";
import { diagnose } from "../diagnose";
import { DOCS, EngineClientError, failure, show } from "../errors";
import { clock, type WebSocketLike } from "../platform";
import type { Transport, TransportOwner } from "./transport";

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
  #s: TransportOwner;
  #ws: WebSocketLike;
  #closed = false;
  /** Nothing heard yet: a failure now means the WebSocket path does not work (soft). */
  #silent = true;
  /** What the `error` event said, for the close that follows it. */
  #why = "";
  /** The HTTP status of the handshake's answer, when known: 101 once open. */
  #status?: number;
  /** Clears the open or first-frame deadline. */
  #stop: () => void;
  /** Open, or the frames of the last `send` are handed to the socket: writable (again). */
  #drained = (): void => {
    if (!this.#closed) {
      this.writable = true;
      this.#s.onDrain(this);
    }
  };

  constructor(s: TransportOwner) {
    this.#s = s;
    const url = s.url("websocket");
    const where = "WebSocket " + url;
    // Only a WebSocket that opens a session (no sid yet) must start with the open packet.
    let handshake = !s.id;
    const ws = (this.#ws = s.platform.ws(url, s.opts.extraHeaders));
    const timers = s.opts.clock || clock;
    const ms = s.opts.handshakeTimeout ?? 2500;
    let timer: unknown;
    this.#stop = () => timers.clearTimeout(timer);
    /** Fails softly with `err` unless stopped `within` ms (a frame came, or the WebSocket ended). */
    const deadline = (within: number, err: EngineClientError) => {
      this.#stop();
      timer = timers.setTimeout(() => this.#fail(err, true), within);
    };
    deadline(4 * ms, failure("TRANSPORT_ERROR", where, !globalThis.__DUPLEX_TERSE__ ? `not open within ${4 * ms} ms` : "not open"));
    ws.onopen = () => {
      this.#status = 101;
      const detail = !globalThis.__DUPLEX_TERSE__ ? `no frame within ${ms} ms of opening; got nothing${DOCS}` : "no frame";
      deadline(ms, failure(handshake ? "NOT_ENGINE_IO" : "TRANSPORT_ERROR", where, detail, 101, ""));
      // Read now, so a binaryType set right after construction applies.
      ws.binaryType = s.binaryType;
      this.#drained();
    };
    ws.onmessage = ({ data }) => {
      if (this.#closed) return;
      this.#stop();
      this.#silent = false;
      const text = typeof data == "string";
      if (handshake) {
        handshake = false;
        const b = data as { byteLength?: number; size?: number };
        const err = diagnose(101, text ? data : `<binary frame, ${b.byteLength ?? b.size} bytes>`, where);
        if (err) return this.#fail(err);
      }
      const p = text ? decodePacket(data) : { type: "message" as const, data: data as RawData };
      if (p) s.onPacket(p, this);
      else this.#fail(new EngineClientError("PARSER_ERROR", !globalThis.__DUPLEX_TERSE__ && "bad frame " + show(data as string), 101, data as string));
    };
    ws.onerror = (e) => {
      this.#why = e.message || "error";
      // Once open, the status is 101 whatever the close brings.
      this.#status ??= s.platform.handshakeStatus?.(e);
    };
    ws.onclose = ({ code }) => {
      const silent = this.#silent;
      // A clean close of a running session is the server's "transport close", not an error.
      if (!this.#closed) {
        const detail = `${this.#why} close ${code}${!globalThis.__DUPLEX_TERSE__ && silent ? " before any frame" : ""}`;
        this.#fail(silent || this.#why ? failure("TRANSPORT_ERROR", where, detail, this.#status) : undefined, silent);
      }
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

  /** Closes (a no-op on a WebSocket that is closed already) and reports why. */
  #fail(err?: EngineClientError, soft?: boolean): void {
    this.close();
    this.#s.onTransportClose(this, err, soft);
  }
}
