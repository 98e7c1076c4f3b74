import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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
