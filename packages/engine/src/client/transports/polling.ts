import { decodePayload, encodePayload, type Packet } from "../codec";
import { diagnose } from "../diagnose";
import { EngineClientError, failure, show } from "../errors";
import type { Transport, TransportContext, TransportHandler } from "./transport";
import { FULL_MESSAGES } from "../build";

/**
 * HTTP long-polling over fetch (engine.io-protocol v4, "HTTP long-polling"):
 * one GET in flight to receive, one POST at a time to send a batch. fetch
 * exists in browsers and in Node 20 (undici, which keeps connections alive).
 */
export class PollingTransport implements Transport {
  readonly name = "polling";
  declare handler: TransportHandler;
  #context: TransportContext;
  /** A GET is in flight. */
  #polling = false;
  /** A POST is in flight. */
  #posting = false;
  #closed = false;
  /** Set while pausing or paused for an upgrade; called once both requests are back. */
  #pausing?: () => void;
  /** Aborts every request of this transport. */
  #abort = new AbortController();

  constructor(context: TransportContext, handler: TransportHandler) {
    this.#context = context;
    this.handler = handler;
    this.#poll();
  }

  get writable(): boolean {
    return !this.#posting && !this.#pausing && !this.#closed;
  }

  send(packets: Packet[]): void {
    this.#posting = true;
    encodePayload(packets, this.#context.platform.b64).then(async (body) => {
      if ((await this.#request(body)) !== undefined) {
        this.#posting = false;
        this.handler.onDrain();
        this.#pauseIfIdle();
      }
    });
  }

  /** Engine.IO v4 "Upgrade": stop polling once the pending GET and POST are back, then call `done`. */
  pause(done: () => void): void {
    this.#pausing = done;
    this.#pauseIfIdle();
  }

  /** The upgrade failed: go on polling. */
  resume(): void {
    this.#pausing = undefined;
    if (!this.#polling && !this.#closed) this.#poll();
  }

  /** `bye` (default): tell the server with a close packet; false after an upgrade, when polling is only dropped. */
  close(bye = true): void {
    if (this.#closed) return;
    this.#closed = true;
    // keepalive: the request may outlive a page that is unloading. The pending
    // GET is aborted once the close packet is in: aborted first, the server
    // sees a dropped poll ("transport error") and answers the POST with 400,
    // which behind nginx happens every time.
    if (bye && this.#context.id) this.#request("1", true).finally(() => this.#abort.abort());
    else this.#abort.abort();
  }

  /** Pausing, with no request in flight: paused. */
  #pauseIfIdle(): void {
    const done = this.#pausing;
    if (done && !this.#polling && !this.#posting) {
      this.#pausing = () => {};
      done();
    }
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    const body = await this.#request();
    this.#polling = false;
    if (body === undefined) return;
    const context = this.#context;
    const packets = decodePayload(body, (base64) => context.platform.unb64(base64, context.binaryType));
    if (!packets) {
      this.#fail(new EngineClientError("PARSER_ERROR", FULL_MESSAGES && "bad payload " + show(body), 200, body));
      return;
    }
    for (const packet of packets) {
      if (this.#closed) return;
      if (packet.type === "close") {
        this.#closed = true;
        this.handler.onClose();
        return;
      }
      this.handler.onPacket(packet);
    }
    if (this.#closed) return;
    if (this.#pausing) this.#pauseIfIdle();
    else this.#poll();
  }

  /**
   * One request: the body on 200, undefined (reported, unless the transport
   * is closed) otherwise. The handshake's answer is diagnosed.
   */
  async #request(body?: string, keepalive?: boolean): Promise<string | undefined> {
    const context = this.#context;
    const opts = context.opts;
    const url = context.url("polling");
    const method = body === undefined ? "GET" : "POST";
    const what = method + " " + url;
    let status: number;
    let text: string;
    try {
      const response = await (context.platform.fetch || fetch)(url, {
        method,
        // A string body goes as text/plain;charset=UTF-8, which is
        // CORS-safelisted: no preflight unless extraHeaders ask for one.
        body,
        headers: opts.extraHeaders,
        credentials: opts.withCredentials ? "include" : "same-origin",
        keepalive,
        // The close POST has it too: the abort that follows it comes once it is answered.
        signal: this.#abort.signal,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      // No answer at all: another transport may do better (soft) if the session is not open yet.
      if (!this.#closed) this.#fail(failure("TRANSPORT_ERROR", what, String(error)), !context.id);
      return;
    }
    if (this.#closed) return;
    // The first answer of an endpoint is checked for what it is (diagnose.ts); later ones for their status.
    let error: EngineClientError | undefined;
    if (!context.id) error = diagnose(status, text, what);
    else if (status !== 200) error = failure("TRANSPORT_ERROR", what, `HTTP ${status} ${show(text)}`, status, text);
    if (!error) return text;
    this.#fail(error);
  }

  #fail(error: EngineClientError, soft?: boolean): void {
    this.#closed = true;
    this.#abort.abort();
    this.handler.onClose(error, soft);
  }
}
