import type { IncomingMessage } from "node:http";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { describeAnswer, judgeHttp, openPacket, quote, type Answer, type Handshake } from "./answer";
import { netFailure, type NetFailure } from "./network";

/** How a WebSocket probe ended. */
export type WsOutcome =
  /** The first frame was an Engine.IO open packet (direct probe), or `3probe` (upgrade probe). */
  | { kind: "ok"; handshake?: Handshake; openMs: number; frameMs: number }
  /** 101, then a first frame that is not what Engine.IO sends. */
  | { kind: "unexpected-frame"; frame: string; openMs: number }
  /** 101, then nothing at all before the silence deadline. */
  | { kind: "silent"; openMs: number; silence: number }
  /** 101, then closed before the first frame. */
  | { kind: "closed-early"; code: number; reason: string; openMs: number }
  /** An HTTP answer instead of 101. */
  | { kind: "http"; status: number; answer: Answer; description: string }
  /** No answer: refused, reset, DNS, timeout, TLS. */
  | { kind: "failure"; failure: NetFailure };

/** A probe's outcome, with its socket when it opened (the caller closes it through `closeSocket`). */
export interface WsProbe {
  outcome: WsOutcome;
  socket?: WebSocket;
}

/** The longest an Engine.IO server takes to send its first frame after 101 (it sends it with the 101, in practice). */
export const SILENCE = 2000;

/**
 * Opens a WebSocket to `url` and waits for its first frame; `greeting`, when
 * given, is sent once it opens (the upgrade probe's `2probe`), and `accept`
 * says whether the first frame is the expected answer.
 */
function probe(url: string, timeout: number, accept: (frame: string) => Handshake | true | undefined, greeting?: string): Promise<WsProbe> {
  const start = performance.now();
  const silence = Math.min(timeout, SILENCE);
  const ws = new WebSocket(url, { handshakeTimeout: timeout, perMessageDeflate: false, followRedirects: false });
  return new Promise((resolve) => {
    let settled = false;
    let openMs = 0;
    let sentAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: WsOutcome, keep: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, socket: keep ? ws : undefined });
      if (!keep) ws.terminate();
    };
    // Errors after the outcome (a reset while closing) change nothing.
    ws.on("error", (err) => {
      const failure = /timed out/.test(err.message)
        ? { code: "TIMEOUT", message: `no answer to the WebSocket handshake within ${timeout} ms` }
        : netFailure(err, new URL(url).host, timeout);
      if (openMs) settle({ kind: "closed-early", code: 1006, reason: failure.message, openMs }, false);
      else settle({ kind: "failure", failure }, false);
    });
    ws.on("unexpected-response", (req, res: IncomingMessage) => {
      // ws's handshakeTimeout is the request's idle timer: left running, it
      // would abort the body's reading and report "no answer" for an answer.
      // readBody has its own deadline.
      req.setTimeout(0);
      readBody(res, timeout).then((body) => {
        const status = res.statusCode ?? 0;
        const type = String(res.headers["content-type"] ?? "");
        const answer = judgeHttp(status, type, body);
        settle({ kind: "http", status, answer, description: describeAnswer(answer, status, type, body) }, false);
        req.destroy();
      });
    });
    ws.on("open", () => {
      openMs = performance.now() - start;
      if (greeting !== undefined) ws.send(greeting);
      sentAt = performance.now();
      timer = setTimeout(() => settle({ kind: "silent", openMs, silence }, false), silence);
    });
    ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      const frame = isBinary ? `<binary, ${(data as Buffer).length} bytes>` : data.toString();
      const verdict = isBinary ? undefined : accept(frame);
      const frameMs = performance.now() - (greeting !== undefined ? sentAt : start);
      if (verdict) settle({ kind: "ok", handshake: verdict === true ? undefined : verdict, openMs, frameMs }, true);
      else settle({ kind: "unexpected-frame", frame, openMs }, false);
    });
    ws.on("close", (code: number, reason: Buffer) => {
      if (openMs) settle({ kind: "closed-early", code, reason: reason.toString(), openMs }, false);
      else settle({ kind: "failure", failure: { code: "ECONNRESET", message: "the connection closed before the handshake answer" } }, false);
    });
  });
}

/** A WebSocket handshake opening a session (`…&transport=websocket`): expects the open packet. */
export function probeWebSocket(url: string, timeout: number): Promise<WsProbe> {
  return probe(url, timeout, openPacket);
}

/**
 * The upgrade probe of a polling session (engine.io-protocol v4, "Upgrade"):
 * a WebSocket naming the sid sends `2probe` and expects `3probe`. That is a
 * ping/pong round trip through the server's Engine.IO layer, so its
 * `frameMs` is the round-trip time the doctor reports.
 */
export function probeUpgrade(url: string, timeout: number): Promise<WsProbe> {
  return probe(url, timeout, (frame) => (frame === "3probe" ? true : undefined), "2probe");
}

/** Up to 4 KB of a refused handshake's body: enough to say what answered. */
function readBody(res: IncomingMessage, timeout: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const timer = setTimeout(done, timeout);
    res.on("data", (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size >= 4096) done();
    });
    res.on("end", done);
    res.on("error", done);
    res.on("close", done);
  });
}

/**
 * Closes a socket the probe kept: sends Engine.IO's close packet first when
 * `closePacket` (a session this socket opened), then the WebSocket close
 * frame; a peer that does not answer it within a second is cut off, so the
 * doctor never waits out ws's 30-second closing timeout.
 */
export function closeSocket(ws: WebSocket, closePacket: boolean): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), 1000);
    ws.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    if (closePacket && ws.readyState === WebSocket.OPEN) ws.send("1");
    ws.close(1000);
  });
}

/** One sentence for a probe that did not succeed. */
export function describeWs(o: WsOutcome): string {
  switch (o.kind) {
    case "ok":
      return "it worked";
    case "unexpected-frame":
      return `HTTP 101, then a first frame that is not Engine.IO: ${quote(o.frame)}`;
    case "silent":
      return `HTTP 101, then nothing for ${o.silence} ms (an Engine.IO server sends its open packet at once)`;
    case "closed-early":
      return `HTTP 101, then the connection closed before the first frame (code ${o.code}${o.reason ? ", " + o.reason : ""})`;
    case "http":
      return `answered ${o.description} instead of 101 Switching Protocols`;
    case "failure":
      return o.failure.message;
  }
}
