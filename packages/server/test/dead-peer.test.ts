import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import type { Socket } from "@duplex/server";
import { once, startServer, type ServerHarness } from "./helpers";

/**
 * The heartbeat seen from the Socket.IO layer, with real timers and real
 * sockets: a client that vanishes without a TCP close leaves its rooms and
 * stops being written to within pingInterval + pingTimeout of its last pong,
 * while clients that answer stay.
 */

const PING_INTERVAL = 200;
const PING_TIMEOUT = 100;

let h: ServerHarness;
afterEach(() => h.close());

test("a socket whose peer answered pings and then went silent leaves its rooms with 'ping timeout'", async () => {
  h = await startServer({ pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT });
  const connected = once<[Socket]>(h.io, "connection");
  h.io.on("connection", (socket) => socket.join("news"));

  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/socket.io/?EIO=4&transport=websocket`);
  ws.on("error", () => {});
  let pongs = 0;
  let lastPongAt = 0;
  ws.on("message", (data) => {
    const text = String(data);
    if (text.startsWith("0{")) ws.send("40");
    if (text !== "2") return;
    if (pongs < 3) {
      pongs++;
      lastPongAt = performance.now();
      ws.send("3");
    } else {
      ws.pause(); // stops reading, sends nothing, keeps the TCP connection
    }
  });
  const [socket] = await connected;
  expect(h.io.of("/").adapter.rooms.get("news")?.size).toBe(1);

  // Broadcasts keep coming while the peer is silent; they must not pile up past the deadline.
  const sender = setInterval(() => h.io.to("news").emit("tick", "x".repeat(1024)), 20);
  const [reason] = await once<[string]>(socket, "disconnect");
  const detectedAfter = performance.now() - lastPongAt;
  clearInterval(sender);
  ws.terminate();

  expect(reason).toBe("ping timeout");
  expect(pongs).toBe(3);
  expect(detectedAfter).toBeGreaterThanOrEqual(PING_INTERVAL + PING_TIMEOUT - 5);
  expect(detectedAfter).toBeLessThan(PING_INTERVAL + PING_TIMEOUT + 100);
  expect(h.io.of("/").adapter.rooms.get("news")).toBeUndefined();
  expect(h.io.of("/").sockets.size).toBe(0);
  expect(h.io.engine.clientsCount).toBe(0);
});

test.each(["websocket", "polling"] as const)(
  "the official socket.io-client over %s answers every ping and stays connected for 20 intervals",
  async (transport) => {
    h = await startServer({ pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT });
    const connected = once<[Socket]>(h.io, "connection");
    const client = h.client("/", { transports: [transport] });
    const [socket] = await connected;
    let pongs = 0;
    let disconnected = false;
    socket.on("disconnect", () => (disconnected = true));
    await new Promise<void>((resolve) => {
      socket.conn.on("heartbeat", () => {
        if (++pongs === 20) resolve();
      });
    });
    expect(disconnected).toBe(false);
    expect(client.connected).toBe(true);
    // Leave cleanly, so that no request of the client's is still out when the test ends.
    const engineClosed = once(socket.conn, "close");
    client.disconnect();
    await engineClosed;
  },
);
