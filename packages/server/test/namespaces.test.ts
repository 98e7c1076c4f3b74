import { Namespace, ParentNamespace, type Socket } from "@duplex/server";
import { connected, once, startServer, until, type ServerHarness } from "./helpers";

// Static namespaces, multiplexing over one engine session, dynamic
// namespaces (RegExp and function matchers), and refused namespaces.

jest.setTimeout(10000);

let h: ServerHarness;

afterEach(() => h.close());

describe("static namespaces", () => {
  test('io.of("/name") creates the namespace once; "name" means "/name"', async () => {
    h = await startServer();
    const chat = h.io.of("/chat");
    expect(chat).toBeInstanceOf(Namespace);
    expect(chat.name).toBe("/chat");
    expect(h.io.of("/chat")).toBe(chat);
    expect(h.io.of("chat")).toBe(chat);
    expect(h.io.of("/")).toBe(h.io.sockets);
  });

  test("a client joins a namespace and only that namespace's handlers see it", async () => {
    h = await startServer();
    const main = jest.fn();
    h.io.on("connection", main);
    const chat = h.io.of("/chat");
    const c = h.client("/chat");
    const [socket] = await once<[Socket]>(chat, "connection");
    await connected(c);
    expect(socket.nsp).toBe(chat);
    expect(chat.sockets.get(socket.id)).toBe(socket);
    expect(main).not.toHaveBeenCalled();
    expect(h.io.sockets.sockets.size).toBe(0);
  });

  test('io.of(name, fn) registers a "connection" listener', async () => {
    h = await startServer();
    const fn = jest.fn();
    h.io.of("/news", fn);
    const c = h.client("/news");
    await connected(c);
    expect(fn).toHaveBeenCalledTimes(1);
    expect((fn.mock.calls[0][0] as Socket).nsp.name).toBe("/news");
  });

  test('"new_namespace" is emitted on io for each new namespace', async () => {
    h = await startServer();
    const created: string[] = [];
    h.io.on("new_namespace", (nsp) => created.push(nsp.name));
    h.io.of("/one");
    h.io.of("/one");
    h.io.of("/two");
    expect(created).toEqual(["/one", "/two"]);
  });
});

describe("multiplexing", () => {
  test("two namespaces share one engine session; events and broadcasts stay in their namespace", async () => {
    h = await startServer();
    const a = h.io.of("/a");
    const b = h.io.of("/b");
    const ca = h.client("/a", { forceNew: false });
    const cb = h.client("/b", { forceNew: false });
    expect(ca.io).toBe(cb.io);
    const [[sa], [sb]] = await Promise.all([once<[Socket]>(a, "connection"), once<[Socket]>(b, "connection")]);
    await Promise.all([connected(ca), connected(cb)]);
    expect(ca.io.engine.id).toBe(cb.io.engine.id);
    expect(sa.conn).toBe(sb.conn);
    expect(sa.conn.id).toBe(ca.io.engine.id);
    expect(sa.id).not.toBe(sb.id);
    expect(h.io.engine.clientsCount).toBe(1);

    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    ca.on("news", (v) => gotA.push(v));
    cb.on("news", (v) => gotB.push(v));
    b.emit("news", "for b");
    a.emit("news", "for a");
    await until(() => gotA.length === 1 && gotB.length === 1);
    expect(gotA).toEqual(["for a"]);
    expect(gotB).toEqual(["for b"]);

    // client events reach the socket of their own namespace
    const inA = once<[string]>(sa, "hello");
    const inB = once<[string]>(sb, "hello");
    cb.emit("hello", "from b");
    ca.emit("hello", "from a");
    expect(await inA).toEqual(["from a"]);
    expect(await inB).toEqual(["from b"]);
  });

  test("leaving one namespace keeps the session and the other namespace", async () => {
    h = await startServer();
    const a = h.io.of("/a");
    const ca = h.client("/a", { forceNew: false });
    const cm = h.client("/", { forceNew: false });
    const [sa] = await once<[Socket]>(a, "connection");
    await Promise.all([connected(ca), connected(cm)]);
    const reason = once<[string]>(sa, "disconnect");
    ca.disconnect();
    expect(await reason).toEqual(["client namespace disconnect"]);
    expect(cm.connected).toBe(true);
    expect(h.io.engine.clientsCount).toBe(1);
    const [main] = [...h.io.sockets.sockets.values()];
    const echo = once<[string]>(main, "still");
    cm.emit("still", "here");
    expect(await echo).toEqual(["here"]);
  });
});

describe("dynamic namespaces", () => {
  test("a RegExp parent creates children on demand, with its listeners and middlewares", async () => {
    h = await startServer();
    const created: Namespace[] = [];
    h.io.on("new_namespace", (nsp) => created.push(nsp));
    const parent = h.io.of(/^\/room-\d+$/);
    expect(parent).toBeInstanceOf(ParentNamespace);
    const order: string[] = [];
    parent.use((socket, next) => {
      order.push(`mw ${socket.nsp.name}`);
      next();
    });
    parent.on("connection", (socket) => order.push(`connection ${socket.nsp.name}`));

    const c1 = h.client("/room-1");
    await connected(c1);
    expect(order).toEqual(["mw /room-1", "connection /room-1"]);
    expect(created.map((n) => n.name)).toEqual(["/room-1"]);
    expect(h.io.of("/room-1")).toBe(created[0]);

    // the same child serves the next client
    const c2 = h.client("/room-1");
    await connected(c2);
    expect(created).toHaveLength(1);
    expect(created[0].sockets.size).toBe(2);

    // a parent broadcast reaches every child's sockets
    const c3 = h.client("/room-2");
    await connected(c3);
    const got = Promise.all([c1, c2, c3].map((c) => once<[string]>(c, "all")));
    parent.emit("all", "rooms");
    expect(await got).toEqual([["rooms"], ["rooms"], ["rooms"]]);

    // a name the RegExp refuses
    const bad = h.client("/room-x");
    const [err] = await once<[Error]>(bad, "connect_error");
    expect(err.message).toBe("Invalid namespace");
  });

  test("a function matcher decides with the name and the auth payload", async () => {
    h = await startServer();
    const seen: Array<[string, unknown]> = [];
    const parent = h.io.of((name, auth, next) => {
      seen.push([name, auth]);
      next(null, auth.token === "ok");
    });
    const joined = once<[Socket]>(parent, "connection");
    const ok = h.client("/workspace-7", { auth: { token: "ok" } });
    await connected(ok);
    const [socket] = await joined;
    expect(socket.nsp.name).toBe("/workspace-7");
    expect(socket.handshake.auth).toEqual({ token: "ok" });

    const refused = h.client("/workspace-8", { auth: { token: "no" } });
    const [err] = await once<[Error]>(refused, "connect_error");
    expect(err.message).toBe("Invalid namespace");
    expect(seen).toEqual([
      ["/workspace-7", { token: "ok" }],
      ["/workspace-8", { token: "no" }],
    ]);
    expect(h.io.hasNamespace("/workspace-8")).toBe(false);
  });

  test("a matcher that fails with an error refuses the namespace", async () => {
    h = await startServer();
    h.io.of((_name, _auth, next) => next(new Error("boom"), true));
    const c = h.client("/anything");
    const [err] = await once<[Error]>(c, "connect_error");
    expect(err.message).toBe("Invalid namespace");
  });

  test("cleanupEmptyChildNamespaces removes a child once its last socket left", async () => {
    h = await startServer({ cleanupEmptyChildNamespaces: true });
    const parent = h.io.of(/^\/tmp-/);
    const created: string[] = [];
    h.io.on("new_namespace", (nsp) => created.push(nsp.name));
    const c1 = h.client("/tmp-a");
    const c2 = h.client("/tmp-a");
    await Promise.all([connected(c1), connected(c2)]);
    const child = h.io.of("/tmp-a");
    expect(child.sockets.size).toBe(2);

    const first = once(child.sockets.values().next().value!, "disconnect");
    c1.disconnect();
    await first;
    expect(h.io.hasNamespace("/tmp-a")).toBe(true);

    const last = once([...child.sockets.values()][0], "disconnect");
    c2.disconnect();
    await last;
    expect(h.io.hasNamespace("/tmp-a")).toBe(false);
    expect((parent as ParentNamespace).children.size).toBe(0);

    // coming back creates a fresh child
    const c3 = h.client("/tmp-a");
    await connected(c3);
    expect(created).toEqual(["/tmp-a", "/tmp-a"]);
    expect(h.io.hasNamespace("/tmp-a")).toBe(true);
    expect(h.io.of("/tmp-a")).not.toBe(child);
  });

  test("without cleanupEmptyChildNamespaces an empty child stays", async () => {
    h = await startServer();
    h.io.of(/^\/keep-/);
    const c = h.client("/keep-1");
    await connected(c);
    const child = h.io.of("/keep-1");
    const [socket] = [...child.sockets.values()];
    const gone = once(socket, "disconnect");
    c.disconnect();
    await gone;
    expect(h.io.hasNamespace("/keep-1")).toBe(true);
  });
});

describe("refused namespaces", () => {
  test('an unknown namespace gets connect_error "Invalid namespace" and the session lives on', async () => {
    h = await startServer();
    const main = h.client("/", { forceNew: false });
    await connected(main);
    const unknown = h.client("/nope", { forceNew: false });
    const [err] = await once<[Error]>(unknown, "connect_error");
    expect(err.message).toBe("Invalid namespace");
    expect(h.io.hasNamespace("/nope")).toBe(false);
    expect(main.connected).toBe(true);
    expect(h.io.engine.clientsCount).toBe(1);
  });

  test("an unknown namespace alone: the client can still join a valid one on the same session", async () => {
    h = await startServer();
    const raw = await h.raw(["websocket"]);
    expect(await raw.join("/nope")).toBe('4/nope,{"message":"Invalid namespace"}');
    expect(await raw.join("/")).toMatch(/^0\{"sid":/);
  });
});
