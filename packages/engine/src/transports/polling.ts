import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { deflate, gzip } from "node:zlib";
import { decodePayload, encodePayload, type Packet } from "engine.io-parser";
import createDebug from "debug";
import { abortRequest, EngineErrorCode } from "../errors";
import { PreparedMessage } from "../prepared";
import type { ResolvedOptions } from "../options";
import { NOOP_HANDLER, onClose, onDrain, onPacket, onReady, type CloseMode, type Transport, type TransportFailure, type TransportHandler } from "./transport";

const debug = createDebug("duplex:engine:polling");

/** Adds the server's headers (CORS, cookie, "headers" hooks) to a response's own. */
export type ResponseHeaders = (
  req: IncomingMessage,
  headers: Record<string, string | string[]>,
) => Record<string, string | string[]>;

const CLOSE_PACKET: Packet = { type: "close" };
const NOOP_PACKET: Packet = { type: "noop" };

/**
 * After a 413, the rest of the oversized body is read and dropped, up to
 * these bounds: a client that is still sending then reads the answer, where
 * closing the connection under it makes the kernel reset it and the client
 * sees ECONNRESET instead. Past them the connection is cut.
 */
const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024;
const DISCARD_LIMIT_MS = 5000;

/** Internet Explorer (";MSIE" up to 10, "Trident/" in 11), whose XSS filter engine.io turns off. */
function isInternetExplorer(req: IncomingMessage): boolean {
  const userAgent = req.headers["user-agent"];
  return userAgent !== undefined && (userAgent.includes(";MSIE") || userAgent.includes("Trident/"));
}

/** Polling payloads are built per response: a prepared message gives its original data. */
function unprepare(packet: Packet): Packet {
  const data: unknown = packet.data;
  return data instanceof PreparedMessage ? { type: packet.type, data: data.data } : packet;
}

interface Poll {
  req: IncomingMessage;
  res: ServerResponse;
}

/**
 * HTTP long-polling (engine.io-protocol v4, "HTTP long-polling"): a GET waits
 * until there is something to send and takes every pending packet in one
 * payload; a POST carries the client's packets. One GET and one POST at most in
 * flight per session.
 */
export class PollingTransport implements Transport {
  readonly name = "polling" as const;
  handler: TransportHandler = NOOP_HANDLER;
  private poll: Poll | null = null;
  private postInFlight: IncomingMessage | null = null;
  private state: "open" | "closing" | "closed" = "open";
  private closeTimer: NodeJS.Timeout | null = null;
  /**
   * The connection that carried the latest poll response: the bytes it has
   * not yet handed to the network are the transport's `bufferedAmount`.
   */
  private lastResponseSocket: Socket | null = null;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly responseHeaders: ResponseHeaders,
  ) {}

  get writable(): boolean {
    return this.poll !== null && this.state === "open";
  }

  get bufferedAmount(): number {
    const socket = this.lastResponseSocket;
    return socket === null || socket.destroyed ? 0 : socket.writableLength;
  }

  /** Takes a GET (a poll) or a POST (client packets) for this session. */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.state === "closed") {
      abortRequest(res, EngineErrorCode.UNKNOWN_SID);
    } else if (req.method === "GET") {
      this.onPoll(req, res);
    } else if (req.method === "POST") {
      this.onPost(req, res);
    } else {
      abortRequest(res, EngineErrorCode.BAD_REQUEST, this.responseHeaders(req, {}));
    }
  }

  /** A poll answers with a payload of everything buffered: no fast path. */
  write(_packet: Packet): boolean {
    return false;
  }

  writeMessage(_data: unknown): boolean {
    return false;
  }

  send(packets: readonly Packet[]): void {
    const poll = this.poll;
    if (poll === null) throw new Error("PollingTransport.send called without a pending poll");
    this.poll = null;
    if (this.state === "closing") {
      this.respond(poll, [...packets, CLOSE_PACKET], false);
      this.finish("transport close", "close packet delivered");
      return;
    }
    // "drain" (and with it the send callbacks) once the response is out, compressed or not.
    this.respond(poll, packets, true);
  }

  close(mode: CloseMode): void {
    if (this.state === "closed") return;
    if (mode === "abort") {
      // A response the client is not reading holds the connection's buffer: cut it.
      if (this.bufferedAmount > 0) this.lastResponseSocket?.destroy();
      this.finish("transport close", "aborted by server: the client does not read");
    } else if (mode === "discard") {
      if (this.poll) this.respondAndClear([NOOP_PACKET]);
      this.finish("transport close", "discarded after upgrade");
    } else if (this.poll || mode === "now") {
      this.finish("transport close", "closed by server");
    } else if (this.state === "open") {
      // Engine.IO v4: the client learns of the close from a close packet, which
      // only a poll can carry; wait for the next one, but not forever.
      this.state = "closing";
      this.closeTimer = setTimeout(() => this.finish("transport close", "no poll came to take the close packet"), this.opts.closeTimeout);
    }
  }

  private isClosed(): boolean {
    return this.state === "closed";
  }

  private onPoll(req: IncomingMessage, res: ServerResponse): void {
    if (this.poll !== null) {
      // Two GETs at once means a broken or hostile client: engine.io closes the session.
      debug("poll overlap");
      abortRequest(res, EngineErrorCode.BAD_REQUEST, this.responseHeaders(req, {}));
      this.finish("transport error", "overlapping poll requests");
      return;
    }
    this.poll = { req, res };
    res.once("close", () => {
      if (this.poll?.res === res && !res.writableFinished) {
        this.poll = null;
        this.finish("transport error", "poll connection closed prematurely");
      }
    });
    // A close waiting for a poll goes out after a noop, in one payload ("6\x1e1"), as engine.io sends it.
    if (this.state === "closing") this.send([NOOP_PACKET]);
    else this.handler[onReady]();
  }

  private onPost(req: IncomingMessage, res: ServerResponse): void {
    if (this.postInFlight !== null) {
      abortRequest(res, EngineErrorCode.BAD_REQUEST, this.responseHeaders(req, {}));
      this.finish("transport error", "overlapping data requests");
      return;
    }
    if (req.headers["content-type"] === "application/octet-stream") {
      // Engine.IO v4 polling bodies are text; binary travels base64-encoded.
      abortRequest(res, EngineErrorCode.BAD_REQUEST, this.responseHeaders(req, {}));
      this.finish("transport error", "binary POST body (v4 expects text)");
      return;
    }
    const max = this.opts.maxHttpBufferSize;
    const declared = Number(req.headers["content-length"]);
    if (declared > max) {
      this.tooLarge(req, res, declared);
      return;
    }
    this.postInFlight = req;
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        this.tooLarge(req, res, size);
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      cleanup();
      this.onBody(req, res, Buffer.concat(chunks, size).toString("utf8"));
    };
    const onAbort = () => {
      // TCP reset mid-body: nothing to deliver, nothing to answer.
      debug("data request closed before its end");
      cleanup();
    };
    const cleanup = () => {
      this.postInFlight = null;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onAbort);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onAbort);
  }

  private onBody(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (this.state === "closed") {
      abortRequest(res, EngineErrorCode.UNKNOWN_SID, this.responseHeaders(req, {}));
      return;
    }
    const packets = decodePayload(body, "nodebuffer");
    let failed = false;
    for (const packet of packets) {
      if (packet.type === "error") {
        failed = true;
        break;
      }
      if (packet.type === "close") {
        // The client is gone: its pending poll is released with a noop, not a close packet (as engine.io does).
        if (this.poll) this.respondAndClear([NOOP_PACKET]);
        this.answerOk(req, res);
        this.finish("transport close", "client sent a close packet");
        return;
      }
      this.handler[onPacket](packet);
      // The handler may have closed the session (a ping from the client, say).
      if (this.isClosed()) break;
    }
    if (failed) {
      abortRequest(res, EngineErrorCode.BAD_REQUEST, this.responseHeaders(req, {}));
      this.finish("parse error", `malformed payload: ${JSON.stringify(body.slice(0, 32))}`);
      return;
    }
    this.answerOk(req, res);
  }

  private answerOk(req: IncomingMessage, res: ServerResponse): void {
    // text/html, not text/plain: some browsers offered to download a text/plain answer (engine.io GH-43).
    res.writeHead(200, this.successHeaders(req, { "Content-Type": "text/html", "Content-Length": "2" })).end("ok");
  }

  /**
   * Headers of the transport's own answers (the handshake, polls, "ok"), as
   * engine.io sends them: never cached, and Internet Explorer's XSS filter
   * off for it. Set before the server's "headers" hooks, which may
   * change them; engine.io's key spelling, so a hook finds them there.
   * Error answers go without them, as engine.io's do.
   */
  private successHeaders(req: IncomingMessage, headers: Record<string, string | string[]>): Record<string, string | string[]> {
    if (isInternetExplorer(req)) headers["X-XSS-Protection"] = "0";
    headers["cache-control"] = "no-store";
    return this.responseHeaders(req, headers);
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse, size: number): void {
    // The answer is complete once its head is out (no body); it is ended, and
    // the connection closed, only when the client has sent the rest of its body.
    res.writeHead(413, this.responseHeaders(req, { Connection: "close", "Content-Length": "0" }));
    res.flushHeaders();
    discardRestOfBody(req, res);
    this.finish("transport error", `POST body of ${size}+ bytes exceeds maxHttpBufferSize ${this.opts.maxHttpBufferSize}`);
  }

  private finish(reason: TransportFailure, description: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = null;
    if (this.poll) this.respondAndClear([CLOSE_PACKET]);
    if (this.postInFlight) this.postInFlight.destroy();
    debug("closed: %s (%s)", reason, description);
    this.handler[onClose](reason, description);
  }

  private respondAndClear(packets: readonly Packet[]): void {
    const poll = this.poll!;
    this.poll = null;
    this.respond(poll, packets, false);
  }

  private respond({ req, res }: Poll, packets: readonly Packet[], drains: boolean): void {
    if (res.writableEnded || res.destroyed) return;
    this.lastResponseSocket = req.socket;
    encodePayload(packets.map(unprepare), (payload) => {
      const headers: Record<string, string | string[]> = { "Content-Type": "text/plain; charset=UTF-8" };
      // As engine.io: the response is compressed unless every packet in it was
      // sent with `compress: false`.
      const compressible = packets.some((packet) => packet.options?.compress !== false);
      const encoding = compressible ? this.contentEncoding(req, payload) : null;
      if (encoding === null) {
        headers["Content-Length"] = String(Buffer.byteLength(payload));
        res.writeHead(200, this.successHeaders(req, headers)).end(payload);
        if (drains) this.drained();
        return;
      }
      headers["Content-Encoding"] = encoding;
      const compress = encoding === "gzip" ? gzip : deflate;
      compress(payload, (err, body) => {
        if (res.writableEnded || res.destroyed) return;
        if (err) {
          res.writeHead(500).end();
          this.finish("transport error", `${encoding} of a poll response failed: ${err.message}`);
          return;
        }
        headers["Content-Length"] = String(body.length);
        res.writeHead(200, this.successHeaders(req, headers)).end(body);
        if (drains) this.drained();
      });
    });
  }

  private drained(): void {
    if (this.state !== "closed") this.handler[onDrain]();
  }

  private contentEncoding(req: IncomingMessage, payload: string): "gzip" | "deflate" | null {
    const compression = this.opts.httpCompression;
    if (compression === false) return null;
    // length counts UTF-16 units, never more than the UTF-8 bytes: measure bytes only when it matters.
    if (payload.length < compression.threshold && Buffer.byteLength(payload) < compression.threshold) return null;
    const accept = req.headers["accept-encoding"];
    if (typeof accept !== "string") return null;
    if (/\bgzip\b/.test(accept)) return "gzip";
    if (/\bdeflate\b/.test(accept)) return "deflate";
    return null;
  }
}

/**
 * Reads and drops what is left of a refused body, then ends `res` (whose
 * head is already out): Node then closes the connection (`Connection:
 * close`) with nothing unread, so without a reset. A client that sends more
 * than DISCARD_LIMIT_BYTES, or for longer than DISCARD_LIMIT_MS, is cut off.
 */
function discardRestOfBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.readableEnded) {
    res.end();
    return;
  }
  let discarded = 0;
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) cutOff("more than DISCARD_LIMIT_BYTES");
  };
  const onEnd = () => {
    stop();
    res.end();
  };
  const stop = () => {
    clearTimeout(timer);
    req.off("data", onData);
    req.off("end", onEnd);
    req.off("close", stop);
  };
  const cutOff = (why: string) => {
    debug("oversized body cut off after %d more bytes: %s", discarded, why);
    stop();
    res.end();
    req.destroy();
  };
  const timer = setTimeout(() => cutOff("longer than DISCARD_LIMIT_MS"), DISCARD_LIMIT_MS);
  timer.unref();
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("close", stop);
  req.resume();
}
