import type { Socket as ClientSocket } from "socket.io-client";
import type { Socket } from "@duplex/server";
import { connected, once, startServer, until, type ServerHarness } from "./helpers";

// Joining and leaving rooms, the adapter's bookkeeping and its events.

jest.setTimeout(10000);

let h: ServerHarness;

afterEach(() => h.close());

async function connect(nsp = "/"): Promise<[Socket, ClientSocket]> {
  const c = h.client(nsp);
  const [socket] = await once<[Socket]>(h.io.of(nsp), "connection");
  await connected(c);
  return [socket, c];
}

test("a socket starts in the room named after its id", async () => {
  h = await startServer();
  const [socket] = await connect();
  expect(socket.rooms).toEqual(new Set([socket.id]));
  expect(h.io.sockets.adapter.rooms.get(socket.id)).toEqual(new Set([socket.id]));
  expect(h.io.sockets.adapter.sids.get(socket.id)).toEqual(new Set([socket.id]));
});

test("join and leave with a string or an array", async () => {
  h = await startServer();
  const [socket] = await connect();
  await socket.join("a");
  await socket.join(["b", "c", "a"]);
  expect(socket.rooms).toEqual(new Set([socket.id, "a", "b", "c"]));
  expect(h.io.sockets.adapter.rooms.get("a")).toEqual(new Set([socket.id]));
  await socket.leave("b");
  expect(socket.rooms).toEqual(new Set([socket.id, "a", "c"]));
  expect(h.io.sockets.adapter.rooms.has("b")).toBe(false);
  // leaving a room one is not in is harmless
  await socket.leave("never-joined");
  expect(socket.rooms.size).toBe(3);
});

test("socket.rooms is a copy: changing it does not join anything", async () => {
  h = await startServer();
  const [socket] = await connect();
  socket.rooms.add("sneaky");
  expect(socket.rooms.has("sneaky")).toBe(false);
  expect(h.io.sockets.adapter.rooms.has("sneaky")).toBe(false);
});

test("rooms are per namespace", async () => {
  h = await startServer();
  const [main] = await connect("/");
  const [other] = await connect("/other");
  await main.join("shared");
  await other.join("shared");
  expect(h.io.sockets.adapter.rooms.get("shared")).toEqual(new Set([main.id]));
  expect(h.io.of("/other").adapter.rooms.get("shared")).toEqual(new Set([other.id]));
});

test('"disconnecting" still sees the rooms; after "disconnect" the socket is in none and the adapter is empty', async () => {
  h = await startServer();
  const [s1, c1] = await connect();
  const [s2, c2] = await connect();
  await s1.join(["x", "y"]);
  await s2.join(["y", "z"]);
  const seen: Array<[string, string[]]> = [];
  s1.on("disconnecting", () => seen.push(["disconnecting", [...s1.rooms].sort()]));
  s1.on("disconnect", () => seen.push(["disconnect", [...s1.rooms]]));
  const gone1 = once(s1, "disconnect");
  c1.disconnect();
  await gone1;
  expect(seen).toEqual([
    ["disconnecting", [s1.id, "x", "y"].sort()],
    ["disconnect", []],
  ]);
  expect(h.io.sockets.adapter.rooms.has("x")).toBe(false);
  expect(h.io.sockets.adapter.rooms.get("y")).toEqual(new Set([s2.id]));

  const gone2 = once(s2, "disconnect");
  c2.disconnect();
  await gone2;
  expect(h.io.sockets.adapter.rooms.size).toBe(0);
  expect(h.io.sockets.adapter.sids.size).toBe(0);
  expect(h.io.sockets.sockets.size).toBe(0);
});

test("rooms are left on every kind of disconnect", async () => {
  h = await startServer();
  const [a] = await connect();
  const [b, cb] = await connect();
  const [c] = await connect();
  for (const s of [a, b, c]) await s.join("room");
  const all = Promise.all([a, b, c].map((s) => once(s, "disconnect")));
  a.disconnect(); // server namespace disconnect
  cb.io.engine.close(); // transport close
  c.disconnect(true); // the whole session
  await all;
  expect(h.io.sockets.adapter.rooms.size).toBe(0);
  expect(h.io.sockets.adapter.sids.size).toBe(0);
});

test("joining after disconnect does not resurrect the socket in the adapter", async () => {
  h = await startServer();
  const [socket, c] = await connect();
  const gone = once(socket, "disconnect");
  c.disconnect();
  await gone;
  // a handler that joins late, e.g. after an await
  await socket.join("late");
  expect(h.io.sockets.adapter.rooms.has("late")).toBe(false);
  expect(h.io.sockets.adapter.sids.has(socket.id)).toBe(false);
});

test("rooms a middleware joined are left when a later middleware refuses the socket", async () => {
  h = await startServer();
  h.io.use((socket, next) => {
    void socket.join("from-middleware");
    next();
  });
  h.io.use((_socket, next) => next(new Error("refused")));
  const c = h.client();
  const [err] = await once<[Error]>(c, "connect_error");
  expect(err.message).toBe("refused");
  expect(h.io.sockets.adapter.rooms.size).toBe(0);
  expect(h.io.sockets.adapter.sids.size).toBe(0);
});

test("rooms a middleware joined are left when the session closes before the socket connects", async () => {
  h = await startServer();
  let release!: () => void;
  const joined = new Promise<void>((resolve) => {
    h.io.use((socket, next) => {
      void socket.join("pending");
      release = next;
      resolve();
    });
  });
  const raw = await h.raw(["websocket"]);
  raw.send("0");
  await joined;
  expect(h.io.sockets.adapter.rooms.has("pending")).toBe(true);
  raw.eio.close();
  await until(() => h.io.engine.clientsCount === 0);
  release();
  expect(h.io.sockets.adapter.rooms.size).toBe(0);
  expect(h.io.sockets.sockets.size).toBe(0);
});

test("adapter events: create-room, join-room, leave-room, delete-room", async () => {
  h = await startServer();
  const events: string[] = [];
  const adapter = h.io.sockets.adapter;
  adapter.on("create-room", (room) => events.push(`create ${room}`));
  adapter.on("join-room", (room, id) => events.push(`join ${room} ${id}`));
  adapter.on("leave-room", (room, id) => events.push(`leave ${room} ${id}`));
  adapter.on("delete-room", (room) => events.push(`delete ${room}`));
  const [s1, c1] = await connect();
  const [s2] = await connect();
  const id1 = s1.id;
  const id2 = s2.id;
  expect(events).toEqual([`create ${id1}`, `join ${id1} ${id1}`, `create ${id2}`, `join ${id2} ${id2}`]);
  events.length = 0;

  await s1.join("r");
  await s2.join("r");
  await s1.join("r"); // already in: nothing
  expect(events).toEqual([`create r`, `join r ${id1}`, `join r ${id2}`]);
  events.length = 0;

  await s2.leave("r");
  expect(events).toEqual([`leave r ${id2}`]);
  events.length = 0;

  const gone = once(s1, "disconnect");
  c1.disconnect();
  await gone;
  expect([...events].sort()).toEqual([`delete ${id1}`, `delete r`, `leave ${id1} ${id1}`, `leave r ${id1}`].sort());
  // a room is deleted after its last member left it
  expect(events.indexOf(`delete r`)).toBeGreaterThan(events.indexOf(`leave r ${id1}`));
});
