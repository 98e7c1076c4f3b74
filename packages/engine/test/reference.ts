import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { attach, type EngineOptions } from "@duplex/engine";

/**
 * The same test against two servers: Duplex's engine, and the official
 * engine.io 6.6 server (the copy socket.io 4.8.4 ships with), so that every
 * expectation is shown to be the reference's behaviour too.
 */
export type ServerKind = "duplex" | "engine.io";
export const SERVER_KINDS: ServerKind[] = ["duplex", "engine.io"];

/** The part of a session both servers have. */
export interface AnySession {
  id: string;
  readyState: string;
  transport: { name: string };
  send(data: string): unknown;
  close(): unknown;
  on(event: "close", listener: (reason: string, description?: unknown) => void): unknown;
  on(event: "message", listener: (data: string | Buffer) => void): unknown;
  once(event: "close", listener: (reason: string, description?: unknown) => void): unknown;
}

interface AnyEngine {
  clientsCount: number;
  on(event: "connection", listener: (session: AnySession) => void): unknown;
  on(event: "headers", listener: (headers: Record<string, string | string[]>) => void): unknown;
  close(): unknown;
}

interface ReferenceModule {
  attach(http: Server, opts?: Record<string, unknown>): AnyEngine;
}

const enginePath = require.resolve("engine.io", { paths: [require.resolve("socket.io")] });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const reference = require(enginePath) as ReferenceModule;

export interface Running {
  kind: ServerKind;
  http: Server;
  port: number;
  engine: AnyEngine;
  /** Resolves with the next session the server opens. */
  nextSession(): Promise<AnySession>;
  close(): Promise<void>;
}

/** Options both servers understand. */
export type CommonOptions = Pick<EngineOptions, "maxHttpBufferSize" | "pingInterval" | "pingTimeout" | "upgradeTimeout">;

/** Starts `kind` on 127.0.0.1, a free port, path /engine.io/. */
export async function startServer(kind: ServerKind, opts: CommonOptions = {}): Promise<Running> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const engine: AnyEngine =
    kind === "duplex" ? (attach(http, opts) as unknown as AnyEngine) : reference.attach(http, { ...opts });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    kind,
    http,
    port,
    engine,
    nextSession: () => new Promise((resolve) => engine.on("connection", resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        engine.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

export const SEP = "\x1e";

/** Opens a raw TCP connection to 127.0.0.1:port. */
export function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Starts a GET and resolves once the server has taken it (the engine's "request" listener runs first). */
export async function pendingRequest<T>(server: Running, start: () => Promise<T>): Promise<{ response: Promise<T> }> {
  const arrived = new Promise((resolve) => server.http.once("request", resolve));
  const response = start();
  await arrived;
  return { response };
}
