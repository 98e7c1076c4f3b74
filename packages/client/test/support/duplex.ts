import { createServer, type RequestListener, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type ServerOptions } from "@duplex/server";

export interface DuplexServer {
  io: Server;
  http: HttpServer;
  port: number;
  /** Ends every session and connection, and stops listening. */
  close(): Promise<void>;
}

/**
 * A Duplex server on 127.0.0.1:`port` (0: a free one). `pages` answers the
 * HTTP requests that are not Socket.IO's (the engine passes them on).
 */
export async function startDuplex(port = 0, opts: ServerOptions = {}, pages?: RequestListener): Promise<DuplexServer> {
  const http = createServer(pages);
  const io = new Server(http, opts);
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, "127.0.0.1", () => {
      http.off("error", reject);
      resolve();
    });
  });
  return {
    io,
    http,
    port: (http.address() as AddressInfo).port,
    async close() {
      const closed = io.close();
      // Long-polls and keep-alive connections would hold http.close() open.
      http.closeAllConnections();
      await closed;
    },
  };
}
