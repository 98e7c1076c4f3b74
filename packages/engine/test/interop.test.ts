/**
 * Interop with the official engine.io-client 6.6.8 over real sockets on
 * 127.0.0.1: polling only, WebSocket only, and the default polling→WebSocket
 * upgrade; text and binary both ways, ordering across an upgrade, the close
 * paths, send callbacks and the heartbeat.
 */
import { Socket as ClientSocket, type SocketOptions } from "engine.io-client";
import type { CloseReason, EngineOptions, EngineSocket } from "@duplex/engine";
import { httpRequest, once, pollingHandshake, startEngine, type Harness } from "./helpers";

type Mode = "polling" | "websocket" | "upgrade";

let h: Harness | undefined;
const clients: ClientSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await h?.close();
  h = undefined;
});

/** The client options each mode stands for. */
function clientOptions(mode: Mode): Partial<SocketOptions> {
  if (mode === "polling") return { transports: ["polling"] };
  if (mode === "websocket") return { transports: ["websocket"] };
  return {}; // default: polling first, then the upgrade to WebSocket
}

function newClient(opts: Partial<SocketOptions> = {}): ClientSocket {
  const client = new ClientSocket(`http://127.0.0.1:${h!.port}`, opts);
  clients.push(client);
  return client;
}

interface Pair {
  client: ClientSocket;
  socket: EngineSocket;
  /** Events the server socket emitted about the upgrade, in order. */
  serverUpgradeEvents: string[];
}

/**
 * Starts an engine, connects a client in `mode`, and resolves once both ends
 * are open (and, for "upgrade", once both ends have switched to WebSocket).
 */
async function connect(mode: Mode, engineOpts: EngineOptions = {}): Promise<Pair> {
  h = await startEngine(engineOpts);
  const serverUpgradeEvents: string[] = [];
  const connection = new Promise<EngineSocket>((resolve) =>
    h!.engine.once("connection", (socket) => {
      socket.on("upgrading", (t) => serverUpgradeEvents.push(`upgrading:${t.name}`));
      socket.on("upgrade", (t) => serverUpgradeEvents.push(`upgrade:${t.name}`));
      resolve(socket);
    }),
  );
  const client = newClient(clientOptions(mode));
  const clientUpgraded = mode === "upgrade" ? once(client, "upgrade") : undefined;
  await once(client, "open");
  const socket = await connection;
  if (mode === "upgrade") {
    await clientUpgraded;
    if (socket.transport.name !== "websocket") await once(socket, "upgrade");
  }
  return { client, socket, serverUpgradeEvents };
}

/** Connects one more client in `mode` to the running engine; resolves as `connect` does. */
async function connectAnother(mode: Mode): Promise<{ client: ClientSocket; socket: EngineSocket }> {
  const connection = once<[EngineSocket]>(h!.engine, "connection");
  const client = newClient(clientOptions(mode));
  const clientUpgraded = mode === "upgrade" ? once(client, "upgrade") : undefined;
  await once(client, "open");
  const [socket] = await connection;
  if (mode === "upgrade") {
    await clientUpgraded;
    if (socket.transport.name !== "websocket") await once(socket, "upgrade");
  }
  return { client, socket };
}

/** Resolves once `condition()` holds; checks after each turn of the event loop, fails after `ms`. */
async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${condition}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Collects the next `n` "message" events of `emitter`. */
function collect<T>(emitter: { on(e: "message", l: (d: T) => void): unknown; off(e: "message", l: (d: T) => void): unknown }, n: number): Promise<T[]> {
  return new Promise((resolve) => {
    const got: T[] = [];
    const onMessage = (d: T) => {
      got.push(d);
      if (got.length === n) {
        emitter.off("message", onMessage);
        resolve(got);
      }
    };
    emitter.on("message", onMessage);
  });
}

/** Bytes of a Buffer, ArrayBuffer or view, as a plain array (for exact comparisons). */
function bytes(data: unknown): number[] {
  if (data instanceof ArrayBuffer) return [...new Uint8Array(data)];
  if (ArrayBuffer.isView(data)) return [...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
  throw new Error(`not binary: ${typeof data} ${String(data)}`);
}

const TEXTS = ["hello", "", "héllo wörld € 😀", "4not a packet type", "x".repeat(1500)];

describe.each<Mode>(["polling", "websocket", "upgrade"])("engine.io-client 6.6.8 over %s", (mode) => {
  const expected = mode === "polling" ? "polling" : "websocket";

  test("opens a session on the expected transport, on both sides", async () => {
    const { client, socket, serverUpgradeEvents } = await connect(mode);
    expect(client.transport.name).toBe(expected);
    expect(socket.transport.name).toBe(expected);
    expect(client.id).toBe(socket.id);
    expect(socket.readyState).toBe("open");
    expect(h!.engine.clientsCount).toBe(1);
    // Only the upgrade mode upgrades, and then "upgrading" comes strictly before "upgrade".
    expect(serverUpgradeEvents).toEqual(mode === "upgrade" ? ["upgrading:websocket", "upgrade:websocket"] : []);
  });

  test("text both ways, in order and intact", async () => {
    const { client, socket } = await connect(mode);
    const atServer = collect<string | Buffer>(socket, TEXTS.length);
    for (const t of TEXTS) client.send(t);
    expect(await atServer).toEqual(TEXTS);

    const atClient = collect<unknown>(client, TEXTS.length);
    for (const t of TEXTS) socket.send(t);
    // The server writes "" as a bare "4"; engine.io-parser's decodePacket gives the client
    // no data for it, so the client emits undefined (as it does against the reference server).
    expect(await atClient).toEqual(TEXTS.map((t) => (t === "" ? undefined : t)));
  });

  test("binary server → client arrives as Buffer with binaryType nodebuffer", async () => {
    const { client, socket } = await connect(mode);
    const backing = new Uint8Array([0xaa, 0xbb, 1, 2, 3, 0xcc]);
    const got = collect<unknown>(client, 4);
    socket.send(Buffer.from([0, 1, 2, 253, 254, 255]));
    socket.send(new Uint8Array(backing.buffer, 2, 3)); // a view with an offset: only its own bytes go
    socket.send(new Uint8Array([9, 8, 7]).buffer);
    socket.send(Buffer.alloc(0));
    const [a, b, c, d] = await got;
    for (const m of [a, b, c, d]) expect(Buffer.isBuffer(m)).toBe(true);
    expect(bytes(a)).toEqual([0, 1, 2, 253, 254, 255]);
    expect(bytes(b)).toEqual([1, 2, 3]);
    expect(bytes(c)).toEqual([9, 8, 7]);
    expect(bytes(d)).toEqual([]);
  });

  test("binary server → client arrives as ArrayBuffer with binaryType arraybuffer", async () => {
    const { client, socket } = await connect(mode);
    client.binaryType = "arraybuffer";
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const got = collect<unknown>(client, 2);
    socket.send(all);
    socket.send(Buffer.from("binary, not text"));
    const [a, b] = await got;
    expect(a).toBeInstanceOf(ArrayBuffer);
    expect(b).toBeInstanceOf(ArrayBuffer);
    expect(bytes(a)).toEqual([...all]);
    expect(Buffer.from(b as ArrayBuffer).toString()).toBe("binary, not text");
  });

  test("binary client → server arrives as Buffer: from Buffer, Uint8Array view and ArrayBuffer", async () => {
    const { client, socket } = await connect(mode);
    const backing = new Uint8Array([0xee, 10, 20, 30, 0xff]);
    const got = collect<string | Buffer>(socket, 4);
    client.send(Buffer.from([255, 0, 128, 1]));
    client.send(new Uint8Array(backing.buffer, 1, 3));
    client.send(new Uint8Array([4, 5, 6]).buffer);
    client.send("text between binaries");
    const [a, b, c, d] = await got;
    for (const m of [a, b, c]) expect(Buffer.isBuffer(m)).toBe(true);
    expect(bytes(a)).toEqual([255, 0, 128, 1]);
    expect(bytes(b)).toEqual([10, 20, 30]);
    expect(bytes(c)).toEqual([4, 5, 6]);
    expect(d).toBe("text between binaries");
  });

  test("send callbacks fire once each, in order, after the message is written", async () => {
    const { client, socket } = await connect(mode);
    const fired: number[] = [];
    const created: string[] = [];
    // What had been created when each callback ran: a callback never runs before its message exists.
    const createdWhenFired: string[][] = [];
    socket.on("packetCreate", (p) => p.type === "message" && created.push(String(p.data)));
    const received = collect<unknown>(client, 3);
    const allFired = new Promise<void>((resolve) => {
      for (const i of [1, 2, 3]) {
        socket.send(`m${i}`, () => {
          createdWhenFired.push([...created]);
          fired.push(i);
          if (fired.length === 3) resolve();
        });
      }
    });
    await allFired;
    expect(await received).toEqual(["m1", "m2", "m3"]);
    expect(fired).toEqual([1, 2, 3]);
    createdWhenFired.forEach((seen, i) => expect(seen).toContain(`m${i + 1}`));

    // Options and a callback together, binary data.
    const one = new Promise<void>((resolve) => socket.send(Buffer.from([1]), { compress: false }, resolve));
    const bin = collect<unknown>(client, 1);
    await one;
    expect(bytes((await bin)[0])).toEqual([1]);
    expect(fired).toEqual([1, 2, 3]); // nothing fired twice
  });

  test("server socket.close() reaches the client as close", async () => {
    const { client, socket } = await connect(mode);
    const clientClosed = once<[string, unknown]>(client, "close");
    const serverClosed = once<[CloseReason, string | undefined]>(socket, "close");
    socket.close();
    const [reason, details] = await clientClosed;
    expect(reason).toBe("transport close");
    if (mode === "polling") {
      // The close packet came on a poll: the client's polling transport says so.
      expect(details).toEqual({ description: "transport closed by the server" });
    }
    expect((await serverClosed)[0]).toBe("forced close");
    expect(client.readyState).toBe("closed");
    expect(socket.readyState).toBe("closed");
    expect(h!.engine.clientsCount).toBe(0);
  });

  test("server socket.close() writes what is buffered before closing", async () => {
    const { client, socket } = await connect(mode);
    const got: unknown[] = [];
    client.on("message", (m) => got.push(m));
    const clientClosed = once<[string]>(client, "close");
    socket.send("last words");
    socket.send("really the last");
    socket.close();
    await clientClosed;
    expect(got).toEqual(["last words", "really the last"]);
  });

  test("client close() reaches the server as close with reason transport close", async () => {
    const { client, socket } = await connect(mode);
    const serverClosed = once<[CloseReason, string | undefined]>(socket, "close");
    const clientClosed = once<[string]>(client, "close");
    client.close();
    expect((await clientClosed)[0]).toBe("forced close");
    expect((await serverClosed)[0]).toBe("transport close");
    expect(h!.engine.clientsCount).toBe(0);
    expect(h!.engine.sessions.size).toBe(0);
  });

  test("engine.close() closes the clients; server sockets get server shutting down", async () => {
    const { client, socket } = await connect(mode);
    const { client: second, socket: socket2 } = await connectAnother(mode);
    if (mode === "polling") {
      // A shutdown delivers the close packet on the pending poll: let both clients' polls arrive.
      await waitFor(() => socket.transport.writable && socket2.transport.writable);
    }
    const reasons = Promise.all([socket, socket2].map((s) => once<[CloseReason]>(s, "close")));
    const clientReasons = Promise.all([client, second].map((c) => once<[string]>(c, "close")));
    h!.engine.close();
    expect((await reasons).map(([r]) => r)).toEqual(["server shutting down", "server shutting down"]);
    expect((await clientReasons).map(([r]) => r)).toEqual(["transport close", "transport close"]);
    expect(h!.engine.clientsCount).toBe(0);
    expect(h!.engine.sessions.size).toBe(0);
  });

  test("heartbeat with small intervals: several pongs, the session stays open", async () => {
    const started = Date.now();
    const { client, socket } = await connect(mode, { pingInterval: 50, pingTimeout: 200 });
    let clientClosed: string | null = null;
    let serverClosed: string | null = null;
    client.on("close", (r) => (clientClosed = r));
    socket.on("close", (r) => (serverClosed = r));
    let pings = 0;
    client.on("ping", () => pings++);
    await new Promise<void>((resolve) => {
      let beats = 0;
      socket.on("heartbeat", () => ++beats === 4 && resolve());
    });
    expect(pings).toBeGreaterThanOrEqual(4);
    // 4 beats at 50 ms are ~200 ms; the client would have given up after 250 ms of silence.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(clientClosed).toBeNull();
    expect(serverClosed).toBeNull();
    expect(client.readyState).toBe("open");
    expect(socket.readyState).toBe("open");
    // Still usable after the beats.
    const echo = collect<unknown>(client, 1);
    socket.send("alive");
    expect(await echo).toEqual(["alive"]);
  }, 5000);
});

describe("upgrade with the real client", () => {
  test("client upgrade event, and upgrading then upgrade on the server", async () => {
    h = await startEngine();
    const order: string[] = [];
    h.engine.once("connection", (socket) => {
      order.push(`connection:${socket.transport.name}`);
      socket.on("upgrading", (t) => order.push(`server upgrading:${t.name}:${socket.transport.name}`));
      socket.on("upgrade", (t) => order.push(`server upgrade:${t.name}:${socket.transport.name}`));
    });
    const client = newClient();
    client.on("open", () => order.push(`client open:${client.transport.name}`));
    client.on("upgrading", (t) => order.push(`client upgrading:${t.name}`));
    const [to] = await once<[{ name: string }]>(client, "upgrade");
    expect(to.name).toBe("websocket");
    expect(client.transport.name).toBe("websocket");
    const socket = [...h.engine.sessions.values()][0];
    if (socket.transport.name !== "websocket") await once(socket, "upgrade");
    expect(order).toEqual([
      "connection:polling",
      "client open:polling",
      "server upgrading:websocket:polling",
      "client upgrading:websocket",
      "server upgrade:websocket:websocket",
    ]);
  });

  test("1000 messages each way across the upgrade: none lost, none duplicated, in order", async () => {
    h = await startEngine();
    const N = 1000;
    const atServer: Array<{ data: string; transport: string }> = [];
    const atClient: Array<{ data: string; transport: string }> = [];
    const serverDone = new Promise<void>((resolve) =>
      h!.engine.once("connection", (socket) => {
        // The server's 1000 go out in three phases: before the probe, while the
        // client is probing (polling still current), and after the switch.
        let next = 0;
        const sendUpTo = (end: number) => {
          while (next < end) socket.send(`s${next++}`);
        };
        sendUpTo(400);
        socket.once("upgrading", () => sendUpTo(700));
        socket.once("upgrade", () => sendUpTo(N));
        socket.on("message", (data) => {
          atServer.push({ data: String(data), transport: socket.transport.name });
          if (atServer.length === N) resolve();
        });
      }),
    );
    const client = newClient();
    const clientDone = new Promise<void>((resolve) =>
      client.on("message", (data) => {
        atClient.push({ data: String(data), transport: client.transport.name });
        if (atClient.length === N) resolve();
      }),
    );
    // The client's 1000 go out the same way: at open (polling), while upgrading
    // (buffered by the client until the switch), and after the upgrade.
    let next = 0;
    const sendUpTo = (end: number) => {
      while (next < end) client.send(`c${next++}`);
    };
    client.once("open", () => sendUpTo(400));
    client.once("upgrading", () => sendUpTo(700));
    client.once("upgrade", () => sendUpTo(N));
    await Promise.all([serverDone, clientDone]);

    const numbered = (prefix: string) => Array.from({ length: N }, (_, i) => `${prefix}${i}`);
    expect(atServer.map((m) => m.data)).toEqual(numbered("c"));
    expect(atClient.map((m) => m.data)).toEqual(numbered("s"));
    expect(client.transport.name).toBe("websocket");
    const socket = [...h.engine.sessions.values()][0];
    expect(socket.transport.name).toBe("websocket");
    // The upgrade happened in the middle: some messages came over each transport, polling first.
    for (const log of [atServer, atClient]) {
      const firstWs = log.findIndex((m) => m.transport === "websocket");
      expect(firstWs).toBeGreaterThan(0);
      expect(log.slice(0, firstWs).every((m) => m.transport === "polling")).toBe(true);
      expect(log.slice(firstWs).every((m) => m.transport === "websocket")).toBe(true);
    }
  });
});

/**
 * engine.io-client in a browser polls through XMLHttpRequest, which sends
 * `Accept-Encoding: gzip`, so a polling response of 1024+ bytes is compressed
 * (httpCompression is on by default). Node's xmlhttprequest-ssl never asks for
 * gzip, so this poll is made by hand with the browser's header.
 */
describe("send callbacks over polling with HTTP compression", () => {
  test.each([
    ["an uncompressed response (under the 1024-byte threshold)", 10],
    ["a gzip response (over the threshold)", 2000],
  ])("the callback fires only once %s has been written", async (_what, size) => {
    h = await startEngine();
    const { sid } = await pollingHandshake(h.port);
    const socket = h.engine.sessions.get(sid)!;
    const order: string[] = [];
    // "headers" runs as the poll's response head is written (res.writeHead).
    h.engine.on("headers", (_headers, req) => req.method === "GET" && req.url?.includes(sid) && order.push("poll response written"));
    const poll = httpRequest(h.port, `/engine.io/?EIO=4&transport=polling&sid=${sid}`, {
      headers: { "Accept-Encoding": "gzip" },
    });
    await waitFor(() => socket.transport.writable);
    const fired = new Promise<void>((resolve) =>
      socket.send("y".repeat(size), () => {
        order.push("callback");
        resolve();
      }),
    );
    const res = await poll;
    await fired;
    expect(res.headers["content-encoding"]).toBe(size >= 1024 ? "gzip" : undefined);
    expect(order).toEqual(["poll response written", "callback"]);
  });
});
