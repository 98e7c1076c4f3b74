import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { request } from "node:http";
import { forgetWebSocketFailures, type EngineClientError, type Socket, type SocketOptions } from "@duplex/engine/client";
import { startEngine, type Harness } from "../helpers";
import { client, closeClients, failure, greetingWebSocketServer, OPEN_WITHOUT_MAX_PAYLOAD, opened, openWebSocketOnly, plainServer, type Plain } from "./helpers";

/**
 * A client pointed at something that is not an Engine.IO v4 server gets a
 * coded error within 5 s, saying what it expected and what arrived.
 */
const V3_HANDSHAKE = '96:0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":5000}2:40';

let closers: (() => Promise<void> | void)[] = [];
beforeEach(() => forgetWebSocketFailures());
afterEach(async () => {
  closeClients();
  for (const c of closers.splice(0)) await c();
});

async function http(status: number, body: string, type = "text/plain"): Promise<Plain> {
  const p = await plainServer((_req, res) => res.writeHead(status, { "content-type": type }).end(body));
  closers.push(p.close);
  return p;
}

/** A plain `ws` server with its own HTTP server (which answers other requests 426). */
async function plainWs(onConnection: (ws: import("ws").WebSocket) => void = () => {}): Promise<string> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => wss.once("listening", resolve));
  wss.on("connection", onConnection);
  closers.push(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  return `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

/** Connects and resolves with the error, checking it came within 5 s. */
async function diagnosis(url: string, opts?: SocketOptions, watch?: (s: Socket) => void): Promise<EngineClientError> {
  const t0 = Date.now();
  const s = client(url, opts);
  watch?.(s);
  const err = await failure(s);
  expect(s.readyState).toBe("closed");
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(err.name).toBe("EngineClientError");
  expect(err.message).toContain("docs/why-not-websocket.md");
  return err;
}

describe("a plain WebSocket server", () => {
  test("polling first: its HTTP server's 426 is NOT_ENGINE_IO", async () => {
    const err = await diagnosis(await plainWs());
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(err.status).toBe(426);
    expect(err.received).toBe("Upgrade Required");
    expect(err.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/engine\.io\/\?.*EIO=4.*: not Engine\.IO.*HTTP 426 "Upgrade Required"/);
  });

  test("websocket first, server greets with its own frame: NOT_ENGINE_IO with that frame", async () => {
    const url = await plainWs((ws) => ws.send('{"hello":"world"}'));
    const err = await diagnosis(url, { transports: ["websocket", "polling"] });
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(err.status).toBe(101);
    expect(err.received).toBe('{"hello":"world"}');
    expect(err.message).toMatch(/^WebSocket ws:\/\/127\.0\.0\.1:\d+\/engine\.io\/\?.*expected an open packet 0\{"sid":…\}/);
  });

  test("websocket first, silent server (default 2500 ms deadline): falls back to polling, which gets 426", async () => {
    const err = await diagnosis(await plainWs(), { transports: ["websocket", "polling"] });
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(err.status).toBe(426);
    expect(err.received).toBe("Upgrade Required");
  });

  test("websocket only, silent server: the side GET explains it (426)", async () => {
    const err = await diagnosis(await plainWs(), { transports: ["websocket"], handshakeTimeout: 200 });
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(err.status).toBe(426);
  });

  test("websocket only, a binary first frame", async () => {
    const url = await plainWs((ws) => ws.send(Buffer.from([1, 2, 3])));
    const err = await diagnosis(url, { transports: ["websocket"] });
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(err.received).toBe("<binary frame, 3 bytes>");
  });
});

describe.each([["polling first", undefined], ["websocket first", ["websocket", "polling"]]] as const)("plain HTTP servers, %s", (_n, transports) => {
  const opts = { transports: transports && [...transports] };

  test("404", async () => {
    const err = await diagnosis((await http(404, "Cannot GET /engine.io/")).url, opts);
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(err.status).toBe(404);
    expect(err.received).toBe("Cannot GET /engine.io/");
  });

  test("426 Upgrade Required", async () => {
    const err = await diagnosis((await http(426, "Upgrade Required")).url, opts);
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(err.status).toBe(426);
    expect(err.received).toBe("Upgrade Required");
  });

  test("HTML 200", async () => {
    const err = await diagnosis((await http(200, "<!doctype html><html><body>hi</body></html>", "text/html")).url, opts);
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(err.status).toBe(200);
    expect(err.received).toMatch(/^<!doctype html>/);
  });

  test("JSON without sid", async () => {
    const err = await diagnosis((await http(200, '{"ok":true}', "application/json")).url, opts);
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(err.received).toBe('{"ok":true}');
  });

  test("an open packet without sid", async () => {
    const err = await diagnosis((await http(200, '0{"pingInterval":1}')).url, opts);
    expect(err.code).toBe("NOT_ENGINE_IO");
  });

  test("Engine.IO v3: a length-prefixed payload is UNSUPPORTED_PROTOCOL_VERSION", async () => {
    const err = await diagnosis((await http(200, V3_HANDSHAKE)).url, opts);
    expect(err.code).toBe("UNSUPPORTED_PROTOCOL_VERSION");
    expect(err.status).toBe(200);
    expect(err.received).toBe(V3_HANDSHAKE);
    expect(err.message).toMatch(/Engine\.IO v3.*expected v4/);
  });

  test('a v4 server\'s 400 {"code":5} is UNSUPPORTED_PROTOCOL_VERSION', async () => {
    const err = await diagnosis((await http(400, '{"code":5,"message":"Unsupported protocol version"}', "application/json")).url, opts);
    expect(err.code).toBe("UNSUPPORTED_PROTOCOL_VERSION");
    expect(err.status).toBe(400);
    expect(err.serverError).toEqual({ code: 5, message: "Unsupported protocol version" });
  });
});

test("an Engine.IO v3 server over WebSocket first: the open packet lacks maxPayload, the side GET shows v3", async () => {
  // engine.io 3.x: sends a v3 open packet on the WebSocket (no maxPayload) and length-prefixed polling payloads.
  const p = await http(200, V3_HANDSHAKE);
  closers.unshift(greetingWebSocketServer(p.http, ['0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":5000}', "40"]));
  let messages = 0;
  const err = await diagnosis(p.url, { transports: ["websocket"] }, (s) => s.on("message", () => messages++));
  expect(err.code).toBe("UNSUPPORTED_PROTOCOL_VERSION");
  expect(err.received).toBe(V3_HANDSHAKE);
  expect(messages).toBe(0); // the v3 server's "40" never reached the application
});

describe("a real Engine.IO v4 server", () => {
  let h: Harness;
  afterEach(() => h?.close());

  test("allowRequest refusing: HANDSHAKE_ERROR with the server's {code, message}", async () => {
    h = await startEngine({ allowRequest: (_req, cb) => cb(null, false) });
    const err = await diagnosis(`http://127.0.0.1:${h.port}`);
    expect(err.code).toBe("HANDSHAKE_ERROR");
    expect(err.status).toBe(403);
    expect(err.serverError).toEqual({ code: 4, message: "Forbidden" });
  });

  test("websocket only, but the server serves polling only: TRANSPORT_ERROR that says polling works", async () => {
    h = await startEngine({ transports: ["polling"] });
    let sessions = 0;
    h.engine.on("connection", () => sessions++);
    const err = await diagnosis(`http://127.0.0.1:${h.port}`, { transports: ["websocket"] });
    expect(err.code).toBe("TRANSPORT_ERROR");
    expect(err.message).toMatch(/Unexpected server response: 400.*polling works/);
    // the spare polling session the side GET opened is closed at once
    expect(sessions).toBe(1);
    await Promise.all([...h.engine.sessions.values()].map((c) => new Promise((resolve) => c.once("close", resolve))));
    expect(h.engine.clientsCount).toBe(0);
  });

  test("an open packet without maxPayload on a v4 server (engine.io < 6.1) still opens", async () => {
    // A v4 server that omits maxPayload, like engine.io 4.x/5.x: the side GET answers a v4 handshake.
    h = await startEngine();
    let sideSessions = 0;
    h.engine.on("connection", (s) => s.transport.name === "polling" && sideSessions++);
    const p = await plainServer((req, res) => {
      // forward polling to the real engine
      const up = request({ host: "127.0.0.1", port: h.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    closers.push(p.close);
    closers.unshift(greetingWebSocketServer(p.http, [OPEN_WITHOUT_MAX_PAYLOAD, "4welcome"]));
    const first = await openWebSocketOnly(p.url);
    expect(first.id).toBe("old");
    expect(first.message).toBe("welcome"); // held during the check, delivered after "open"
    expect(sideSessions).toBe(1);
    // The endpoint was checked once in this process: the next session (a reconnection) opens without asking again.
    const again = await opened(client(p.url, { transports: ["websocket"] }));
    expect(again.id).toBe("old");
    expect(sideSessions).toBe(1);
  });
});
