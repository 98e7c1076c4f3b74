import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { Socket, type EngineClientError, type SocketEvents, type SocketOptions } from "@duplex/engine/client";

/** Every client a test made; `closeClients()` (afterEach) closes them. */
const clients: Socket[] = [];

export function client(uri: string, opts?: SocketOptions): Socket {
  const s = new Socket(uri, opts);
  clients.push(s);
  return s;
}

export function closeClients(): void {
  for (const s of clients.splice(0)) s.close();
}

/** Resolves on "open"; rejects with the error (or close reason) when the client fails first. */
export function opened(s: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    s.once("open", () => resolve(s));
    s.once("error", reject);
    s.once("close", (reason) => reject(new Error(`closed: ${reason}`)));
  });
}

/** Resolves with the error a client fails with (and fails the test if it opens). */
export function failure(s: Socket): Promise<EngineClientError> {
  return new Promise((resolve, reject) => {
    s.once("open", () => reject(new Error(`opened on ${s.transport.name}`)));
    s.once("error", resolve);
  });
}

export interface Plain {
  http: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A plain HTTP server on 127.0.0.1 and a free port. */
export async function plainServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Plain> {
  const http = createServer(handler);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    http,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** Resolves with the arguments of the client's next `event`. */
export function next<K extends keyof SocketEvents>(s: Socket, event: K): Promise<SocketEvents[K]> {
  return new Promise((resolve) => s.once(event, (...args) => resolve(args)));
}

/** Collects the first argument of the client's next `n` `event`s. */
export function collect<K extends keyof SocketEvents>(s: Socket, event: K, n: number): Promise<SocketEvents[K][0][]> {
  const out: SocketEvents[K][0][] = [];
  return new Promise((resolve) => {
    s.on(event, (...args) => {
      out.push(args[0]);
      if (out.length === n) resolve(out);
    });
  });
}

/** An open packet as an Engine.IO server older than engine.io 6.1 sends it: no maxPayload. */
export const OPEN_WITHOUT_MAX_PAYLOAD = '0{"sid":"old","upgrades":[],"pingInterval":25000,"pingTimeout":20000}';

/**
 * A WebSocket server on `http` that sends `frames` to every connection, as
 * an Engine.IO server whose open packet lacks maxPayload (v3, or v4 before
 * engine.io 6.1) greets a client. Returns what closes it.
 */
export function greetingWebSocketServer(http: Server, frames: string[]): () => void {
  const wss = new WebSocketServer({ server: http });
  wss.on("connection", (ws) => {
    for (const frame of frames) ws.send(frame);
  });
  return () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  };
}

/** Opens a websocket-only client at `url`: its session id, and the first message it delivers. */
export async function openWebSocketOnly(url: string): Promise<{ id: string | null; message: unknown }> {
  const s = client(url, { transports: ["websocket"] });
  const message = new Promise<unknown>((resolve) => s.on("message", resolve));
  await opened(s);
  return { id: s.id, message: await message };
}
