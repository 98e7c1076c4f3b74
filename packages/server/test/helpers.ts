import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as ioc, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from "socket.io-client";
import { Socket as EngineClient } from "engine.io-client";
import { Server, type ServerOptions } from "@duplex/server";

export interface ServerHarness {
  io: Server;
  http: HttpServer;
  port: number;
  url: string;
  /** A socket.io-client 4.8.4 socket to `nsp`, not yet connected unless autoConnect. */
  client(nsp?: string, opts?: Partial<ManagerOptions & SocketOptions>): ClientSocket;
  /** A raw engine.io-client session on the Socket.IO path (see RawClient), closed with the harness. */
  raw(transports?: Array<"polling" | "websocket">): Promise<RawClient>;
  close(): Promise<void>;
}

/** A Duplex server on 127.0.0.1 and a free port; official clients made through `client()` are closed with it. */
export async function startServer(opts: ServerOptions = {}): Promise<ServerHarness> {
  const http = createServer();
  const io = new Server(http, opts);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const clients: ClientSocket[] = [];
  const raws: RawClient[] = [];
  return {
    io,
    http,
    port,
    url,
    client(nsp = "/", copts = {}) {
      const socket = ioc(`${url}${nsp}`, { forceNew: true, reconnection: false, ...copts });
      clients.push(socket);
      return socket;
    },
    async raw(transports) {
      const r = await rawClient(url, transports);
      raws.push(r);
      return r;
    },
    async close() {
      for (const c of clients) c.disconnect();
      for (const r of raws) r.eio.close();
      http.closeAllConnections();
      await io.close();
    },
  };
}

/** Resolves with the arguments of the next `event`. */
export function once<T extends unknown[] = unknown[]>(
  emitter: { once(event: string, listener: (...args: T) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)));
}

/** The three ways a client reaches the server. */
export const TRANSPORTS: Array<[string, Partial<ManagerOptions>]> = [
  ["polling", { transports: ["polling"] }],
  ["websocket", { transports: ["websocket"] }],
  ["polling→websocket", { transports: ["polling", "websocket"] }],
];

/** Resolves once `predicate` holds, checking every 5 ms; rejects after `ms`. For state with no event to await. */
export async function until(predicate: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${predicate}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves once `socket` (an official client socket) has connected. */
export function connected(socket: ClientSocket): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
}

/** Messages of a raw session in arrival order, awaited one by one. */
class MessageQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(item: T) => void> = [];
  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }
  next(): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export type RawData = string | Buffer | ArrayBuffer;

/**
 * An engine.io-client 6.6 session on the Socket.IO path, speaking Socket.IO by
 * hand. Messages are Socket.IO packets without the engine's "4" prefix:
 * `send("0")` joins "/", `next()` yields what the server wrote ("0{\"sid\":…}").
 */
export interface RawClient {
  eio: EngineClient;
  send(data: RawData): void;
  next(): Promise<RawData>;
  /** Resolves with the engine close reason. */
  closed: Promise<string>;
  /** Sends a CONNECT for `nsp` and resolves with the answer. */
  join(nsp?: string): Promise<string>;
}

export async function rawClient(url: string, transports: Array<"polling" | "websocket"> = ["websocket"]): Promise<RawClient> {
  const eio = new EngineClient(url, { path: "/socket.io", transports });
  const messages = new MessageQueue<RawData>();
  eio.on("message", (data) => messages.push(data as RawData));
  const closed = new Promise<string>((resolve) => eio.on("close", (reason) => resolve(reason)));
  await new Promise<void>((resolve, reject) => {
    eio.once("open", () => resolve());
    eio.once("error", reject);
  });
  const client: RawClient = {
    eio,
    send: (data) => eio.send(data as string),
    next: () => messages.next(),
    closed,
    async join(nsp = "/") {
      client.send(nsp === "/" ? "0" : `0${nsp},`);
      return String(await messages.next());
    },
  };
  return client;
}

/** The engine transports a raw client can use, for describe.each. */
export const RAW_TRANSPORTS: Array<[string, Array<"polling" | "websocket">]> = [
  ["polling", ["polling"]],
  ["websocket", ["websocket"]],
];
