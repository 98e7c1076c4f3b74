import type { ManagerOptions, Socket as ClientSocket, SocketOptions } from "socket.io-client";
import type { Socket } from "@duplex/server";
import { TRANSPORTS, connected, once, startServer, type ServerHarness } from "./helpers";

// Connection state recovery: a client that loses its transport and comes back
// within maxDisconnectionDuration gets its id, rooms, data and every packet it
// missed; otherwise it starts afresh. socket.io-client recovers on
// reconnection only, so these clients reconnect, quickly.

jest.setTimeout(10000);

let h: ServerHarness;

afterEach(() => h.close());

function reconnecting(transport: Partial<ManagerOptions>, delay = 10): Partial<ManagerOptions & SocketOptions> {
  return { ...transport, reconnection: true, reconnectionDelay: delay, reconnectionDelayMax: delay, randomizationFactor: 0 };
}

/** The first arguments of each `event` the client receives (a recovering server appends its offset after them). */
function received(c: ClientSocket, event: string): unknown[] {
  const got: unknown[] = [];
  c.on(event, (value: unknown) => got.push(value));
  return got;
}

/** Connects, joins "room", sets data, and delivers one event so the client holds an offset. */
async function connectWithState(opts: Partial<ManagerOptions & SocketOptions>): Promise<[Socket, ClientSocket]> {
  const c = h.client("/", opts);
  const [socket] = await once<[Socket]>(h.io, "connection");
  await connected(c);
  await socket.join(["room", "other"]);
  socket.data = { user: "ann", visits: 1 };
  const hello = once(c, "hello");
  socket.emit("hello", "first");
  await hello;
  return [socket, c];
}

describe.each(TRANSPORTS)("over %s", (_name, transport) => {
  test("a client back within the window gets its id, rooms, data and missed packets in order", async () => {
    h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 5000 } });
    const [socket, c] = await connectWithState(reconnecting(transport));
    const missed = received(c, "missed");
    expect(socket.recovered).toBe(false);

    // while the client is away: broadcasts to its rooms, to all, to others, and to its id
    socket.on("disconnect", () => {
      h.io.to("room").emit("missed", 1);
      h.io.emit("missed", 2);
      h.io.to("elsewhere").emit("missed", "not for it");
      h.io.except("other").emit("missed", "excluded");
      h.io.to(socket.id).emit("missed", 3);
      h.io.to(["room", "other"]).emit("missed", 4);
    });
    const gone = once<[string]>(socket, "disconnect");
    const back = once<[Socket]>(h.io, "connection");
    c.io.engine.close();
    expect((await gone)[0]).toBe("transport close");

    const [again] = await back;
    await connected(c);
    expect(again).not.toBe(socket);
    expect(again.recovered).toBe(true);
    expect(again.id).toBe(socket.id);
    expect(c.recovered).toBe(true);
    expect(c.id).toBe(socket.id);
    expect(again.rooms).toEqual(new Set([socket.id, "room", "other"]));
    expect(h.io.sockets.adapter.rooms.get("room")).toEqual(new Set([socket.id]));
    expect(again.data).toEqual({ user: "ann", visits: 1 });

    // the missed packets arrive right after the CONNECT; a round trip proves nothing else is pending
    again.on("sync", (ack: () => void) => ack());
    await c.emitWithAck("sync");
    expect(missed).toEqual([1, 2, 3, 4]);

    // and it keeps working: live packets keep their order after the missed ones
    const live = once(c, "live");
    h.io.to("room").emit("live", 5);
    await live;
  });
});

test("a recovered socket can be recovered again", async () => {
  h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 5000 } });
  const [socket, c] = await connectWithState(reconnecting({ transports: ["websocket"] }));
  const missed = received(c, "missed");
  for (let round = 1; round <= 2; round++) {
    const [current] = [...h.io.sockets.sockets.values()];
    current.once("disconnect", () => h.io.to("room").emit("missed", round));
    const back = once<[Socket]>(h.io, "connection");
    c.io.engine.close();
    const [again] = await back;
    await connected(c);
    expect(again.recovered).toBe(true);
    expect(again.id).toBe(socket.id);
  }
  const [last] = [...h.io.sockets.sockets.values()];
  last.on("sync", (ack: () => void) => ack());
  await c.emitWithAck("sync");
  expect(missed).toEqual([1, 2]);
});

test("outside the window the client gets a new id and recovered is false", async () => {
  // the client comes back after 150 ms; its state was kept for 30 ms
  h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 30 } });
  const [socket, c] = await connectWithState(reconnecting({ transports: ["websocket"] }, 150));
  const missed = received(c, "missed");
  socket.on("disconnect", () => h.io.to("room").emit("missed", 1));
  const back = once<[Socket]>(h.io, "connection");
  c.io.engine.close();
  const [again] = await back;
  await connected(c);
  expect(again.recovered).toBe(false);
  expect(again.id).not.toBe(socket.id);
  expect(c.recovered).toBe(false);
  expect(c.id).toBe(again.id);
  expect(again.rooms).toEqual(new Set([again.id]));
  expect(again.data).toEqual({});
  again.on("sync", (ack: () => void) => ack());
  await c.emitWithAck("sync");
  expect(missed).toEqual([]);
});

test("without connectionStateRecovery a reconnecting client starts afresh", async () => {
  h = await startServer();
  const [socket, c] = await connectWithState(reconnecting({ transports: ["websocket"] }));
  const back = once<[Socket]>(h.io, "connection");
  c.io.engine.close();
  const [again] = await back;
  await connected(c);
  expect(again.recovered).toBe(false);
  expect(again.id).not.toBe(socket.id);
  expect(again.rooms).toEqual(new Set([again.id]));
  expect(c.recovered).toBeFalsy();
});

test("a deliberate disconnect is not recoverable", async () => {
  h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 5000 } });
  const [socket, c] = await connectWithState(reconnecting({ transports: ["websocket"] }));
  const gone = once(socket, "disconnect");
  c.disconnect();
  await gone;
  const back = once<[Socket]>(h.io, "connection");
  c.connect();
  const [again] = await back;
  expect(again.recovered).toBe(false);
  expect(again.id).not.toBe(socket.id);
});

test("a recovered socket skips the middlewares by default, and runs them with skipMiddlewares: false", async () => {
  for (const skipMiddlewares of [true, false]) {
    h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 5000, skipMiddlewares } });
    const mw = jest.fn((_socket: Socket, next: () => void) => next());
    h.io.use(mw);
    const [socket, c] = await connectWithState(reconnecting({ transports: ["websocket"] }));
    expect(mw).toHaveBeenCalledTimes(1);
    const back = once<[Socket]>(h.io, "connection");
    c.io.engine.close();
    const [again] = await back;
    expect(again.recovered).toBe(true);
    expect(again.id).toBe(socket.id);
    expect(mw).toHaveBeenCalledTimes(skipMiddlewares ? 1 : 2);
    await h.close();
  }
});

test("a forged pid or offset is not recovered", async () => {
  h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 5000 } });
  const [socket, c] = await connectWithState(reconnecting({ transports: ["websocket"] }));
  const gone = once(socket, "disconnect");
  c.io.engine.close();
  await gone;
  c.disconnect();
  // a different client presenting made-up credentials
  const raw = await h.raw(["websocket"]);
  raw.send(`0${JSON.stringify({ pid: "made-up", offset: "nope" })}`);
  const answer = String(await raw.next());
  expect(answer).toMatch(/^0\{"sid":"[\w-]{20}","pid":"[\w-]{20}"\}$/);
  expect(answer).not.toContain(socket.id);
  const [fresh] = [...h.io.sockets.sockets.values()];
  expect(fresh.recovered).toBe(false);
});

test.each([["a made-up string", "nope"], ["another process's offset", "zzzzzz-1"], ["this process's prefix, a counter never issued", null]])(
  "the real pid with %s as offset is not recovered",
  async (_name, forged) => {
    h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 5000 } });
    const [socket, c] = await connectWithState(reconnecting({ transports: ["websocket"] }));
    const { _pid: pid, _lastOffset: offset } = c as unknown as { _pid: string; _lastOffset: string };
    const gone = once(socket, "disconnect");
    c.io.engine.close();
    await gone;
    c.disconnect();
    const never = `${offset.split("-")[0]}-${(Number.MAX_SAFE_INTEGER - 1).toString(36)}`;
    const raw = await h.raw(["websocket"]);
    raw.send(`0${JSON.stringify({ pid, offset: forged ?? never })}`);
    const answer = String(await raw.next());
    expect(answer).not.toContain(socket.id);
    const [fresh] = [...h.io.sockets.sockets.values()];
    expect(fresh.recovered).toBe(false);
  },
);
