import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type WebSocket from "ws";
import { until as waitUntil } from "../../../test-support/until";
import { attach, type EngineOptions, type EngineServer, type EngineSocket } from "@duplex/engine";

export interface Harness {
  engine: EngineServer;
  http: Server;
  port: number;
  /** Base URL of the engine path, e.g. http://127.0.0.1:PORT/engine.io/ */
  url: string;
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 and a free port with the engine attached. */
export async function startEngine(opts: EngineOptions = {}): Promise<Harness> {
  const http = createServer((_req, res) => res.writeHead(404).end("not the engine"));
  const engine = attach(http, opts);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    engine,
    http,
    port,
    url: `http://127.0.0.1:${port}${engine.opts.path}/`,
    close: () =>
      new Promise<void>((resolve) => {
        engine.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  raw: Buffer;
}

/** One HTTP request on 127.0.0.1; resolves with the whole response. */
export function httpRequest(
  port: number,
  path: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: opts.method ?? "GET", headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString("utf8"), raw });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Opens a polling session by hand; returns its sid and the open packet. */
export async function pollingHandshake(port: number, path = "/engine.io/"): Promise<{ sid: string; open: Record<string, unknown> }> {
  const res = await httpRequest(port, `${path}?EIO=4&transport=polling`);
  if (res.status !== 200 || res.body[0] !== "0") throw new Error(`handshake failed: ${res.status} ${res.body}`);
  const open = JSON.parse(res.body.slice(1)) as Record<string, unknown>;
  return { sid: open.sid as string, open };
}

/** Resolves on the next `event` of `emitter`, with its arguments. */
export function once<T extends unknown[]>(
  emitter: { once(event: string, listener: (...args: T) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)));
}

/** A polling session opened by hand, with the URLs that reach it. */
export interface PollingSession {
  sid: string;
  /** The engine's socket for the session. */
  socket: EngineSocket;
  pollPath: string;
  wsUrl: string;
}

/** Opens a polling session by hand on `h`; resolves once the engine has its socket. */
export async function openPollingSession(h: Harness): Promise<PollingSession> {
  const connected = new Promise<EngineSocket>((resolve) => h.engine.once("connection", resolve));
  const { sid } = await pollingHandshake(h.port);
  return {
    sid,
    socket: await connected,
    pollPath: `/engine.io/?EIO=4&transport=polling&sid=${sid}`,
    wsUrl: `ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket&sid=${sid}`,
  };
}

/** Starts a GET and resolves once the server has taken it (the engine's listener runs first). */
export async function pendingPoll(h: Harness, path: string): Promise<{ response: Promise<HttpResult> }> {
  const arrived = new Promise((resolve) => h.http.once("request", resolve));
  const response = httpRequest(h.port, path);
  await arrived;
  return { response };
}

/** Resolves when the WebSocket opens; rejects on its error. */
export function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
}

/** The next text frame the WebSocket receives. */
export function nextFrame(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once("message", (data) => resolve(String(data))));
}

/** Resolves once `done()` holds, checking every 10 ms; rejects after `ms` (10 s unless told). */
export function until(done: () => boolean, ms = 10000): Promise<void> {
  return waitUntil(done, ms);
}
