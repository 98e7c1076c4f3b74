// A second door into a node's HTTP server, for processes on the same machine.
// Workers of Node's `cluster` module share one public port: the operating
// system hands each connection to any of them, so the public port cannot
// name one worker. Each worker therefore also listens on a port of its own
// on 127.0.0.1 and announces that one: a request forwarded to it is served
// by exactly the handlers of the public server (the engine's among them),
// as if it had come in there.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

/** The `forwardRequests.address` that asks for a loopback listener. */
export const LOOPBACK = "loopback";

/** What the loopback listener needs of the public server: its "request" and "upgrade" events. */
export interface PublicServer {
  emit(event: "request", req: IncomingMessage, res: ServerResponse): boolean;
  emit(event: "upgrade", req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export interface LoopbackListener {
  /** `http://127.0.0.1:<port>`: where the other processes of this machine reach this one. */
  address: string;
  close(): void;
}

/**
 * Listens on 127.0.0.1, on a port the system picks, and passes every
 * request and upgrade to `publicServer`'s listeners. `exclusive`: in a
 * cluster worker the port is this worker's own, not shared with its
 * siblings as a `listen(0)` would be.
 */
export function listenOnLoopback(publicServer: PublicServer): Promise<LoopbackListener> {
  const server: HttpServer = createServer();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => publicServer.emit("request", req, res));
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => publicServer.emit("upgrade", req, socket, head));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      server.off("error", reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        address: `http://127.0.0.1:${port}`,
        close() {
          server.close();
          // Kept-alive connections of the other workers' forwarders; upgraded sockets left the server already.
          server.closeAllConnections();
        },
      });
    });
  });
}
