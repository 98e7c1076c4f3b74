import WebSocket from "ws";
import type { Socket as ClientSocket } from "socket.io-client";
import type { Socket } from "@duplex/server";
import { TRANSPORTS, connected, once, startServer, until, type ServerHarness } from "./helpers";

// Every way a socket ends, the reason each side is given, and the order of
// "disconnecting" and "disconnect".

jest.setTimeout(10000);

let h: ServerHarness;
const cleanup: Array<() => void> = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0)) fn();
  await h.close();
});

async function connect(nsp = "/", opts: Parameters<ServerHarness["client"]>[1] = {}): Promise<[Socket, ClientSocket]> {
  const c = h.client(nsp, opts);
  const [socket] = await once<[Socket]>(h.io.of(nsp), "connection");
  await connected(c);
  return [socket, c];
}

/** Records "disconnecting"/"disconnect" with their reasons, and the rooms seen at each. */
function record(socket: Socket): { events: Array<[string, string, string[]]>; done: Promise<void> } {
  const events: Array<[string, string, string[]]> = [];
  socket.on("disconnecting", (reason) => events.push(["disconnecting", reason, [...socket.rooms]]));
  const done = new Promise<void>((resolve) =>
    socket.on("disconnect", (reason) => {
      events.push(["disconnect", reason, [...socket.rooms]]);
      resolve();
    }),
  );
  return { events, done };
}

/** Records the next socket from its "connection" on, so a quick disconnect cannot slip by. */
function recordNextConnection(): Promise<ReturnType<typeof record>> {
  return new Promise((resolve) => h.io.once("connection", (socket) => resolve(record(socket))));
}

describe.each(TRANSPORTS)("over %s", (_name, transport) => {
  beforeEach(async () => {
    h = await startServer();
  });

  test('socket.disconnect(): "server namespace disconnect"; the client gets "io server disconnect"', async () => {
    const [socket, c] = await connect("/", transport);
    await socket.join("room");
    const rec = record(socket);
    const clientReason = once<[string]>(c, "disconnect");
    socket.disconnect();
    await rec.done;
    expect(rec.events).toEqual([
      ["disconnecting", "server namespace disconnect", [socket.id, "room"]],
      ["disconnect", "server namespace disconnect", []],
    ]);
    expect(socket.connected).toBe(false);
    expect(await clientReason).toEqual(["io server disconnect"]);
    expect(h.io.sockets.sockets.size).toBe(0);
    // leaving the namespace keeps the session
    expect(h.io.engine.clientsCount).toBe(1);
  });

  test('client socket.disconnect(): "client namespace disconnect"', async () => {
    const [socket, c] = await connect("/", transport);
    const rec = record(socket);
    c.disconnect();
    await rec.done;
    expect(rec.events.map(([e, r]) => [e, r])).toEqual([
      ["disconnecting", "client namespace disconnect"],
      ["disconnect", "client namespace disconnect"],
    ]);
  });

  test('the client closes its engine: "transport close"', async () => {
    const [socket, c] = await connect("/", transport);
    const rec = record(socket);
    c.io.engine.close();
    await rec.done;
    expect(rec.events.map(([e, r]) => [e, r])).toEqual([
      ["disconnecting", "transport close"],
      ["disconnect", "transport close"],
    ]);
    await until(() => h.io.engine.clientsCount === 0);
  });

  test('socket.disconnect(true) ends every namespace of the client and the session', async () => {
    h.io.of("/other");
    const [main, cm] = await connect("/", { ...transport, forceNew: false });
    const [other, co] = await connect("/other", { ...transport, forceNew: false });
    expect(main.conn).toBe(other.conn);
    const recMain = record(main);
    const recOther = record(other);
    const clientReasons = Promise.all([once<[string]>(cm, "disconnect"), once<[string]>(co, "disconnect")]);
    other.disconnect(true);
    await Promise.all([recMain.done, recOther.done]);
    // as socket.io: each namespace is left ("server namespace disconnect"), then the session closes
    expect(recMain.events.map(([e, r]) => [e, r])).toEqual([
      ["disconnecting", "server namespace disconnect"],
      ["disconnect", "server namespace disconnect"],
    ]);
    expect(recOther.events.map(([e, r]) => [e, r])).toEqual([
      ["disconnecting", "server namespace disconnect"],
      ["disconnect", "server namespace disconnect"],
    ]);
    expect((await clientReasons).map(([r]) => r)).toEqual(["io server disconnect", "io server disconnect"]);
    await until(() => h.io.engine.clientsCount === 0);
  });

  test('socket.conn.close(): "forced close" for every namespace of the session', async () => {
    h.io.of("/other");
    const [main] = await connect("/", { ...transport, forceNew: false });
    const [other] = await connect("/other", { ...transport, forceNew: false });
    const recMain = record(main);
    const recOther = record(other);
    main.conn.close();
    await Promise.all([recMain.done, recOther.done]);
    expect(recMain.events.map(([, r]) => r)).toEqual(["forced close", "forced close"]);
    expect(recOther.events.map(([, r]) => r)).toEqual(["forced close", "forced close"]);
  });

  test('io.close(): "server shutting down" in every namespace; the client sees its transport end', async () => {
    h.io.of("/other");
    const usesWebSocket = (transport.transports as string[] | undefined)?.includes("websocket");
    const [main, cm] = await connect("/", transport);
    const [other] = await connect("/other", transport);
    if (usesWebSocket) await until(() => main.conn.transport.name === "websocket");
    const recMain = record(main);
    const recOther = record(other);
    const clientReason = once<[string]>(cm, "disconnect");
    await h.io.close();
    await Promise.all([recMain.done, recOther.done]);
    expect(recMain.events.map(([, r]) => r)).toEqual(["server shutting down", "server shutting down"]);
    expect(recOther.events.map(([, r]) => r)).toEqual(["server shutting down", "server shutting down"]);
    // Over WebSocket the close frame says "transport close". A polling client
    // learns it from the close packet if a poll was pending, else its next poll
    // finds the HTTP server gone ("transport error"): the same race as with socket.io.
    const expected = usesWebSocket ? ["transport close"] : ["transport close", "transport error"];
    expect(expected).toContain((await clientReason)[0]);
  });
});

describe("ping timeout", () => {
  test("a WebSocket client that stops answering pings is dropped with \"ping timeout\"", async () => {
    h = await startServer({ pingInterval: 100, pingTimeout: 100 });
    const recorded = recordNextConnection();
    // a raw client: joins "/", then ignores the server's pings
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/socket.io/?EIO=4&transport=websocket`);
    cleanup.push(() => ws.terminate());
    const pings: string[] = [];
    ws.on("message", (data) => {
      const text = String(data);
      if (text.startsWith("0{")) ws.send("40");
      else if (text === "2") pings.push(text);
    });
    const rec = await recorded;
    await rec.done;
    expect(rec.events.map(([, r]) => r)).toEqual(["ping timeout", "ping timeout"]);
    expect(pings.length).toBeGreaterThanOrEqual(1);
    await until(() => h.io.engine.clientsCount === 0);
  });

  test("a long-polling client that stops polling is dropped with \"ping timeout\"", async () => {
    h = await startServer({ pingInterval: 100, pingTimeout: 100 });
    const recorded = recordNextConnection();
    const base = `${h.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const { sid } = JSON.parse(open.slice(1)) as { sid: string };
    expect((await fetch(`${base}&sid=${sid}`, { method: "POST", body: "40" })).status).toBe(200);
    const rec = await recorded;
    await rec.done;
    expect(rec.events.map(([, r]) => r)).toEqual(["ping timeout", "ping timeout"]);
  });

  test("an official client that answers pings stays connected across several ping intervals", async () => {
    h = await startServer({ pingInterval: 30, pingTimeout: 200 });
    const [socket, c] = await connect("/", { transports: ["websocket"] });
    let pings = 0;
    c.io.engine.on("ping", () => pings++);
    await until(() => pings >= 3);
    expect(socket.connected).toBe(true);
  });
});

describe("disconnect details", () => {
  beforeEach(async () => {
    h = await startServer();
  });

  test("disconnect fires once; disconnecting a disconnected socket is harmless", async () => {
    const [socket, c] = await connect();
    const reasons: string[] = [];
    socket.on("disconnect", (r) => reasons.push(r));
    const clientGone = once(c, "disconnect");
    socket.disconnect();
    socket.disconnect();
    socket.disconnect(true);
    await clientGone;
    expect(reasons).toEqual(["server namespace disconnect"]);
  });

  test("emits to a disconnected socket are dropped without throwing", async () => {
    const [socket, c] = await connect();
    const gone = once(socket, "disconnect");
    c.disconnect();
    await gone;
    expect(() => socket.emit("late", 1)).not.toThrow();
    expect(() => socket.volatile.emit("late", 1)).not.toThrow();
  });

  test("a client that reconnects after a server disconnect gets a new socket", async () => {
    const [socket, c] = await connect();
    const gone = once(c, "disconnect");
    socket.disconnect();
    await gone;
    const next = once<[Socket]>(h.io, "connection");
    c.connect();
    const [again] = await next;
    await connected(c);
    expect(again.id).not.toBe(socket.id);
    expect(c.id).toBe(again.id);
  });
});
