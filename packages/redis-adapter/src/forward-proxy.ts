// Plain HTTP forwarding of one request to the node that holds its session.
// Bodies are streamed both ways (nothing is buffered here, so the owner's
// maxHttpBufferSize applies as for its own requests), headers pass as they
// are but for the hop-by-hop ones (RFC 9110 §7.6.1), and the owner answers
// everything itself: CORS, cookies, compression, errors.
import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";

/** Marks a forwarded request: the node that gets it answers it itself and never forwards it again. */
export const FORWARDED_HEADER = "x-duplex-forwarded";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]);

/** Why a forward failed: the owner did not accept the connection in time, or the connection failed. */
export type ForwardFailureCode = "FORWARD_TIMEOUT" | "FORWARD_FAILED";

export interface ForwardFailure {
  code: ForwardFailureCode;
  /** The socket error's code (ECONNREFUSED, ECONNRESET…) when there was one. */
  cause: string | undefined;
  message: string;
}

export interface ForwardTarget {
  url: URL;
  /** Keeps connections to the owners open between polls. */
  agent: Agent;
  /** This node's tag, sent in {@link FORWARDED_HEADER}. */
  via: string;
  /** ms to get a connection to the owner. */
  connectTimeout: number;
  /** ms the connection may stay silent: a poll is answered within pingInterval, so more means trouble. */
  idleTimeout: number;
}

class ForwardError extends Error {
  constructor(
    readonly code: ForwardFailureCode,
    message: string,
  ) {
    super(message);
  }
}

function failureOf(err: Error): ForwardFailure {
  const cause = (err as NodeJS.ErrnoException).code;
  if (err instanceof ForwardError) return { code: err.code, cause: undefined, message: err.message };
  return { code: "FORWARD_FAILED", cause, message: err.message };
}

function outgoingHeaders(req: IncomingMessage, via: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  const remote = req.socket.remoteAddress;
  const before = req.headers["x-forwarded-for"];
  if (remote !== undefined) headers["x-forwarded-for"] = before === undefined ? remote : `${before}, ${remote}`;
  headers[FORWARDED_HEADER] = via;
  return headers;
}

function responseHeaders(res: IncomingMessage): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(res.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  return headers;
}

/** Opens the request to the owner, with the connect and idle timeouts armed. */
function open(target: ForwardTarget, req: IncomingMessage, headers: OutgoingHttpHeaders, agent: Agent | false): ClientRequest {
  const send = target.url.protocol === "https:" ? httpsRequest : httpRequest;
  const upstream = send({
    protocol: target.url.protocol,
    hostname: target.url.hostname,
    port: target.url.port,
    method: req.method,
    path: req.url,
    headers,
    agent,
  });
  const connectTimer = setTimeout(
    () => upstream.destroy(new ForwardError("FORWARD_TIMEOUT", `no connection to ${target.url.origin} within ${target.connectTimeout} ms`)),
    target.connectTimeout,
  );
  upstream.once("socket", (socket) => {
    // A poll answer is small and waited for: no Nagle delay on top of the client's.
    socket.setNoDelay(true);
    // A kept-alive socket is connected already; a new one says so once it is.
    if (!socket.connecting) clearTimeout(connectTimer);
    else socket.once("connect", () => clearTimeout(connectTimer));
  });
  upstream.once("close", () => clearTimeout(connectTimer));
  upstream.setTimeout(target.idleTimeout, () =>
    upstream.destroy(new ForwardError("FORWARD_TIMEOUT", `${target.url.origin} was silent for ${target.idleTimeout} ms`)),
  );
  return upstream;
}

/** Whether a request has a body to pass on (a POST); a GET or a preflight has none. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0");
}

/**
 * Forwards a polling request (GET, POST, or a CORS preflight) to the owner
 * and streams its answer back. A failure before the answer began is
 * answered here, 502 (or 504 on a timeout) with Engine.IO's "Session ID
 * unknown" body, and reported through `onFailure`; one after it cuts the
 * response, as a broken connection to a single node would. A client that
 * goes away cancels the forwarded request, so the owner sees the poll end
 * as it would have seen it directly.
 */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, onFailure: (failure: ForwardFailure) => void): void {
  const withBody = hasBody(req);
  const attempt = (mayRetry: boolean) => {
    const upstream = open(target, req, outgoingHeaders(req, target.via), target.agent);
    upstream.on("response", (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer));
      answer.pipe(res);
      answer.on("error", () => res.destroy());
    });
    upstream.on("error", (err) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A kept-alive connection the owner closed as it was reused (the
      // keep-alive race of RFC 9112 §9.3.1): the owner closed it idle, so it
      // never read this request and wrote nothing into an answer. A request
      // without a body is sent again, once, on a fresh connection.
      if (mayRetry && upstream.reusedSocket && (err as NodeJS.ErrnoException).code === "ECONNRESET" && !res.destroyed) {
        attempt(false);
        return;
      }
      const failure = failureOf(err);
      onFailure(failure);
      const body = JSON.stringify({ code: 1, message: "Session ID unknown" });
      res.writeHead(failure.code === "FORWARD_TIMEOUT" ? 504 : 502, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    });
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (!withBody) {
      upstream.end();
      return;
    }
    req.on("error", () => upstream.destroy());
    req.pipe(upstream);
  };
  attempt(!withBody);
}

function headerLines(rawHeaders: string[], skip: (name: string) => boolean): string {
  let lines = "";
  for (let i = 0; i < rawHeaders.length; i += 2) if (!skip(rawHeaders[i].toLowerCase())) lines += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return lines;
}

/**
 * Relays a WebSocket upgrade to the owner: the owner runs the handshake
 * (and the Engine.IO upgrade) itself, and from its 101 on this node only
 * copies bytes both ways until either side closes. An owner that refuses
 * has its answer passed on; one that cannot be reached gets a 502 (504 on
 * a timeout), reported through `onFailure`: the client's upgrade probe
 * fails and it stays on polling, its session untouched.
 */
export function relayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ForwardTarget, onFailure: (failure: ForwardFailure) => void): void {
  const headers = outgoingHeaders(req, target.via);
  headers.connection = "Upgrade";
  headers.upgrade = req.headers.upgrade;
  // A connection of its own: once upgraded, it belongs to this WebSocket.
  const upstream = open(target, req, headers, false);
  let upgraded = false;
  const onClientGone = () => {
    if (!upgraded) upstream.destroy();
  };
  socket.once("close", onClientGone);
  upstream.on("upgrade", (answer, ownerSocket, ownerHead) => {
    upgraded = true;
    ownerSocket.setTimeout(0);
    ownerSocket.setNoDelay(true);
    ownerSocket.on("error", () => socket.destroy());
    socket.on("error", () => ownerSocket.destroy());
    ownerSocket.once("close", () => socket.destroy());
    socket.once("close", () => ownerSocket.destroy());
    socket.write(`HTTP/1.1 101 ${answer.statusMessage ?? "Switching Protocols"}\r\n${headerLines(answer.rawHeaders, () => false)}\r\n`);
    if (ownerHead.length > 0) socket.write(ownerHead);
    if (head.length > 0) ownerSocket.write(head);
    ownerSocket.pipe(socket);
    socket.pipe(ownerSocket);
  });
  upstream.on("response", (answer) => {
    // The owner refused the upgrade (unknown sid, upgrades off…): its answer is the client's.
    socket.write(`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}\r\n${headerLines(answer.rawHeaders, (name) => HOP_BY_HOP.has(name))}Connection: close\r\n\r\n`);
    answer.pipe(socket);
    answer.on("error", () => socket.destroy());
  });
  upstream.on("error", (err) => {
    if (upgraded) return;
    const failure = failureOf(err);
    onFailure(failure);
    if (socket.writable) {
      const status = failure.code === "FORWARD_TIMEOUT" ? "504 Gateway Timeout" : "502 Bad Gateway";
      const body = JSON.stringify({ code: 1, message: "Session ID unknown" });
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
    socket.destroy();
  });
  upstream.end();
}
