import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { startServer, type ServerHarness } from "./helpers";

// 2000 clients connect, join rooms, exchange acks and leave at once; afterwards
// the server must hold no socket, room, ack, engine session or timer.

const CLIENTS = 2000;
const POLLING_SHARE = 200; // some of them over long-polling
let h: ServerHarness;

afterEach(() => h.close());

function timerCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

async function connectAll(): Promise<ClientSocket[]> {
  const sockets: ClientSocket[] = [];
  for (let start = 0; start < CLIENTS; start += 250) {
    const batch = Array.from({ length: Math.min(250, CLIENTS - start) }, (_, k) => {
      const i = start + k;
      return ioc(h.url, {
        forceNew: true,
        reconnection: false,
        transports: i < POLLING_SHARE ? ["polling"] : ["websocket"],
        query: { n: String(i) },
      });
    });
    await Promise.all(batch.map((s) => new Promise<void>((resolve) => s.once("connect", () => resolve()))));
    sockets.push(...batch);
  }
  return sockets;
}

test(`${CLIENTS} clients connect, join rooms, ack and disconnect at once, leaving nothing behind`, async () => {
  h = await startServer({ pingInterval: 60000 });
  const timersBefore = timerCount();
  const acksOutstanding: Array<Promise<unknown>> = [];
  h.io.on("connection", (socket) => {
    const n = Number(socket.handshake.query.n);
    socket.join([`room-${n % 10}`, "all"]);
    // an ack the client will never answer: it must be cleared on disconnect
    acksOutstanding.push(new Promise((resolve) => socket.timeout(600000).emit("never-answered", resolve)));
  });
  const sockets = await connectAll();
  expect(h.io.sockets.sockets.size).toBe(CLIENTS);
  expect(h.io.engine.clientsCount).toBe(CLIENTS);
  expect(h.io.sockets.adapter.rooms.get("all")?.size).toBe(CLIENTS);
  expect(h.io.sockets.adapter.rooms.get("room-3")?.size).toBe(CLIENTS / 10);

  // every one of them answers one ack from a room broadcast
  for (const s of sockets) s.on("ping-room", (ack: (v: string) => void) => ack(s.id ?? ""));
  const responses = await h.io.to("room-7").timeout(10000).emitWithAck("ping-room");
  expect(responses).toHaveLength(CLIENTS / 10);

  const disconnected = new Promise<void>((resolve) => {
    let left = CLIENTS;
    h.io.on("connection", () => undefined);
    for (const socket of h.io.sockets.sockets.values()) {
      socket.once("disconnect", () => {
        if (--left === 0) resolve();
      });
    }
  });
  for (const s of sockets) s.disconnect();
  await disconnected;
  // the pending acks were all rejected ("socket has been disconnected"), none retained
  const errors = await Promise.all(acksOutstanding);
  expect(errors.every((e) => e instanceof Error)).toBe(true);

  expect(h.io.sockets.sockets.size).toBe(0);
  expect(h.io.sockets.adapter.rooms.size).toBe(0);
  expect(h.io.sockets.adapter.sids.size).toBe(0);
  // engine sessions end once their transports report the close
  for (let i = 0; i < 200 && h.io.engine.clientsCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(h.io.engine.clientsCount).toBe(0);
  // no heartbeat, connect or ack timer left on the server (the client library's are closed too)
  for (let i = 0; i < 200 && timerCount() > timersBefore; i++) await new Promise((r) => setTimeout(r, 10));
  expect(timerCount()).toBeLessThanOrEqual(timersBefore);
}, 60000);
