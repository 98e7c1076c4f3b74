import { createServer as createNet, type Socket as NetSocket } from "node:net";
import type { AddressInfo } from "node:net";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { forgetWebSocketFailures } from "@duplex/engine/client";
import type { Socket } from "@duplex/client";
import { client, closeAll, connected, onCleanup, once, startServer, type Harness } from "./helpers";

/**
 * A websocket-only client explains a failed connection with one polling
 * request on the side (is it a proxy that blocks WebSocket?). It may ask that
 * once per endpoint, and only where no WebSocket ever opened: a reconnecting
 * client must not add a polling request per attempt, nor take a server that
 * was down for a proxy because the server answered the side request after it
 * came back.
 */
beforeEach(() => forgetWebSocketFailures());
afterEach(closeAll);

const RECONNECT = { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200, randomizationFactor: 0.5 };
const PROXY = /proxy/i;
const UNREACHABLE = /could not be reached/;

/** Each test at its own engine path: what a process learned is kept per origin and path. */
let paths = 0;
function uniquePath(): string {
  return `/diag-${++paths}/`;
}

/** The `connect_error`s of `socket`, until there are `n`. */
function connectErrors(socket: Socket, n: number): Promise<Array<Error & { code?: string }>> {
  const seen: Array<Error & { code?: string }> = [];
  return new Promise((resolve) => {
    socket.on("connect_error", (err: Error & { code?: string }) => {
      seen.push(err);
      if (seen.length === n) resolve(seen);
    });
  });
}

/**
 * A server that is down in the sense that matters: it accepts TCP and resets
 * every connection after reading its request line, which it records, so that
 * the test sees which requests a client made (a port nobody listens on would
 * refuse them unseen).
 */
async function resettingServer(): Promise<{ url: string; requestLines: string[] }> {
  const requestLines: string[] = [];
  const sockets = new Set<NetSocket>();
  const server = createNet((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.once("data", (chunk) => {
      requestLines.push(chunk.toString("latin1").split("\r\n")[0]);
      socket.resetAndDestroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requestLines };
}

/**
 * Polling requests the engine at `h` received: a websocket-only client makes
 * them only to diagnose, a handshake GET (`diagnoses`) and the POST that
 * closes the spare session it opened.
 */
function countPolling(h: Harness): { readonly requests: number; readonly diagnoses: number } {
  const counter = { requests: 0, diagnoses: 0 };
  h.http.on("request", (req: IncomingMessage) => {
    if (!req.url?.includes("transport=polling")) return;
    counter.requests++;
    if (req.method === "GET" && !req.url.includes("sid=")) counter.diagnoses++;
  });
  return counter;
}

type Breakage = (socket: Duplex) => void;
/** How a proxy in front of the engine breaks WebSocket: with an HTTP answer (Node's `ws` reads its status), or with none (as every browser sees it). */
const BREAKAGES: [string, Breakage][] = [
  ["answers 502", (socket) => socket.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")],
  ["drops the connection", (socket) => socket.destroy()],
];

function breakWebSocket(h: Harness, broken: Breakage): { readonly upgrades: number } {
  const counter = { upgrades: 0 };
  h.http.removeAllListeners("upgrade");
  h.http.on("upgrade", (_req, socket: Duplex) => {
    counter.upgrades++;
    broken(socket);
  });
  return counter;
}

test("server down (connections reset): one diagnostic request on the first attempt, none on the reconnection attempts; every error says unreachable", async () => {
  const down = await resettingServer();
  const socket = client(down.url, { ...RECONNECT, transports: ["websocket"] });
  const errors = await connectErrors(socket, 4);
  const polling = down.requestLines.filter((line) => line.includes("transport=polling"));
  const websocket = down.requestLines.filter((line) => line.includes("transport=websocket"));
  expect(websocket.length).toBeGreaterThanOrEqual(4);
  expect(polling).toHaveLength(1);
  for (const err of errors) {
    expect(err.code).toBe("TRANSPORT_ERROR");
    expect(err.message).toMatch(UNREACHABLE);
    expect(err.message).not.toMatch(PROXY);
  }
});

test("server down, default transports: polling and WebSocket both fail unanswered, so no diagnostic request is added; the error says unreachable", async () => {
  const down = await resettingServer();
  const socket = client(down.url, RECONNECT);
  const errors = await connectErrors(socket, 3);
  const polling = down.requestLines.filter((line) => line.includes("transport=polling"));
  const websocket = down.requestLines.filter((line) => line.includes("transport=websocket"));
  // each attempt: the polling handshake, then the WebSocket; nothing else
  expect(websocket.length).toBeGreaterThanOrEqual(3);
  expect(polling.length).toBe(websocket.length);
  for (const err of errors) {
    expect(err.message).toMatch(UNREACHABLE);
    expect(err.message).not.toMatch(PROXY);
  }
});

test("server down (port closed, connection refused): every attempt says the server could not be reached, none says proxy", async () => {
  const probe = createNet();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const socket = client(`http://127.0.0.1:${port}`, { ...RECONNECT, transports: ["websocket"] });
  const errors = await connectErrors(socket, 3);
  for (const err of errors) {
    expect(err.code).toBe("TRANSPORT_ERROR");
    expect(err.message).toMatch(/ECONNREFUSED.*could not be reached/);
    expect(err.message).not.toMatch(PROXY);
  }
  // Polling alone says the same.
  const polling = client(`http://127.0.0.1:${port}`, { ...RECONNECT, transports: ["polling"] });
  for (const err of await connectErrors(polling, 2)) {
    expect(err.code).toBe("TRANSPORT_ERROR");
    expect(err.message).toMatch(/^GET .*fetch failed; the server could not be reached$/);
  }
});

describe.each(BREAKAGES)("a proxy that blocks WebSocket (%s) in front of a working engine", (_name, broken) => {
  test("the websocket-only client is told about the proxy, from one diagnostic request for all its attempts and other clients", async () => {
    const path = uniquePath();
    const h = await startServer("duplex", { path });
    const polling = countPolling(h);
    const proxy = breakWebSocket(h, broken);
    const socket = client(h.url, { ...RECONNECT, path, transports: ["websocket"] });
    const errors = await connectErrors(socket, 3);
    // another client of the same endpoint in this process learns it from the same request
    const other = client(h.url, { path, transports: ["websocket"] });
    const [otherError] = await once<[Error]>(other, "connect_error");
    for (const err of [...errors, otherError]) {
      expect(err.message).toMatch(/polling works: a proxy blocks WebSocket\?/);
      expect((err as Error & { code?: string }).code).toBe("TRANSPORT_ERROR");
    }
    expect(proxy.upgrades).toBeGreaterThanOrEqual(4);
    expect(polling.diagnoses).toBe(1);
    expect(polling.requests).toBeLessThanOrEqual(2);
  });
});

describe.each(BREAKAGES)("a WebSocket that worked, then fails (%s)", (name, broken) => {
  test("the reconnecting client is told the connection failed, with no diagnostic request and no proxy", async () => {
    const path = uniquePath();
    const h = await startServer("duplex", { path });
    const serverSide = once<[{ conn: { close(): void } }]>(h.io, "connection");
    const socket = client(h.url, { ...RECONNECT, path, transports: ["websocket"] });
    await connected(socket);
    const [session] = await serverSide;
    const polling = countPolling(h);
    const proxy = breakWebSocket(h, broken);
    const errors = connectErrors(socket, 3);
    // The session ends (the server went away): the client reconnects, and every attempt fails.
    session.conn.close();
    for (const err of await errors) {
      expect((err as Error & { code?: string }).code).toBe("TRANSPORT_ERROR");
      expect(err.message).not.toMatch(PROXY);
      // With an HTTP answer, the error says what came back; without one, that nothing did.
      expect(err.message).toMatch(name === "answers 502" ? /Unexpected server response: 502/ : UNREACHABLE);
    }
    expect(proxy.upgrades).toBeGreaterThanOrEqual(3);
    expect(polling.requests).toBe(0);
  });
});
