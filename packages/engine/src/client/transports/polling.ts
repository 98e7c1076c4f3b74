import { decodePayload, encodePayload, type Packet } from "../codec";
import { diagnose } from "../diagnose";
import { EngineClientError, failure, show } from "../errors";
import type { Transport, TransportOwner } from "./transport";

/**
 * HTTP long-polling over fetch (engine.io-protocol v4, "HTTP long-polling"):
 * one GET in flight to receive, one POST at a time to send a batch. fetch
 * exists in browsers and in Node 20 (undici, which keeps connections alive).
 */
export class PollingTransport implements Transport {
  readonly name = "polling";
  #s: TransportOwner;
  #polling = false;
  #posting = false;
  #closed = false;
  /** Set while pausing or paused for an upgrade; called once both requests are back. */
  #pausing?: () => void;
  #ac = new AbortController();

  constructor(s: TransportOwner) {
    this.#s = s;
    this.#poll();
  }

  get writable(): boolean {
    return !this.#posting && !this.#pausing && !this.#closed;
  }

  send(packets: Packet[]): void {
    this.#posting = true;
    encodePayload(packets, this.#s.platform.b64).then(async (body) => {
      if ((await this.#req(body)) != null) {
        this.#posting = false;
        this.#s.onDrain(this);
        this.#check();
      }
    });
  }

  /** Engine.IO v4 "Upgrade": stop polling once the pending GET and POST are back, then call `done`. */
  pause(done: () => void): void {
    this.#pausing = done;
    this.#check();
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
    if (bye && this.#s.id) this.#req("1", true).finally(() => this.#ac.abort());
    else this.#ac.abort();
  }

  #check(): void {
    const done = this.#pausing;
    if (done && !this.#polling && !this.#posting) {
      this.#pausing = () => {};
      done();
    }
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    const body = await this.#req();
    this.#polling = false;
    if (body == null) return;
    const s = this.#s;
    const packets = decodePayload(body, (b64) => s.platform.unb64(b64, s.binaryType));
    if (!packets) return this.#fail(new EngineClientError("PARSER_ERROR", !globalThis.__DUPLEX_TERSE__ && "bad payload " + show(body), 200, body));
    for (const p of packets) {
      if (this.#closed) return;
      if (p.type == "close") {
        this.#closed = true;
        return s.onTransportClose(this);
      }
      s.onPacket(p, this);
    }
    if (this.#closed) return;
    if (this.#pausing) this.#check();
    else this.#poll();
  }

  /**
   * One request: the body on 200, undefined (reported, unless the transport
   * is closed) otherwise. The handshake's answer is diagnosed.
   */
  async #req(body?: string, keepalive?: boolean): Promise<string | undefined> {
    const s = this.#s;
    const o = s.opts;
    const url = s.url("polling");
    const method = body == null ? "GET" : "POST";
    const what = method + " " + url;
    let status: number, text: string;
    try {
      const r = await (s.platform.fetch || fetch)(url, {
        method,
        // A string body goes as text/plain;charset=UTF-8, which is
        // CORS-safelisted: no preflight unless extraHeaders ask for one.
        body,
        headers: o.extraHeaders,
        credentials: o.withCredentials ? "include" : "same-origin",
        keepalive,
        // The close POST has it too: the abort that follows it comes once it is answered.
        signal: this.#ac.signal,
      });
      status = r.status;
      text = await r.text();
    } catch (e) {
      // No answer at all: another transport may do better (soft) if the session is not open yet.
      if (!this.#closed) this.#fail(failure("TRANSPORT_ERROR", what, String(e)), !s.id);
      return;
    }
    if (this.#closed) return;
    const err = s.id
      ? status != 200 && failure("TRANSPORT_ERROR", what, `HTTP ${status} ${show(text)}`, status, text)
      : diagnose(status, text, what);
    if (!err) return text;
    this.#fail(err);
  }

  #fail(err: EngineClientError, soft?: boolean): void {
    this.#closed = true;
    this.#ac.abort();
    this.#s.onTransportClose(this, err, soft);
  }
}
