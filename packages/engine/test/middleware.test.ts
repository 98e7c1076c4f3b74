import WebSocket from "ws";
import type { IncomingMessage } from "node:http";
import { httpRequest, startEngine, type Harness } from "./helpers";

let h: Harness;
afterEach(() => h.close());

const HANDSHAKE = "/engine.io/?EIO=4&transport=polling";
const WS = "/engine.io/?EIO=4&transport=websocket";

test("middlewares run in order on every request, and what they attach reaches the session", async () => {
  h = await startEngine();
  const order: string[] = [];
  h.engine.use((req, _res, next) => {
    order.push(`a ${req.method}`);
    (req as IncomingMessage & { user?: string }).user = "ada";
    next();
  });
  h.engine.use((_req, res, next) => {
    order.push("b");
    res.setHeader("X-Seen", "yes");
    next();
  });
  const user = new Promise<string | undefined>((resolve) =>
    h.engine.once("connection", (socket) => resolve((socket.request as IncomingMessage & { user?: string }).user)),
  );
  const res = await httpRequest(h.port, HANDSHAKE);
  expect(res.status).toBe(200);
  expect(res.headers["x-seen"]).toBe("yes");
  expect(await user).toBe("ada");
  expect(order).toEqual(["a GET", "b"]);
});

test("a middleware's error refuses the request with code 3 (MIDDLEWARE_FAILURE)", async () => {
  h = await startEngine();
  const contexts: unknown[] = [];
  h.engine.on("connection_error", (e) => contexts.push(e.context));
  h.engine.use((_req, _res, next) => next(new Error("no session")));
  const res = await httpRequest(h.port, HANDSHAKE);
  expect(res.status).toBe(400);
  expect(JSON.parse(res.body)).toEqual({ code: 3, message: "Bad request" });
  expect(contexts).toEqual([{ name: "MIDDLEWARE_FAILURE", error: "no session" }]);
  expect(h.engine.clientsCount).toBe(0);
});

test("a middleware may answer a request itself", async () => {
  h = await startEngine();
  h.engine.use((_req, res) => res.writeHead(401).end("who are you?"));
  const res = await httpRequest(h.port, HANDSHAKE);
  expect(res.status).toBe(401);
  expect(res.body).toBe("who are you?");
  expect(h.engine.clientsCount).toBe(0);
});

test("on a WebSocket upgrade, headers set by middlewares go into the 101 answer; an error refuses the upgrade", async () => {
  h = await startEngine();
  let refuse = false;
  h.engine.use((_req, res, next) => {
    res.setHeader("X-Upgrade-Seen", "1");
    next(refuse ? new Error("nope") : undefined);
  });
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}${WS}`);
  const headers = await new Promise<Record<string, unknown>>((resolve) => ws.once("upgrade", (r) => resolve(r.headers)));
  expect(headers["x-upgrade-seen"]).toBe("1");
  ws.close();
  refuse = true;
  const refused = new WebSocket(`ws://127.0.0.1:${h.port}${WS}`);
  const status = await new Promise<number>((resolve) => refused.once("unexpected-response", (_req, r) => resolve(r.statusCode ?? 0)));
  expect(status).toBe(400);
});

test("a middleware answering an upgrade ends it with its status", async () => {
  h = await startEngine();
  h.engine.use((_req, res) => res.writeHead(403).end());
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}${WS}`);
  const status = await new Promise<number>((resolve) => ws.once("unexpected-response", (_req, r) => resolve(r.statusCode ?? 0)));
  expect(status).toBe(403);
  expect(h.engine.clientsCount).toBe(0);
});
