import WebSocket from "ws";
import type { ConnectionError } from "@duplex/engine";
import { httpRequest, pollingHandshake, startEngine, type Harness } from "./helpers";

let h: Harness;
let refused: ConnectionError[];

beforeEach(async () => {
  h = await startEngine();
  refused = [];
  h.engine.on("connection_error", (e) => refused.push(e));
});
afterEach(() => h.close());

function firstFrame(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("message", (data) => {
      resolve(String(data));
      ws.close();
    });
    ws.once("error", reject);
  });
}

describe("handshake", () => {
  test("over polling: open packet with sid, upgrades, pingInterval, pingTimeout, maxPayload", async () => {
    const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; charset=UTF-8");
    expect(res.body[0]).toBe("0");
    const open = JSON.parse(res.body.slice(1));
    expect(open).toEqual({
      sid: expect.stringMatching(/^[A-Za-z0-9_-]{20}$/),
      upgrades: ["websocket"],
      pingInterval: 25000,
      pingTimeout: 20000,
      maxPayload: 1000000,
    });
    expect(h.engine.clientsCount).toBe(1);
    expect(h.engine.sessions.get(open.sid)?.transport.name).toBe("polling");
  });

  test("over websocket: the first frame is the open packet, with no upgrades", async () => {
    const frame = await firstFrame(`ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket`);
    expect(frame[0]).toBe("0");
    const open = JSON.parse(frame.slice(1));
    expect(open.upgrades).toEqual([]);
    expect(open.sid).toMatch(/^[A-Za-z0-9_-]{20}$/);
  });

  test("sids are distinct across 200 handshakes", async () => {
    const sids = await Promise.all(Array.from({ length: 200 }, () => pollingHandshake(h.port).then((r) => r.sid)));
    expect(new Set(sids).size).toBe(200);
  });

  test("emits 'connection' with an open socket", async () => {
    const seen = new Promise<string>((resolve) => h.engine.once("connection", (s) => resolve(s.readyState)));
    await pollingHandshake(h.port);
    expect(await seen).toBe("open");
  });

  test("a path outside the engine goes to the server's own handler", async () => {
    const res = await httpRequest(h.port, "/engine.iox/?EIO=4&transport=polling");
    expect(res.status).toBe(404);
    expect(res.body).toBe("not the engine");
  });
});

describe("refused requests get the Engine.IO error code", () => {
  const cases: Array<[string, string, { method?: string }, number, number, string]> = [
    ["unknown transport", "?EIO=4&transport=carrier-pigeon", {}, 400, 0, "Transport unknown"],
    ["missing transport", "?EIO=4", {}, 400, 0, "Transport unknown"],
    ["unknown sid", "?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", {}, 400, 1, "Session ID unknown"],
    ["handshake with POST", "?EIO=4&transport=polling", { method: "POST" }, 400, 2, "Bad handshake method"],
    ["handshake with PUT", "?EIO=4&transport=polling", { method: "PUT" }, 400, 2, "Bad handshake method"],
    ["websocket transport over plain HTTP", "?EIO=4&transport=websocket", {}, 400, 3, "Bad request"],
    ["repeated query parameter", "?EIO=4&transport=polling&transport=polling", {}, 400, 3, "Bad request"],
    ["missing EIO", "?transport=polling", {}, 400, 5, "Unsupported protocol version"],
    ["EIO=3", "?EIO=3&transport=polling", {}, 400, 5, "Unsupported protocol version"],
    ["EIO=5", "?EIO=5&transport=polling", {}, 400, 5, "Unsupported protocol version"],
  ];
  test.each(cases)("%s", async (_name, query, opts, status, code, message) => {
    const res = await httpRequest(h.port, `/engine.io/${query}`, opts);
    expect(res.status).toBe(status);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(res.body)).toEqual({ code, message });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ code, message });
    expect(h.engine.clientsCount).toBe(0);
  });

  test("an origin with control characters is refused and the server stays up", async () => {
    // Node's HTTP parser refuses the header before the engine sees it (400);
    // the engine's own origin check guards handleRequest() called from elsewhere.
    const raw = await rawHttp(
      h.port,
      "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: http://a\u0001b\r\nConnection: close\r\n\r\n",
    );
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(h.engine.clientsCount).toBe(0);
    expect((await pollingHandshake(h.port)).sid).toHaveLength(20);
  });

  test("allowRequest refusing gives 403 Forbidden", async () => {
    await h.close();
    h = await startEngine({ allowRequest: (_req, cb) => cb("no thanks", false) });
    h.engine.on("connection_error", (e) => refused.push(e));
    const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
    expect(res.status).toBe(403);
    // engine.io sends allowRequest's own message
    expect(JSON.parse(res.body)).toEqual({ code: 4, message: "no thanks" });
    expect(refused[0].context).toEqual({ message: "no thanks" });
  });

  test("allowRequest refusing without a message gives the standard one", async () => {
    await h.close();
    h = await startEngine({ allowRequest: (_req, cb) => cb(null, false) });
    const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ code: 4, message: "Forbidden" });
  });

  test("allowRequest may answer asynchronously and accept", async () => {
    await h.close();
    h = await startEngine({ allowRequest: (req, cb) => setImmediate(() => cb(null, req.headers["x-token"] === "ok")) });
    expect((await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling", { headers: { "x-token": "ok" } })).status).toBe(200);
    expect((await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling")).status).toBe(403);
  });

  test("a transport left out of `transports` is unknown", async () => {
    await h.close();
    h = await startEngine({ transports: ["websocket"] });
    const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
    expect(JSON.parse(res.body)).toEqual({ code: 0, message: "Transport unknown" });
  });
});

export function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const net = require("node:net") as typeof import("node:net");
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on("data", (c) => chunks.push(c));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
  });
}
