import { decodePacket, encodeFrame, type Packet, type RawData } from "../codec";
import { diagnose } from "../diagnose";
import { DOCS, EngineClientError, failure, show } from "../errors";
import type { WebSocketLike } from "../platform";
import type { Transport, TransportContext, TransportHandler } from "./transport";
import { FULL_MESSAGES } from "../build";

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
  declare handler: TransportHandler;
  #socket: WebSocketLike;
  #closed = false;
  /** Nothing heard yet: a failure now means the WebSocket path does not work (soft). */
  #silent = true;
  /** What the `error` event said, for the close that follows it. */
  #errorMessage = "";
  /** The HTTP status of the handshake's answer, when known: 101 once open. */
  #status?: number;
  /** Clears the open or first-frame deadline. */
  #stopDeadline: () => void;
  /** The frames of the last `send` are handed to the socket: writable again. */
  #drained = (): void => {
    if (this.#closed) return;
    this.writable = true;
    this.handler.onDrain();
  };

  constructor(context: TransportContext, handler: TransportHandler) {
    this.handler = handler;
    const url = context.url("websocket");
    const where = "WebSocket " + url;
    // Only a WebSocket that opens a session (no sid yet) must start with the open packet.
    let expectOpenPacket = !context.id;
    const socket = context.platform.ws(url, context.opts.extraHeaders);
    this.#socket = socket;
    const timers = context.clock;
    const handshakeTimeout = context.opts.handshakeTimeout ?? 2500;
    let timer: unknown;
    this.#stopDeadline = () => timers.clearTimeout(timer);
    /** Fails softly with `error` unless stopped within `ms` (a frame came, or the WebSocket ended). */
    const deadline = (ms: number, error: EngineClientError) => {
      this.#stopDeadline();
      timer = timers.setTimeout(() => this.#fail(error, true), ms);
    };
    const openTimeout = 4 * handshakeTimeout;
    deadline(openTimeout, failure("TRANSPORT_ERROR", where, FULL_MESSAGES ? `not open within ${openTimeout} ms` : "not open"));
    socket.onopen = () => {
      this.#status = 101;
      const detail = FULL_MESSAGES ? `no frame within ${handshakeTimeout} ms of opening; got nothing${DOCS}` : "no frame";
      deadline(handshakeTimeout, failure(expectOpenPacket ? "NOT_ENGINE_IO" : "TRANSPORT_ERROR", where, detail, 101, ""));
      // Read now, so a binaryType set right after construction applies.
      socket.binaryType = context.binaryType;
      if (this.#closed) return;
      this.writable = true;
      this.handler.onReady();
    };
    socket.onmessage = ({ data }) => {
      if (this.#closed) return;
      this.#stopDeadline();
      this.#silent = false;
      const isText = typeof data === "string";
      if (expectOpenPacket) {
        expectOpenPacket = false;
        const binary = data as { byteLength?: number; size?: number };
        const error = diagnose(101, isText ? data : `<binary frame, ${binary.byteLength ?? binary.size} bytes>`, where);
        if (error) return this.#fail(error);
      }
      const packet = isText ? decodePacket(data) : { type: "message" as const, data: data as RawData };
      if (packet) this.handler.onPacket(packet);
      else this.#fail(new EngineClientError("PARSER_ERROR", FULL_MESSAGES && "bad frame " + show(data as string), 101, data as string));
    };
    socket.onerror = (event) => {
      this.#errorMessage = event.message || "error";
      // Once open, the status is 101 whatever the close brings.
      this.#status ??= context.platform.handshakeStatus?.(event);
    };
    socket.onclose = ({ code }) => {
      if (this.#closed) return;
      const silent = this.#silent;
      const detail = `${this.#errorMessage} close ${code}${FULL_MESSAGES && silent ? " before any frame" : ""}`;
      // A clean close of a running session is the server's "transport close", not an error.
      const error = silent || this.#errorMessage ? failure("TRANSPORT_ERROR", where, detail, this.#status) : undefined;
      this.#fail(error, silent);
    };
  }

  send(packets: Packet[]): void {
    this.writable = false;
    for (const packet of packets) this.#socket.send(encodeFrame(packet));
    Promise.resolve().then(this.#drained);
  }

  close(): void {
    this.#stopDeadline();
    if (this.#closed) return;
    this.#closed = true;
    this.writable = false;
    this.#socket.close();
  }

  /** Closes (a no-op on a WebSocket that is closed already) and reports why. */
  #fail(error?: EngineClientError, soft?: boolean): void {
    this.close();
    this.handler.onClose(error, soft);
  }
}
