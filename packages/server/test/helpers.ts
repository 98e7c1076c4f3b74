import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as ioc, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from "socket.io-client";
import { Server, type ServerOptions } from "@duplex/server";

export interface ServerHarness {
  io: Server;
  http: HttpServer;
  port: number;
  url: string;
  /** A socket.io-client 4.8.4 socket to `nsp`, not yet connected unless autoConnect. */
  client(nsp?: string, opts?: Partial<ManagerOptions & SocketOptions>): ClientSocket;
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
    async close() {
      for (const c of clients) c.disconnect();
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
