import { createServer, type Server as HttpServer } from "node:http";
import type { EngineOptions } from "./options";
import { EngineServer } from "./server";

/**
 * Serves Engine.IO on an existing HTTP server, at `opts.path` ("/engine.io").
 *
 * @example
 * const httpServer = http.createServer(app);
 * const engine = attach(httpServer);
 * engine.on("connection", (socket) => socket.on("message", (m) => socket.send(m)));
 * httpServer.listen(3000);
 */
export function attach(server: HttpServer, opts?: EngineOptions): EngineServer {
  return new EngineServer(opts).attach(server);
}

/**
 * Starts an HTTP server on `port` that serves only Engine.IO (anything else
 * gets 501), as engine.io's `listen` does.
 *
 * @example
 * const engine = listen(3000, {}, () => console.log("listening"));
 */
export function listen(port: number, opts?: EngineOptions, callback?: () => void): EngineServer {
  const server = createServer((_req, res) => {
    res.writeHead(501).end("Not Implemented");
  });
  const engine = attach(server, opts);
  engine.httpServer = server;
  server.listen(port, callback);
  return engine;
}
