import type { Duplex } from "node:stream";
import type { IncomingMessage } from "node:http";
import { WebSocketServer } from "ws";
import { forgetWebSocketFailures } from "@duplex/engine/client";
import { startEngine, type Harness } from "../helpers";
import { client, closeClients, next, opened } from "./helpers";

/**
 * A proxy that breaks WebSocket: the engine advertises "websocket" in its
 * handshake, but every upgrade request meets `broken` instead of the engine.
 */
type Breakage = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

const BREAKAGES: [string, Breakage][] = [
  ["answers 502 instead of 101", (_req, socket) => socket.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")],
  ["destroys the connection", (_req, socket) => socket.destroy()],
  [
    "accepts the WebSocket, then closes it before any frame",
    (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.close(1001)),
  ],
  ["holds the upgrade request and never answers", (_req, socket) => held.push(socket)],
  [
    "accepts the WebSocket and then forwards nothing",
    (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => held.push(ws as unknown as Duplex)),
  ],
];
/** Upgrades a breakage keeps open; destroyed after each test. */
const held: Duplex[] = [];
/** Short, so the two "silent" breakages fail fast: 4 × 100 ms to open, 100 ms for the first frame. */
const handshakeTimeout = 100;

let h: Harness;
let upgrades: number;
const wss = new WebSocketServer({ noServer: true });

async function brokenProxy(broken: Breakage): Promise<void> {
  h = await startEngine();
  h.engine.on("connection", (s) => s.on("message", (d) => s.send(d)));
  h.http.removeAllListeners("upgrade");
  upgrades = 0;
  h.http.on("upgrade", (req, socket, head) => {
    upgrades++;
    broken(req, socket, head);
  });
}

beforeEach(() => forgetWebSocketFailures());
afterEach(async () => {
  closeClients();
  for (const socket of held.splice(0)) socket.destroy?.() ?? (socket as unknown as { terminate(): void }).terminate();
  await h?.close();
});
afterAll(() => wss.close());

async function echo(s: ReturnType<typeof client>, text: string): Promise<void> {
  const got = next(s, "message");
  s.send(text);
  expect((await got)[0]).toBe(text);
}

describe.each(BREAKAGES)("a proxy that %s", (_name, broken) => {
  test("default transports: the probe fails, the session stays on polling; the next client does not probe", async () => {
    await brokenProxy(broken);
    const s = await opened(client(`http://127.0.0.1:${h.port}`, { handshakeTimeout }));
    const [err] = await next(s, "upgradeError");
    expect(err.code).toBe("TRANSPORT_ERROR");
    expect(err.message).toMatch(/upgrade probe failed/);
    expect(s.transport.name).toBe("polling");
    expect(s.readyState).toBe("open");
    await echo(s, "still here");
    expect(upgrades).toBe(1);

    const again = await opened(client(`http://127.0.0.1:${h.port}`, { handshakeTimeout }));
    expect(again.upgrades).toEqual([]); // websocket is remembered as failing: not offered, not probed
    await echo(again, "polling only");
    expect(upgrades).toBe(1);
  });

  test('["websocket", "polling"]: the WebSocket attempt falls back to polling in the same connect', async () => {
    await brokenProxy(broken);
    const base = `http://127.0.0.1:${h.port}`;
    const s = await opened(client(base, { transports: ["websocket", "polling"], handshakeTimeout }));
    expect(s.transport.name).toBe("polling");
    expect(upgrades).toBe(1);
    await echo(s, "fell back");

    // the failure is remembered in this process: no second WebSocket attempt...
    const second = await opened(client(base, { transports: ["websocket", "polling"] }));
    expect(second.transport.name).toBe("polling");
    expect(upgrades).toBe(1);

    // ...unless told so
    const third = await opened(client(base, { transports: ["websocket", "polling"], retryWebSocket: true, handshakeTimeout }));
    expect(third.transport.name).toBe("polling");
    expect(upgrades).toBe(2);
  });
});

test("a WebSocket that works after a failure was forgotten (retryWebSocket) is used again", async () => {
  await brokenProxy((_req, socket) => socket.destroy());
  const base = `http://127.0.0.1:${h.port}`;
  await opened(client(base, { transports: ["websocket", "polling"] }));
  expect(upgrades).toBe(1);
  // the proxy is fixed: hand upgrades to the engine again
  h.http.removeAllListeners("upgrade");
  h.http.on("upgrade", (req, socket, head) => h.engine.handleUpgrade(req, socket, head));
  const skipped = await opened(client(base, { transports: ["websocket", "polling"] }));
  expect(skipped.transport.name).toBe("polling");
  const s = await opened(client(base, { transports: ["websocket", "polling"], retryWebSocket: true }));
  expect(s.transport.name).toBe("websocket");
  // success cleared the record: the default client upgrades again
  const d = client(base);
  await next(d, "upgrade");
  expect(d.transport.name).toBe("websocket");
});

test("an engine that refuses WebSocket (server transports: [\"polling\"]): the client opens on polling and does not retry", async () => {
  h = await startEngine({ transports: ["polling"] });
  h.engine.on("connection", (s) => s.on("message", (d) => s.send(d)));
  let tries = 0;
  // With no "upgrade" listener, Node hands the WebSocket handshake to "request": the engine answers 400.
  h.http.on("request", (req) => req.headers.upgrade && tries++);
  const base = `http://127.0.0.1:${h.port}`;
  const s = await opened(client(base, { transports: ["websocket", "polling"] }));
  expect(s.transport.name).toBe("polling");
  expect(tries).toBe(1);
  await echo(s, "hi");
  const again = await opened(client(base, { transports: ["websocket", "polling"] }));
  expect(again.transport.name).toBe("polling");
  expect(tries).toBe(1);
});

test("rememberUpgrade: after a WebSocket worked, the next client starts with it", async () => {
  h = await startEngine();
  const base = `http://127.0.0.1:${h.port}`;
  const first = client(base);
  await next(first, "upgrade");
  const second = client(base, { rememberUpgrade: true });
  let requests = 0;
  h.http.on("request", () => requests++);
  await opened(second);
  expect(second.transport.name).toBe("websocket");
  expect(requests).toBe(0); // not a single polling request
});
