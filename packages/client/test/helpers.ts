import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { Server as OfficialServer } from "socket.io";
import { Server as DuplexServer } from "@duplex/server";
import { io, type ClientOptions, type Manager, type Socket } from "@duplex/client";

/**
 * What a test needs of a Socket.IO server: the Duplex one and socket.io 4.8.4
 * have the same API for everything used here, so tests are written once and
 * run against both (describe.each over SERVERS).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServer = any;
export type ServerKind = "duplex" | "socket.io";
export const SERVERS: ServerKind[] = ["duplex", "socket.io"];

export interface Harness {
  io: AnyServer;
  http: HttpServer;
  port: number;
  url: string;
  close(): Promise<void>;
}

const open: Array<{ close(): Promise<void> | void }> = [];
const clients: Array<Socket | Manager> = [];

/** A Socket.IO server of `kind` on 127.0.0.1 (a free port, or `port`), closed by `closeAll`. */
export async function startServer(kind: ServerKind, opts: Record<string, unknown> = {}, port = 0): Promise<Harness> {
  const http = createServer();
  // Every TCP connection, upgraded ones included (closeAllConnections misses
  // those): a WebSocket whose close handshake never completes would otherwise
  // keep the process alive for ws's 30 s close timeout.
  const sockets = new Set<import("node:net").Socket>();
  http.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const server = kind === "duplex" ? new DuplexServer(http, opts) : new OfficialServer(http, opts);
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, "127.0.0.1", resolve);
  });
  const actual = (http.address() as AddressInfo).port;
  let closed = false;
  const harness: Harness = {
    io: server,
    http,
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    async close() {
      if (closed) return;
      closed = true;
      http.closeAllConnections();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // after the server sent its close frames: end what lingers instead of waiting for it
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
  open.push(harness);
  return harness;
}

/** Something else to close after the test (a plain server, a raw socket). */
export function onCleanup(close: () => Promise<void> | void): void {
  open.push({ close });
}

/** A Duplex client socket, closed (with its manager) by `closeAll`. Reconnection off unless asked for. */
export function client(url: string, opts: ClientOptions = {}): Socket {
  const socket = io(url, { forceNew: true, reconnection: false, ...opts });
  clients.push(socket, socket.io);
  return socket;
}

/** Also close a socket made without `client()` (multiplexed ones). */
export function track(socket: Socket): Socket {
  clients.push(socket, socket.io);
  return socket;
}

/** For afterEach: every client, then every server. */
export async function closeAll(): Promise<void> {
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of open.splice(0).reverse()) await s.close();
}

/** Resolves with the arguments of the next `event`. */
export function once<T extends unknown[] = any[]>( // eslint-disable-line @typescript-eslint/no-explicit-any
  emitter: { once(event: string, listener: (...args: any[]) => void): unknown }, // eslint-disable-line @typescript-eslint/no-explicit-any
  event: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)));
}

/** Resolves once `socket` is connected; rejects with its connect_error. */
export function connected(socket: Socket): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
}

/** Resolves after `n` calls of the returned function, with the arguments of each call. */
export function collect<T = unknown>(n: number): { fn: (arg: T) => void; done: Promise<T[]>; seen: T[] } {
  const seen: T[] = [];
  let resolve!: (v: T[]) => void;
  const done = new Promise<T[]>((r) => (resolve = r));
  return {
    seen,
    done,
    fn: (arg: T) => {
      seen.push(arg);
      if (seen.length === n) resolve(seen);
    },
  };
}

/** A Socket.IO server by hand: the handshake and a CONNECT answer, then silence (it never pings). */
export async function silentServer(pingInterval: number, pingTimeout: number): Promise<string> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => wss.once("listening", resolve));
  wss.on("connection", (ws: WebSocket) => {
    ws.send(`0${JSON.stringify({ sid: "eio1", upgrades: [], pingInterval, pingTimeout, maxPayload: 1e6 })}`);
    ws.on("message", (data) => {
      if (String(data).startsWith("40")) ws.send('40{"sid":"sio1"}');
    });
  });
  onCleanup(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  return `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}
