import type { EngineSocket } from "@duplex/engine";
import { Socket } from "@duplex/engine/client";
import { once, startEngine, type Harness } from "../helpers";
import { client, closeClients, collect, next, opened } from "./helpers";

let h: Harness;
afterEach(async () => {
  closeClients();
  await h?.close();
});

/** An engine that echoes every message back. */
async function echoEngine(opts = {}): Promise<Harness> {
  h = await startEngine(opts);
  h.engine.on("connection", (s: EngineSocket) => s.on("message", (d) => s.send(d)));
  return h;
}

const base = () => `http://127.0.0.1:${h.port}`;

describe.each([["polling"], ["websocket"]] as const)("%s only", (name) => {
  test("opens on that transport and echoes text", async () => {
    await echoEngine();
    const s = await opened(client(base(), { transports: [name] }));
    expect(s.transport.name).toBe(name);
    expect(s.readyState).toBe("open");
    expect(s.id).toEqual(expect.any(String));
    expect(h.engine.sessions.get(s.id!)?.transport.name).toBe(name);
    const got = next(s, "message");
    s.send("héllo ✓");
    expect((await got)[0]).toBe("héllo ✓");
  });

  test("binary both ways: Buffer, Uint8Array view, ArrayBuffer, Blob out; Buffer or ArrayBuffer in", async () => {
    await echoEngine();
    const s = await opened(client(base(), { transports: [name] }));
    const received: Buffer[] = [];
    h.engine.sessions.get(s.id!)!.on("message", (d) => received.push(d as Buffer));
    const echoes = collect(s, "message", 4);
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    s.send(Buffer.from([1, 2, 3]));
    s.send(backing.subarray(2, 5)); // a view: only its 3 bytes may leave
    s.send(new Uint8Array([1, 2, 3]).buffer);
    s.send(new Blob([new Uint8Array([1, 2, 3])]));
    const back = await echoes;
    expect(received.map((b) => [...b])).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    for (const b of back) {
      expect(Buffer.isBuffer(b)).toBe(true); // Node's default binaryType: "nodebuffer"
      expect([...(b as Buffer)]).toEqual([1, 2, 3]);
    }
  });

  test('binaryType "arraybuffer", set right after construction as a Manager does', async () => {
    await echoEngine();
    const s = client(base(), { transports: [name] });
    s.binaryType = "arraybuffer";
    await opened(s);
    const arrived = next(s, "message");
    s.send(Buffer.from([255, 0]));
    const [ab] = await arrived;
    expect(ab).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(ab as ArrayBuffer)]).toEqual([255, 0]);
  });

  test("send callbacks run and drain is emitted once the buffer has left", async () => {
    await echoEngine();
    const s = await opened(client(base(), { transports: [name] }));
    const done: number[] = [];
    const drained = next(s, "drain");
    s.send("a", () => done.push(1));
    s.send("b", {}, () => done.push(2));
    await drained;
    expect(done).toEqual([1, 2]);
  });

  test("close(): 'forced close' on the client, the server's session ends too", async () => {
    await echoEngine();
    const s = await opened(client(base(), { transports: [name] }));
    const serverSide = h.engine.sessions.get(s.id!)!;
    const serverClosed = once<[string]>(serverSide, "close");
    const closed = next(s, "close");
    s.send("last words");
    const got = once<[string]>(serverSide, "message");
    s.close();
    expect(s.readyState).toBe("closing");
    expect((await got)[0]).toBe("last words");
    expect((await closed)[0]).toBe("forced close");
    expect(s.readyState).toBe("closed");
    expect(s.id).toBeNull();
    expect((await serverClosed)[0]).toBe("transport close");
  });

  test("the server closing the session is 'transport close'", async () => {
    await echoEngine();
    const s = await opened(client(base(), { transports: [name] }));
    const closed = next(s, "close");
    h.engine.sessions.get(s.id!)!.close();
    expect((await closed)[0]).toBe("transport close");
  });

  test("extraHeaders reach the server (polling requests; the WebSocket handshake in Node)", async () => {
    await echoEngine();
    const seen: (string | undefined)[] = [];
    h.http.on("request", (req) => seen.push(req.headers["x-token"] as string));
    h.http.on("upgrade", (req) => seen.push(req.headers["x-token"] as string));
    const s = await opened(client(base(), { transports: [name], extraHeaders: { "x-token": "abc" } }));
    await new Promise<void>((resolve) => s.send("x", resolve));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((v) => v === "abc")).toBe(true);
  });
});

describe("polling → websocket upgrade", () => {
  test("upgrades by default: upgrading, upgrade, and the server agrees", async () => {
    await echoEngine();
    const s = client(base());
    const events: string[] = [];
    s.on("open", () => events.push(`open:${s.transport.name}`));
    s.on("upgrading", (t) => events.push(`upgrading:${t.name}`));
    s.on("upgrade", (t) => events.push(`upgrade:${t.name}`));
    const serverUpgraded = new Promise((resolve) => h.engine.once("connection", (ss: EngineSocket) => ss.once("upgrade", resolve)));
    await next(s, "upgrade");
    await serverUpgraded;
    expect(events).toEqual(["open:polling", "upgrading:websocket", "upgrade:websocket"]);
    expect(s.transport.name).toBe("websocket");
    expect(s.upgrades).toEqual(["websocket"]);
    expect(h.engine.sessions.get(s.id!)?.transport.name).toBe("websocket");
    const got = next(s, "message");
    s.send("after");
    expect((await got)[0]).toBe("after");
  });

  test("upgrade: false stays on polling", async () => {
    await echoEngine();
    const s = await opened(client(base(), { upgrade: false }));
    let upgrading = false;
    s.on("upgrading", () => (upgrading = true));
    const got = next(s, "message");
    s.send("x");
    await got;
    // a round trip over polling later, still no probe
    const again = next(s, "message");
    s.send("y");
    await again;
    expect(upgrading).toBe(false);
    expect(s.transport.name).toBe("polling");
  });

  test("1000 messages each way arrive in order, across the switch", async () => {
    h = await startEngine();
    const N = 1000;
    const serverGot: string[] = [];
    const serverVia = new Set<string>();
    h.engine.on("connection", (ss: EngineSocket) => {
      ss.on("message", (d) => {
        serverGot.push(d as string);
        serverVia.add(ss.transport.name);
      });
      // the server streams too, one message per tick, across the upgrade
      let i = 0;
      const tick = () => {
        if (ss.readyState !== "open") return;
        ss.send(`s${i++}`);
        if (i < N) setImmediate(tick);
      };
      tick();
    });
    const s = client(base());
    const clientGot = collect(s, "message", N);
    const clientVia = new Set<string>();
    s.on("message", () => clientVia.add(s.transport.name));
    await opened(s);
    let i = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        s.send(`c${i++}`);
        if (i < N) setImmediate(tick);
        else resolve();
      };
      tick();
    });
    const expected = (p: string) => Array.from({ length: N }, (_, k) => `${p}${k}`);
    expect(await clientGot).toEqual(expected("s"));
    await new Promise<void>((resolve) => (serverGot.length === N ? resolve() : h.engine.sessions.get(s.id!)!.on("message", () => serverGot.length === N && resolve())));
    expect(serverGot).toEqual(expected("c"));
    expect(s.transport.name).toBe("websocket");
    // both directions really used both transports
    expect([...serverVia].sort()).toEqual(["polling", "websocket"]);
    expect([...clientVia].sort()).toEqual(["polling", "websocket"]);
  });

  test("polling batches writes in one POST and respects the server's maxPayload", async () => {
    await echoEngine({ maxHttpBufferSize: 1000 });
    let posts = 0;
    h.http.on("request", (req) => req.method === "POST" && posts++);
    const s = await opened(client(base(), { transports: ["polling"] }));
    const echoes = collect(s, "message", 10);
    const msgs = Array.from({ length: 10 }, (_, k) => `${k}`.padEnd(300, "é")); // ~600 bytes each in UTF-8
    for (const m of msgs) s.send(m);
    expect(await echoes).toEqual(msgs);
    // ten packets of ~600 bytes under a 1000-byte limit: one per POST, and no 413
    expect(posts).toBe(10);
    posts = 0;
    const small = collect(s, "message", 10);
    for (let k = 0; k < 10; k++) s.send(`m${k}`);
    await new Promise<void>((resolve) => s.once("drain", resolve));
    expect(posts).toBeLessThanOrEqual(2); // the first send goes alone, the other nine wait and leave together
    await small;
  });
});

test("new Socket(opts) with hostname/port, query and the Socket.IO path", async () => {
  h = await startEngine({ path: "/socket.io" });
  let url = "";
  h.http.on("request", (req) => (url ||= req.url!));
  const s = new Socket({ hostname: "127.0.0.1", port: h.port, path: "/socket.io", query: { token: "t1" }, transports: ["polling"] });
  try {
    await opened(s);
    expect(url).toMatch(/^\/socket\.io\/\?/);
    const q = new URLSearchParams(url.split("?")[1]);
    expect(q.get("token")).toBe("t1");
    expect(q.get("EIO")).toBe("4");
    expect(q.get("transport")).toBe("polling");
    expect(q.get("t")).toBeTruthy();
  } finally {
    s.close();
  }
});

describe("upgrade flush (regression)", () => {
  test("a message written while upgrading leaves right after the switch, not with the next pong", async () => {
    // Before the fix the client kept it buffered until the next heartbeat
    // (pingInterval later): the drain after `5` found nothing of its own in flight.
    await echoEngine({ pingInterval: 60000 });
    const s = client(base());
    await new Promise<void>((resolve) => s.once("upgrading", () => resolve()));
    const echoed = next(s, "message");
    s.send("sent while upgrading");
    const started = Date.now();
    expect((await echoed)[0]).toBe("sent while upgrading");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(s.transport.name).toBe("websocket");
  }, 10000);
});
