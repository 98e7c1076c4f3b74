import { io, type Socket } from "@duplex/client";
import { SERVERS, client, closeAll, collect, connected, once, startServer, track, type AnyServer, type Harness } from "./helpers";

/** Events, acks and flags, against the Duplex server and socket.io 4.8.4. */
afterEach(closeAll);

describe.each(SERVERS)("against the %s server", (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startServer(kind);
  });

  async function pair(nsp = "/", opts = {}): Promise<[Socket, AnyServer]> {
    const serverSide = once<[AnyServer]>(h.io.of(nsp), "connection");
    const socket = client(h.url + (nsp === "/" ? "" : nsp), opts);
    await connected(socket);
    const [s] = await serverSide;
    return [socket, s];
  }

  test("connect: id matches the server's, state flags, io is the manager", async () => {
    const socket = client(h.url, { autoConnect: false });
    expect(socket.active).toBe(false);
    socket.connect();
    expect(socket.active).toBe(true);
    expect(socket.connected).toBe(false);
    const [s] = await Promise.all([once<[AnyServer]>(h.io, "connection"), connected(socket)]).then(([a]) => a);
    expect(socket.id).toBe(s.id);
    expect(socket.connected).toBe(true);
    expect(socket.disconnected).toBe(false);
    expect(socket.recovered).toBe(false);
    expect(socket.io.engine!.id).toBe(s.conn.id);
  });

  test.each(["polling", "websocket"] as const)("connect over %s only", async (transport) => {
    const [socket, s] = await pair("/", { transports: [transport] });
    expect(socket.io.engine!.transport.name).toBe(transport);
    expect(s.conn.transport.name).toBe(transport);
  });

  test("namespaces share one engine session; forceNew and multiplex:false do not", async () => {
    h.io.of("/a");
    h.io.of("/b");
    const a = track(io(h.url + "/a", { reconnection: false }));
    const b = track(io(h.url + "/b", { reconnection: false }));
    const c = track(io(h.url + "/b", { reconnection: false, forceNew: true }));
    const d = track(io(h.url + "/a", { reconnection: false, multiplex: false }));
    await Promise.all([a, b, c, d].map(connected));
    expect(a.io).toBe(b.io);
    expect(a.io.engine!.id).toBe(b.io.engine!.id);
    expect(c.io).not.toBe(b.io);
    expect(c.io.engine!.id).not.toBe(b.io.engine!.id);
    expect(d.io.engine!.id).not.toBe(a.io.engine!.id);
    // A second io() to a namespace the shared manager already has gets a new session.
    const a2 = track(io(h.url + "/a", { reconnection: false }));
    await connected(a2);
    expect(a2.io).not.toBe(a.io);
  });

  test("a namespace leaves while another stays on the shared session", async () => {
    h.io.on("connection", (s: AnyServer) => s.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v)));
    const a = track(io(h.url + "/", { reconnection: false }));
    const b = track(io(h.url + "/b", { reconnection: false }));
    h.io.of("/b");
    await Promise.all([a, b].map(connected));
    const reason = once<[string]>(b, "disconnect");
    b.disconnect();
    expect(await reason).toEqual(["io client disconnect"]);
    expect(a.connected).toBe(true);
    expect(await a.timeout(2000).emitWithAck("echo", "still here")).toBe("still here");
    expect(a.io.engine!.readyState).toBe("open");
  });

  test("auth object: the server reads socket.handshake.auth", async () => {
    const [, s] = await pair("/", { auth: { token: "abc", n: 1 } });
    expect(s.handshake.auth).toEqual({ token: "abc", n: 1 });
  });

  test("auth callback: called on each connect, the server reads what it gave", async () => {
    let calls = 0;
    const auth = (cb: (data: Record<string, unknown>) => void) => cb({ call: ++calls });
    const [, s] = await pair("/", { auth });
    expect(s.handshake.auth).toEqual({ call: 1 });
  });

  test("middleware refusal: connect_error with the server's message and data; socket inactive", async () => {
    h.io.use((socket: AnyServer, next: (err?: Error) => void) => {
      const err = new Error("not authorized") as Error & { data?: unknown };
      err.data = { why: socket.handshake.auth.token ?? "none" };
      next(err);
    });
    const socket = client(h.url, { auth: { token: "bad" } });
    const [err] = await once<[Error & { data?: unknown }]>(socket, "connect_error");
    expect(err.message).toBe("not authorized");
    expect(err.data).toEqual({ why: "bad" });
    expect(socket.active).toBe(false);
    expect(socket.connected).toBe(false);
  });

  test("a namespace the server does not have: connect_error \"Invalid namespace\"", async () => {
    const socket = client(h.url + "/nowhere");
    const [err] = await once<[Error]>(socket, "connect_error");
    expect(err.message).toBe("Invalid namespace");
  });

  test("acks both ways, several arguments", async () => {
    const [socket, s] = await pair();
    s.on("add", (a: number, b: number, ack: (...r: unknown[]) => void) => ack(a + b, "sum"));
    const [sum, label] = await new Promise<unknown[]>((resolve) => socket.emit("add", 2, 3, (...r: unknown[]) => resolve(r)));
    expect([sum, label]).toEqual([5, "sum"]);

    socket.on("ask", (q: string, ack: (a: string) => void) => ack(q.toUpperCase()));
    const answer = await s.timeout(2000).emitWithAck("ask", "hi");
    expect(answer).toBe("HI");
  });

  test("emitWithAck resolves with the answer; with timeout rejects \"operation has timed out\"", async () => {
    const [socket, s] = await pair();
    s.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v));
    await expect(socket.emitWithAck("echo", { a: [1, 2] })).resolves.toEqual({ a: [1, 2] });
    await expect(socket.timeout(50).emitWithAck("nobody-answers")).rejects.toThrow("operation has timed out");
  });

  test("timeout(ms).emit: the callback gets (null, ...answer) when acked in time", async () => {
    const [socket, s] = await pair();
    s.on("echo", (a: unknown, b: unknown, ack: (...v: unknown[]) => void) => ack(a, b));
    const args = await new Promise<unknown[]>((resolve) => socket.timeout(2000).emit("echo", 1, "x", (...r: unknown[]) => resolve(r)));
    expect(args).toEqual([null, 1, "x"]);
  });

  test("an ack pending at disconnect: emitWithAck rejects \"socket has been disconnected\"", async () => {
    const [socket, s] = await pair();
    s.on("hold", () => undefined);
    const pending = socket.emitWithAck("hold");
    await once(s, "hold");
    socket.disconnect();
    await expect(pending).rejects.toThrow("socket has been disconnected");
  });

  test("binary both ways: Buffer, ArrayBuffer and typed arrays, nested", async () => {
    const [socket, s] = await pair();
    const got = once<[AnyServer]>(s, "bin");
    const ab = new Uint8Array([9, 8, 7]).buffer;
    socket.emit("bin", {
      buf: Buffer.from([1, 2, 3]),
      ab,
      nested: [{ u8: new Uint8Array([4, 5]) }, new Uint16Array([258])],
      text: "ok",
    });
    const [data] = await got;
    expect(Buffer.from(data.buf)).toEqual(Buffer.from([1, 2, 3]));
    expect(Buffer.from(data.ab)).toEqual(Buffer.from([9, 8, 7]));
    expect(Buffer.from(data.nested[0].u8)).toEqual(Buffer.from([4, 5]));
    expect(Buffer.from(data.nested[1])).toEqual(Buffer.from(new Uint16Array([258]).buffer));
    expect(data.text).toBe("ok");

    const back = once<[{ a: Buffer; list: Buffer[] }]>(socket, "bin");
    s.emit("bin", { a: Buffer.from([0xff]), list: [Buffer.from("x"), Buffer.alloc(0)] });
    const [echo] = await back;
    expect(Buffer.isBuffer(echo.a)).toBe(true);
    expect([...echo.a]).toEqual([0xff]);
    expect(echo.list.map((b) => b.toString())).toEqual(["x", ""]);

    // A binary ack.
    s.on("give", (ack: (b: Buffer) => void) => ack(Buffer.from([42])));
    const answer = (await socket.emitWithAck("give")) as Buffer;
    expect([...answer]).toEqual([42]);
  });

  test("volatile: delivered while connected", async () => {
    const [socket, s] = await pair();
    const got = once(s, "v");
    expect(socket.volatile.emit("v", 1)).toBe(socket);
    expect(await got).toEqual([1]);
  });

  test("compress(false): delivered, and the engine is asked not to compress", async () => {
    const [socket, s] = await pair();
    const engine = socket.io.engine!;
    const write = jest.spyOn(engine, "write");
    const got = once(s, "c");
    socket.compress(false).emit("c", "data");
    expect(await got).toEqual(["data"]);
    expect(write).toHaveBeenCalledWith(expect.any(String), { compress: false });
    socket.emit("c", "again");
    expect((write.mock.calls[1][1] as { compress?: boolean } | undefined)?.compress).not.toBe(false);
  });

  test("onAny / prependAny / offAny see incoming events in order", async () => {
    const [socket, s] = await pair();
    const order: string[] = [];
    const first = (ev: string, ...args: unknown[]) => order.push(`first:${ev}:${args.join(",")}`);
    const any = (ev: string) => order.push(`any:${ev}`);
    socket.onAny(any);
    socket.prependAny(first);
    expect(socket.listenersAny()).toEqual([first, any]);
    const done = once(socket, "e2");
    s.emit("e1", 1, 2);
    s.emit("e2");
    await done;
    expect(order).toEqual(["first:e1:1,2", "any:e1", "first:e2:", "any:e2"]);
    socket.offAny(first);
    expect(socket.listenersAny()).toEqual([any]);
    socket.offAny();
    expect(socket.listenersAny()).toEqual([]);
    const last = once(socket, "e3");
    s.emit("e3");
    await last;
    expect(order).toHaveLength(4);
  });

  test("onAnyOutgoing / prependAnyOutgoing / offAnyOutgoing see emits, buffered ones when they leave", async () => {
    const socket = client(h.url, { autoConnect: false });
    const seen: unknown[][] = [];
    const l = (...args: unknown[]) => seen.push(args);
    const p = (...args: unknown[]) => seen.push(["prepended", ...args]);
    socket.onAnyOutgoing(l);
    socket.prependAnyOutgoing(p);
    expect(socket.listenersAnyOutgoing()).toEqual([p, l]);
    socket.emit("early", 1);
    expect(seen).toEqual([]); // buffered: not sent yet
    socket.connect();
    await connected(socket);
    expect(seen).toEqual([["prepended", "early", 1], ["early", 1]]);
    socket.offAnyOutgoing(p);
    socket.emit("later", "x");
    expect(seen[2]).toEqual(["later", "x"]);
    socket.offAnyOutgoing();
    socket.emit("quiet");
    expect(seen).toHaveLength(3);
  });

  test("send() and write() emit \"message\"; the server's send arrives as \"message\"", async () => {
    const [socket, s] = await pair();
    const got = collect<unknown>(2);
    s.on("message", got.fn);
    expect(socket.send("a")).toBe(socket);
    socket.write("b");
    expect(await got.done).toEqual(["a", "b"]);
    const back = once(socket, "message");
    s.send("c", 1);
    expect(await back).toEqual(["c", 1]);
  });

  test("emit returns the socket, for chaining as in socket.io-client", async () => {
    const [socket, s] = await pair();
    const got = collect<string>(2);
    s.on("x", got.fn);
    socket.emit("x", "1").emit("x", "2");
    expect(await got.done).toEqual(["1", "2"]);
  });

  test.each(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"])("emit(%j) throws: reserved", async (name) => {
    const [socket] = await pair();
    expect(() => socket.emit(name)).toThrow(`"${name}" is a reserved event name`);
  });

  test("events emitted while connecting are buffered and flushed in order", async () => {
    const got = collect<number>(5);
    h.io.on("connection", (s: AnyServer) => s.on("n", got.fn));
    const socket = client(h.url);
    for (let i = 0; i < 5; i++) socket.emit("n", i);
    expect(socket.sendBuffer).toHaveLength(5);
    expect(await got.done).toEqual([0, 1, 2, 3, 4]);
    expect(socket.sendBuffer).toHaveLength(0);
  });
});
