// First: the engine client below loads as the production bundles build it.
import "./production-build";
import type { IncomingMessage } from "node:http";
import { forgetWebSocketFailures } from "@duplex/engine/client";
import { startEngine, type Harness } from "../helpers";
import { client, closeClients, failure, greetingWebSocketServer, OPEN_WITHOUT_MAX_PAYLOAD, openWebSocketOnly, plainServer } from "./helpers";

/**
 * The engine client as built into the production bundles (duplex.min.js,
 * duplex.esm.min.js): no polling request on the side to explain a WebSocket.
 * A websocket-only connection that fails reports the WebSocket's own
 * TRANSPORT_ERROR, and an open packet without maxPayload is taken as it comes.
 * What the side diagnosis says where it is built in: mismatch.test.ts.
 */
let closers: (() => Promise<void> | void)[] = [];
beforeEach(() => forgetWebSocketFailures());
afterEach(async () => {
  closeClients();
  for (const c of closers.splice(0)) await c();
});

/** Polling handshakes (GET without sid) an HTTP server receives. */
function countPollingHandshakes(req: IncomingMessage, seen: { count: number }): void {
  const url = new URL(req.url ?? "/", "http://x");
  if (req.method === "GET" && url.searchParams.get("transport") === "polling" && !url.searchParams.has("sid")) seen.count++;
}

test("websocket only, a server that serves polling only: the WebSocket's TRANSPORT_ERROR, without a side request", async () => {
  const h: Harness = await startEngine({ transports: ["polling"] });
  closers.push(() => h.close());
  const polling = { count: 0 };
  h.http.prependListener("request", (req: IncomingMessage) => countPollingHandshakes(req, polling));
  const err = await failure(client(`http://127.0.0.1:${h.port}`, { transports: ["websocket"] }));
  expect(err.code).toBe("TRANSPORT_ERROR");
  expect(err.message).toMatch(/Unexpected server response: 400/);
  // Nothing was asked, so nothing is claimed: neither a proxy nor an unreachable server.
  expect(err.message).not.toMatch(/polling works|could not be reached/);
  expect(err.status).toBe(400);
  expect(polling.count).toBe(0);
  expect(h.engine.clientsCount).toBe(0);
});

test("websocket only, an open packet without maxPayload: the session opens at once, without a side request", async () => {
  const polling = { count: 0 };
  const p = await plainServer((req, res) => {
    countPollingHandshakes(req, polling);
    res.writeHead(404).end();
  });
  closers.push(p.close);
  closers.unshift(greetingWebSocketServer(p.http, [OPEN_WITHOUT_MAX_PAYLOAD, "4welcome"]));
  const first = await openWebSocketOnly(p.url);
  expect(first.id).toBe("old");
  expect(first.message).toBe("welcome");
  expect(polling.count).toBe(0);
});
