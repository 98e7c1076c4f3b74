import type { Socket as ClientSocket } from "socket.io-client";
import type { Socket } from "@duplex/server";
import { TRANSPORTS, connected, once, startServer, until, type ServerHarness } from "./helpers";

// Events both ways, acknowledgements (plain, with timeout, as promises),
// emit flags, catch-all listeners, reserved names and binary payloads, over
// each of the three ways a client reaches the server.

jest.setTimeout(10000);

let h: ServerHarness;

afterEach(() => h.close());

async function connect(opts: Parameters<ServerHarness["client"]>[1] = {}): Promise<[Socket, ClientSocket]> {
  const c = h.client("/", opts);
  const [socket] = await once<[Socket]>(h.io, "connection");
  await connected(c);
  return [socket, c];
}

describe.each(TRANSPORTS)("over %s", (_name, transport) => {
  let socket: Socket;
  let c: ClientSocket;

  beforeEach(async () => {
    h = await startServer();
    [socket, c] = await connect(transport);
  });

  test("client → server event with arguments and an ack", async () => {
    socket.on("add", (a: number, b: number, ack: (sum: number, text: string) => void) => ack(a + b, "ok"));
    const answer = await new Promise<unknown[]>((resolve) => c.emit("add", 2, 3, (...args: unknown[]) => resolve(args)));
    expect(answer).toEqual([5, "ok"]);
    expect(await c.emitWithAck("add", 10, 20)).toBe(30);
  });

  test("server → client event with arguments and an ack", async () => {
    c.on("greet", (name: string, opts: object, ack: (...a: unknown[]) => void) => ack(`hi ${name}`, opts));
    const answer = await new Promise<unknown[]>((resolve) => socket.emit("greet", "ann", { x: [1, null, "y"] }, (...args: unknown[]) => resolve(args)));
    expect(answer).toEqual(["hi ann", { x: [1, null, "y"] }]);
  });

  test("an ack is sent once, even if called twice", async () => {
    socket.on("twice", (ack: (n: number) => void) => {
      ack(1);
      ack(2);
    });
    const got: number[] = [];
    c.emit("twice", (n: number) => got.push(n));
    // a second round trip proves nothing more came back for the first
    socket.on("after", (ack: () => void) => ack());
    await c.emitWithAck("after");
    expect(got).toEqual([1]);
  });

  test("socket.timeout(ms).emit: the callback gets (null, ...answer) when the client answers in time", async () => {
    c.on("question", (q: string, ack: (a: string, b: number) => void) => ack(`answer to ${q}`, 42));
    const [err, ...answer] = await new Promise<unknown[]>((resolve) =>
      socket.timeout(2000).emit("question", "life", (...args: unknown[]) => resolve(args)),
    );
    expect(err).toBeNull();
    expect(answer).toEqual(["answer to life", 42]);
  });

  test("socket.timeout(ms).emit: the callback gets an error when the client does not answer", async () => {
    c.on("question", () => undefined);
    const started = Date.now();
    const [err, ...rest] = await new Promise<unknown[]>((resolve) => socket.timeout(50).emit("question", (...args: unknown[]) => resolve(args)));
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("operation has timed out");
    expect(rest).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  test("a late answer after the timeout is ignored", async () => {
    let late: (() => void) | undefined;
    c.on("slow", (ack: (v: string) => void) => (late = () => ack("late")));
    const calls: unknown[][] = [];
    await new Promise<void>((resolve) =>
      socket.timeout(50).emit("slow", (...args: unknown[]) => {
        calls.push(args);
        resolve();
      }),
    );
    late!();
    socket.on("sync", (ack: () => void) => ack());
    await c.emitWithAck("sync");
    expect(calls).toHaveLength(1);
    expect((calls[0][0] as Error).message).toBe("operation has timed out");
  });

  test("emitWithAck resolves with the client's answer, and timeout(ms).emitWithAck rejects when it does not come", async () => {
    c.on("double", (n: number, ack: (n: number) => void) => ack(n * 2));
    c.on("silent", () => undefined);
    await expect(socket.emitWithAck("double", 21)).resolves.toBe(42);
    await expect(socket.timeout(2000).emitWithAck("double", 4)).resolves.toBe(8);
    await expect(socket.timeout(50).emitWithAck("silent")).rejects.toThrow("operation has timed out");
  });

  test("a pending ack fails when the socket disconnects", async () => {
    c.on("silent", () => undefined);
    const pending = socket.timeout(10000).emitWithAck("silent");
    socket.disconnect();
    await expect(pending).rejects.toThrow("socket has been disconnected");
  });

  test("a volatile emit is delivered when the transport can take it, dropped while it is busy writing", async () => {
    const got: unknown[] = [];
    c.on("v", (n: number) => got.push(n));
    // let an upgrade finish: volatile packets are dropped while the transport changes
    if (transport.transports?.length === 2) await until(() => socket.conn.transport.name === "websocket");
    await until(() => socket.conn.transport.writable);
    socket.volatile.emit("v", 1);
    await until(() => got.length === 1);
    await until(() => socket.conn.transport.writable);
    // the first write makes the transport busy (a WebSocket send in flight, or the poll answered)
    socket.emit("v", 2);
    socket.volatile.emit("v", 3);
    socket.emit("v", 4);
    await until(() => got.length === 3);
    expect(got).toEqual([1, 2, 4]);
  });

  test("compress(false) and compress(true) emits are delivered", async () => {
    const got: unknown[] = [];
    c.on("c", (v: string) => got.push(v.length));
    const big = "x".repeat(4096); // above the compression threshold
    socket.compress(false).emit("c", big);
    socket.compress(true).emit("c", big + big);
    await until(() => got.length === 2);
    expect(got).toEqual([4096, 8192]);
  });

  test("socket.send and socket.write emit a message event", async () => {
    const got: unknown[][] = [];
    c.on("message", (...args: unknown[]) => got.push(args));
    socket.send("hello", 1);
    socket.write({ a: true });
    await until(() => got.length === 2);
    expect(got).toEqual([["hello", 1], [{ a: true }]]);
    const fromClient = once<[string]>(socket, "message");
    c.send("back");
    expect(await fromClient).toEqual(["back"]);
  });

  test("binary both ways: Buffer, ArrayBuffer and typed arrays, nested in objects and arrays", async () => {
    const received = once<unknown[]>(socket, "upload");
    c.emit("upload", {
      buf: new Uint8Array([1, 2, 3]),
      nested: { list: [new Uint8Array([4]).buffer, "text", { deep: new Uint16Array([5, 6]) }] },
      n: 7,
    });
    const [payload] = (await received) as [{ buf: Buffer; nested: { list: [Buffer, string, { deep: Buffer }] }; n: number }];
    expect(Buffer.isBuffer(payload.buf)).toBe(true);
    expect([...payload.buf]).toEqual([1, 2, 3]);
    expect([...payload.nested.list[0]]).toEqual([4]);
    expect(payload.nested.list[1]).toBe("text");
    expect([...new Uint16Array(toArrayBuffer(payload.nested.list[2].deep))]).toEqual([5, 6]);
    expect(payload.n).toBe(7);

    const down = once<unknown[]>(c, "download");
    const ab = new ArrayBuffer(2);
    new Uint8Array(ab).set([8, 9]);
    socket.emit("download", Buffer.from("hi"), { ab, list: [new Int32Array([-1]), { f: new Float64Array([1.5]) }] });
    const [b, rest] = (await down) as [ArrayBuffer | Buffer, { ab: ArrayBuffer | Buffer; list: [ArrayBuffer | Buffer, { f: ArrayBuffer | Buffer }] }];
    expect(Buffer.from(b as ArrayBuffer).toString()).toBe("hi");
    expect([...new Uint8Array(toArrayBuffer(rest.ab))]).toEqual([8, 9]);
    expect([...new Int32Array(toArrayBuffer(rest.list[0]))]).toEqual([-1]);
    expect([...new Float64Array(toArrayBuffer(rest.list[1].f))]).toEqual([1.5]);
  });

  test("binary acks both ways", async () => {
    socket.on("echo-bin", (data: Buffer, ack: (b: Buffer, o: object) => void) => ack(Buffer.concat([data, Buffer.from([0xff])]), { copy: data }));
    const [first, obj] = await new Promise<unknown[]>((resolve) => c.emit("echo-bin", new Uint8Array([1, 2]), (...a: unknown[]) => resolve(a)));
    expect([...new Uint8Array(toArrayBuffer(first as Buffer))]).toEqual([1, 2, 0xff]);
    expect([...new Uint8Array(toArrayBuffer((obj as { copy: Buffer }).copy))]).toEqual([1, 2]);

    c.on("bin-question", (ack: (b: Uint8Array) => void) => ack(new Uint8Array([7, 7])));
    const answer = (await socket.emitWithAck("bin-question")) as Buffer;
    expect(Buffer.isBuffer(answer)).toBe(true);
    expect([...answer]).toEqual([7, 7]);
  });
});

/** The bytes of what the client or server received as binary (Buffer in Node, ArrayBuffer in the client). */
function toArrayBuffer(data: ArrayBuffer | Buffer | ArrayBufferView): ArrayBuffer {
  if (data instanceof ArrayBuffer) return data;
  const view = data as ArrayBufferView;
  return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer;
}

describe("catch-all listeners", () => {
  let socket: Socket;
  let c: ClientSocket;

  beforeEach(async () => {
    h = await startServer();
    [socket, c] = await connect();
  });

  test("onAny, prependAny, offAny, listenersAny", async () => {
    const order: string[] = [];
    const a = (ev: string, ...args: unknown[]) => order.push(`a ${ev} ${JSON.stringify(args)}`);
    const b = (ev: string) => order.push(`b ${ev}`);
    socket.onAny(a);
    socket.prependAny(b);
    expect(socket.listenersAny()).toEqual([b, a]);
    const got = once(socket, "first");
    socket.on("first", () => undefined);
    c.emit("first", 1, "x");
    await got;
    expect(order).toEqual(["b first", 'a first [1,"x"]']);

    socket.offAny(b);
    expect(socket.listenersAny()).toEqual([a]);
    const second = once(socket, "second");
    socket.on("second", () => undefined);
    c.emit("second");
    await second;
    expect(order.slice(2)).toEqual(["a second []"]);

    socket.offAny();
    expect(socket.listenersAny()).toEqual([]);
  });

  test("onAny receives the ack function last", async () => {
    socket.onAny((ev: string, ...args: unknown[]) => {
      if (ev === "with-ack") (args[args.length - 1] as (v: string) => void)("from onAny");
    });
    expect(await c.emitWithAck("with-ack", 1)).toBe("from onAny");
  });

  test("onAnyOutgoing, prependAnyOutgoing, offAnyOutgoing, listenersAnyOutgoing", async () => {
    const out: unknown[][] = [];
    const a = (...args: unknown[]) => out.push(["a", ...args]);
    const b = (...args: unknown[]) => out.push(["b", ...args]);
    socket.onAnyOutgoing(a);
    socket.prependAnyOutgoing(b);
    expect(socket.listenersAnyOutgoing()).toEqual([b, a]);
    socket.emit("out", 1, { two: 2 });
    expect(out).toEqual([
      ["b", "out", 1, { two: 2 }],
      ["a", "out", 1, { two: 2 }],
    ]);
    socket.offAnyOutgoing(b);
    socket.emit("again");
    expect(out.slice(2)).toEqual([["a", "again"]]);
    socket.offAnyOutgoing();
    socket.emit("silent");
    expect(out).toHaveLength(3);
    expect(socket.listenersAnyOutgoing()).toEqual([]);
    // the client did get them
    const got = once(c, "last");
    socket.emit("last");
    await got;
  });

  test("onAnyOutgoing sees broadcasts that reach the socket", async () => {
    const out: unknown[][] = [];
    socket.onAnyOutgoing((...args: unknown[]) => out.push(args));
    h.io.emit("broadcast", "all");
    expect(out).toEqual([["broadcast", "all"]]);
  });
});

describe("reserved and special event names", () => {
  test.each(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"])(
    'emitting "%s" throws, on the socket and in a broadcast',
    async (name) => {
      h = await startServer();
      const [socket] = await connect();
      expect(() => socket.emit(name)).toThrow(`"${name}" is a reserved event name`);
      expect(() => socket.timeout(10).emit(name)).toThrow("reserved event name");
      expect(() => socket.volatile.emit(name)).toThrow("reserved event name");
      expect(() => h.io.emit(name)).toThrow("reserved event name");
      expect(() => h.io.to("room").emit(name)).toThrow("reserved event name");
      expect(() => socket.broadcast.emit(name)).toThrow("reserved event name");
      expect(socket.connected).toBe(true);
    },
  );

  test('a client event named "error" with no listener does not crash the server', async () => {
    h = await startServer();
    const [socket, c] = await connect();
    c.emit("error", "client says error");
    socket.on("after", (ack: () => void) => ack());
    await c.emitWithAck("after");
    expect(socket.connected).toBe(true);
  });

  test('a client event named "error" reaches an "error" listener', async () => {
    h = await startServer();
    const [socket, c] = await connect();
    const got = once<unknown[]>(socket, "error");
    c.emit("error", { reason: "mine" }, 2);
    expect(await got).toEqual([{ reason: "mine" }, 2]);
  });
});

describe("error codes and the request (Duplex additions)", () => {
  test("an ack timeout carries code ACK_TIMEOUT, a disconnect ACK_CLOSED; socket.request is the engine's request", async () => {
    h = await startServer();
    const serverSocket = new Promise<import("@duplex/server").Socket>((resolve) => h.io.once("connection", resolve));
    const client = h.client();
    await once(client, "connect");
    const socket = await serverSocket;
    expect(socket.request).toBe(socket.conn.request);
    expect(socket.request.url).toMatch(/^\/socket\.io\/\?EIO=4/);
    const timedOut = await socket.timeout(20).emitWithAck("never").catch((e: Error & { code?: string }) => e);
    expect(timedOut).toMatchObject({ message: "operation has timed out", code: "ACK_TIMEOUT" });
    const pending = socket.timeout(60000).emitWithAck("never").catch((e: Error & { code?: string }) => e);
    client.disconnect();
    expect(await pending).toMatchObject({ message: "socket has been disconnected", code: "ACK_CLOSED" });
  });
});
