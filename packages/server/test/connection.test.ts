import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { EngineServer } from "@duplex/engine";
import { Namespace, Server, type Socket } from "@duplex/server";
import { connected, once, startServer, until, type ServerHarness } from "./helpers";

// The Server's constructor forms, attach/listen/close, engine option
// pass-through, and what a connected socket knows about its client.

jest.setTimeout(10000);

let h: ServerHarness | undefined;
const extra: Array<() => unknown> = [];

afterEach(async () => {
  for (const fn of extra.splice(0)) await fn();
  await h?.close();
  h = undefined;
});

function client(url: string, opts: Parameters<typeof ioc>[1] = {}): ClientSocket {
  const socket = ioc(url, { forceNew: true, reconnection: false, ...opts });
  extra.push(() => socket.disconnect());
  return socket;
}

function listening(http: HttpServer): Promise<number> {
  const port = () => (http.address() as AddressInfo).port;
  return http.listening ? Promise.resolve(port()) : once(http, "listening").then(port);
}

/** Handshakes over raw long-polling and returns the open packet's JSON. */
async function handshake(url: string, path = "/socket.io"): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(`${url}${path}/?EIO=4&transport=polling`);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

function openPacket(body: string): { sid: string; upgrades: string[]; pingInterval: number; pingTimeout: number; maxPayload: number } {
  expect(body.charAt(0)).toBe("0");
  return JSON.parse(body.slice(1));
}

describe("constructor forms", () => {
  test("new Server(httpServer, opts) serves on that server", async () => {
    h = await startServer();
    expect(h.io.httpServer).toBe(h.http);
    const c = h.client();
    const [socket] = await once<[Socket]>(h.io, "connection");
    await connected(c);
    expect(c.id).toBe(socket.id);
  });

  test("new Server(port) creates and listens on its own HTTP server, which close() shuts", async () => {
    const io = new Server(0);
    const http = io.httpServer!;
    const port = await listening(http);
    const c = client(`http://127.0.0.1:${port}`);
    await connected(c);
    expect(io.sockets.sockets.size).toBe(1);
    // the server's own HTTP server answers 404 outside the Socket.IO path
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(404);
    await io.close();
    expect(http.listening).toBe(false);
  });

  test("new Server() then io.listen(port)", async () => {
    const io = new Server({ pingInterval: 12345 });
    expect(io.httpServer).toBeUndefined();
    io.listen(0);
    extra.push(() => io.close());
    const port = await listening(io.httpServer!);
    expect(openPacket((await handshake(`http://127.0.0.1:${port}`)).body).pingInterval).toBe(12345);
  });

  test("new Server(opts) then io.attach(httpServer, opts) merges the options", async () => {
    const http = createServer();
    const io = new Server({ pingInterval: 11111 });
    io.attach(http, { pingTimeout: 2222 });
    extra.push(() => io.close());
    http.listen(0, "127.0.0.1");
    const port = await listening(http);
    const open = openPacket((await handshake(`http://127.0.0.1:${port}`)).body);
    expect(open.pingInterval).toBe(11111);
    expect(open.pingTimeout).toBe(2222);
    const c = client(`http://127.0.0.1:${port}`);
    await connected(c);
  });

  test("io.engine is the Engine.IO server and io.sockets the main namespace", async () => {
    h = await startServer();
    expect(h.io.engine).toBeInstanceOf(EngineServer);
    expect(h.io.sockets).toBeInstanceOf(Namespace);
    expect(h.io.sockets).toBe(h.io.of("/"));
    expect(h.io.sockets.name).toBe("/");
  });
});

describe("close", () => {
  test("io.close(cb) disconnects every socket, closes the sessions, then the HTTP server", async () => {
    h = await startServer();
    // over WebSocket the client's reason is exact; see disconnect.test.ts for polling
    const c = h.client("/", { transports: ["websocket"] });
    const [socket] = await once<[Socket]>(h.io, "connection");
    await connected(c);
    const serverReason = once<[string]>(socket, "disconnect");
    const clientReason = once<[string]>(c, "disconnect");
    const cb = jest.fn();
    await h.io.close(cb);
    expect(cb).toHaveBeenCalledTimes(1);
    expect((await serverReason)[0]).toBe("server shutting down");
    expect((await clientReason)[0]).toBe("transport close");
    expect(h.io.sockets.sockets.size).toBe(0);
    expect(h.io.engine.clientsCount).toBe(0);
    expect(h.http.listening).toBe(false);
  });

  test("io.close() without an HTTP server resolves", async () => {
    const io = new Server();
    const cb = jest.fn();
    await io.close(cb);
    expect(cb).toHaveBeenCalledTimes(1);
  });
});

describe("path", () => {
  test('the default path is "/socket.io"', async () => {
    h = await startServer();
    const res = await handshake(h.url);
    expect(res.status).toBe(200);
    expect(openPacket(res.body).sid).toMatch(/^[\w-]{20}$/);
  });

  test("a custom path is served", async () => {
    h = await startServer({ path: "/custom" });
    expect((await handshake(h.url, "/custom")).status).toBe(200);
    const c = h.client("/", { path: "/custom" });
    await connected(c);
    expect(h.io.sockets.sockets.size).toBe(1);
  });
});

describe("engine options pass through", () => {
  test("pingInterval, pingTimeout, maxHttpBufferSize reach the handshake", async () => {
    h = await startServer({ pingInterval: 3000, pingTimeout: 4000, maxHttpBufferSize: 5000 });
    const open = openPacket((await handshake(h.url)).body);
    expect(open).toMatchObject({ pingInterval: 3000, pingTimeout: 4000, maxPayload: 5000, upgrades: ["websocket"] });
  });

  test('transports: ["websocket"] refuses polling, accepts WebSocket', async () => {
    h = await startServer({ transports: ["websocket"] });
    expect((await handshake(h.url)).status).toBe(400);
    const c = h.client("/", { transports: ["websocket"] });
    await connected(c);
    expect(c.io.engine.transport.name).toBe("websocket");
  });

  test("cors answers the preflight and the handshake", async () => {
    h = await startServer({ cors: { origin: "https://app.example", credentials: true } });
    const pre = await fetch(`${h.url}/socket.io/?EIO=4&transport=polling`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "GET" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const res = await fetch(`${h.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: "https://app.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
  });

  test("allowRequest can refuse a client, which gets a connect_error", async () => {
    h = await startServer({ allowRequest: (req, cb) => cb(null, req.url!.includes("token=ok")) });
    const refused = h.client("/", { transports: ["polling"], query: { token: "bad" } });
    const [err] = await once<[Error]>(refused, "connect_error");
    expect(err).toBeInstanceOf(Error);
    expect(h.io.engine.clientsCount).toBe(0);
    const allowed = h.client("/", { query: { token: "ok" } });
    await connected(allowed);
  });
});

describe("the connected socket", () => {
  test("socket.id is its own, distinct from the engine sid, and the client learns it", async () => {
    h = await startServer();
    const c = h.client();
    const [socket] = await once<[Socket]>(h.io, "connection");
    await connected(c);
    expect(socket.id).toMatch(/^[\w-]{20}$/);
    expect(socket.conn.id).toBe(c.io.engine.id);
    expect(socket.id).not.toBe(socket.conn.id);
    expect(c.id).toBe(socket.id);
    expect(socket.connected).toBe(true);
    expect(socket.disconnected).toBe(false);
  });

  test("socket.handshake carries headers, time, address, xdomain, secure, issued, url, query, auth", async () => {
    h = await startServer();
    const before = Date.now();
    const c = h.client("/", {
      query: { room: "lobby", n: "1" },
      auth: { token: "abc" },
      extraHeaders: { "x-custom": "yes", origin: "https://elsewhere.example" },
      transports: ["polling"],
    });
    const [socket] = await once<[Socket]>(h.io, "connection");
    await connected(c);
    const hs = socket.handshake;
    expect(hs.headers["x-custom"]).toBe("yes");
    expect(hs.headers.host).toBe(`127.0.0.1:${h.port}`);
    expect(hs.address).toMatch(/127\.0\.0\.1$/);
    expect(hs.xdomain).toBe(true);
    expect(hs.secure).toBe(false);
    expect(hs.issued).toBeGreaterThanOrEqual(before);
    expect(hs.issued).toBeLessThanOrEqual(Date.now());
    expect(typeof hs.time).toBe("string");
    expect(new Date(hs.time).getTime()).toBeGreaterThan(before - 2000);
    expect(hs.url).toMatch(/^\/socket\.io\/\?/);
    expect(hs.url).toContain("room=lobby");
    expect(hs.query).toMatchObject({ room: "lobby", n: "1", EIO: "4", transport: "polling" });
    expect(hs.auth).toEqual({ token: "abc" });
  });

  test("socket.handshake read late has the values of the join, and is the same object on every read", async () => {
    h = await startServer();
    const c = h.client("/", { transports: ["websocket"], query: { n: "7" } });
    const [socket] = await once<[Socket]>(h.io, "connection");
    await connected(c);
    const joined = Date.now();
    // The wall clock moves a minute on before the first read; timers stay real.
    jest.useFakeTimers({
      now: joined + 60_000,
      doNotFake: ["hrtime", "nextTick", "performance", "queueMicrotask", "setImmediate", "clearImmediate", "setInterval", "clearInterval", "setTimeout", "clearTimeout"],
    });
    try {
      const hs = socket.handshake;
      expect(hs.issued).toBeLessThanOrEqual(joined);
      expect(hs.time).toBe(new Date(hs.issued).toString());
      expect(hs.query).toMatchObject({ n: "7", transport: "websocket" });
      expect(socket.handshake).toBe(hs);
    } finally {
      jest.useRealTimers();
    }
  });

  test("a same-origin client has xdomain false", async () => {
    h = await startServer();
    const c = h.client("/", { transports: ["websocket"] });
    const [socket] = await once<[Socket]>(h.io, "connection");
    await connected(c);
    expect(socket.handshake.xdomain).toBe(false);
    expect(socket.handshake.auth).toEqual({});
  });

  test("socket.data starts empty and is kept; socket.nsp is the namespace; socket.recovered is false", async () => {
    h = await startServer();
    h.io.use((socket, next) => {
      (socket.data as Record<string, unknown>).user = "ann";
      next();
    });
    const c = h.client();
    const [socket] = await once<[Socket]>(h.io, "connection");
    await connected(c);
    expect(socket.data).toEqual({ user: "ann" });
    expect(socket.nsp).toBe(h.io.sockets);
    expect(socket.recovered).toBe(false);
    expect(c.recovered).toBeFalsy();
    expect(h.io.sockets.sockets.get(socket.id)).toBe(socket);
  });
});

describe("connectTimeout", () => {
  test("closes a session that joins no namespace in time", async () => {
    h = await startServer({ connectTimeout: 100 });
    const started = Date.now();
    const raw = await h.raw(["websocket"]);
    expect(h.io.engine.clientsCount).toBe(1);
    expect(await raw.closed).toBe("transport close");
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await until(() => h!.io.engine.clientsCount === 0);
  });

  test("over long-polling too", async () => {
    h = await startServer({ connectTimeout: 100 });
    const raw = await h.raw(["polling"]);
    expect(await raw.closed).toBe("transport close");
    await until(() => h!.io.engine.clientsCount === 0);
  });

  test("leaves a session that joined alone", async () => {
    h = await startServer({ connectTimeout: 50 });
    const raw = await h.raw(["websocket"]);
    expect(await raw.join()).toMatch(/^0\{"sid":"[\w-]{20}"\}$/);
    // nothing to await for a timer that must not fire: wait past it, then prove the session still answers
    await new Promise((r) => setTimeout(r, 120));
    const [socket] = [...h.io.sockets.sockets.values()];
    socket.on("echo", (v: string, ack: (v: string) => void) => ack(v));
    raw.send('21["echo","still here"]');
    expect(await raw.next()).toBe('31["still here"]');
    expect(h.io.engine.clientsCount).toBe(1);
  });
});
