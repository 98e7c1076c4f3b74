import type { ExtendedError, Socket } from "@duplex/server";
import { connected, once, startServer, type ServerHarness } from "./helpers";

// Namespace middlewares (io.use, nsp.use) and per-packet socket middlewares (socket.use).

jest.setTimeout(10000);

let h: ServerHarness;

afterEach(() => h.close());

function refusal(message: string, data?: unknown): ExtendedError {
  const err: ExtendedError = new Error(message);
  if (data !== undefined) err.data = data;
  return err;
}

describe("namespace middlewares", () => {
  test("io.use runs each middleware in order, asynchronously if it likes, before connection", async () => {
    h = await startServer();
    const order: string[] = [];
    h.io.use((socket, next) => {
      order.push(`first ${socket.handshake.auth.token}`);
      expect(socket.connected).toBe(false);
      setTimeout(next, 10);
    });
    h.io.use((socket, next) => {
      order.push("second");
      socket.data = { checked: true };
      next();
    });
    h.io.on("connection", (socket) => order.push(`connection ${JSON.stringify(socket.data)}`));
    const c = h.client("/", { auth: { token: "t1" } });
    await connected(c);
    expect(order).toEqual(["first t1", "second", 'connection {"checked":true}']);
  });

  test("next(err) refuses: the client's connect_error has the message and data; no socket is left", async () => {
    h = await startServer();
    const after = jest.fn();
    h.io.use((_socket, next) => next(refusal("not authorized", { code: 401, retry: false })));
    h.io.use(after);
    const connection = jest.fn();
    h.io.on("connection", connection);
    const c = h.client();
    const [err] = await once<[Error & { data?: unknown }]>(c, "connect_error");
    expect(err.message).toBe("not authorized");
    expect(err.data).toEqual({ code: 401, retry: false });
    expect(after).not.toHaveBeenCalled();
    expect(connection).not.toHaveBeenCalled();
    expect(h.io.sockets.sockets.size).toBe(0);
    expect(h.io.sockets.adapter.sids.size).toBe(0);
  });

  test("an error without data reaches the client without data", async () => {
    h = await startServer();
    h.io.use((_socket, next) => next(new Error("nope")));
    const c = h.client();
    const [err] = await once<[Error & { data?: unknown }]>(c, "connect_error");
    expect(err.message).toBe("nope");
    expect(err.data).toBeUndefined();
  });

  test("after a refusal the same session may try again", async () => {
    h = await startServer();
    let attempts = 0;
    h.io.use((_socket, next) => (++attempts === 1 ? next(refusal("later", 1)) : next()));
    const raw = await h.raw(["websocket"]);
    expect(await raw.join()).toBe('4{"message":"later","data":1}');
    expect(await raw.join()).toMatch(/^0\{"sid":"[\w-]{20}"\}$/);
    expect(h.io.sockets.sockets.size).toBe(1);
  });

  test("nsp.use applies to its namespace only", async () => {
    h = await startServer();
    const admin = h.io.of("/admin");
    admin.use((socket, next) => next(socket.handshake.auth.admin ? undefined : refusal("admins only")));
    const main = h.client("/");
    await connected(main);
    const guest = h.client("/admin");
    const [err] = await once<[Error]>(guest, "connect_error");
    expect(err.message).toBe("admins only");
    const root = h.client("/admin", { auth: { admin: true } });
    await connected(root);
    expect(admin.sockets.size).toBe(1);
  });

  test("a middleware calling next twice connects once", async () => {
    h = await startServer();
    h.io.use((_socket, next) => {
      next();
      next();
    });
    const connection = jest.fn();
    h.io.on("connection", connection);
    const c = h.client();
    await connected(c);
    // a round trip proves no second connection was under way
    const [socket] = [...h.io.sockets.sockets.values()];
    socket.on("ping", (ack: () => void) => ack());
    await c.emitWithAck("ping");
    expect(connection).toHaveBeenCalledTimes(1);
    expect(h.io.sockets.sockets.size).toBe(1);
  });
});

describe("socket middlewares", () => {
  test("socket.use sees [event, ...args] for each incoming event and may change it", async () => {
    h = await startServer();
    const seen: unknown[][] = [];
    h.io.on("connection", (socket) => {
      socket.use((event, next) => {
        seen.push(event.filter((a) => typeof a !== "function"));
        if (event[0] === "shout") event[1] = String(event[1]).toUpperCase();
        next();
      });
      socket.on("shout", (text: string, ack: (t: string) => void) => ack(text));
    });
    const c = h.client();
    await connected(c);
    expect(await c.emitWithAck("shout", "hello")).toBe("HELLO");
    expect(seen).toEqual([["shout", "hello"]]);
  });

  test('next(err) stops the event and emits "error" on the server socket', async () => {
    h = await startServer();
    const handler = jest.fn();
    const errors: Error[] = [];
    const [socket, c] = await connect();
    socket.use(([event], next) => next(event === "forbidden" ? new Error(`no ${event}`) : undefined));
    socket.on("forbidden", handler);
    socket.on("allowed", (ack: () => void) => ack());
    socket.on("error", (err) => errors.push(err));
    const err = once<[Error]>(socket, "error");
    c.emit("forbidden", 1);
    expect((await err)[0].message).toBe("no forbidden");
    // the next event still passes: the socket is not closed by a middleware error
    await c.emitWithAck("allowed");
    expect(handler).not.toHaveBeenCalled();
    expect(errors).toHaveLength(1);
    expect(socket.connected).toBe(true);
  });

  test("a middleware error with no error listener does not throw", async () => {
    h = await startServer();
    const [socket, c] = await connect();
    socket.use(([event], next) => next(event === "bad" ? new Error("bad") : undefined));
    socket.on("good", (ack: () => void) => ack());
    c.emit("bad");
    await c.emitWithAck("good");
    expect(socket.connected).toBe(true);
  });

  test("middlewares run in order and onAny sees events before them", async () => {
    h = await startServer();
    const [socket, c] = await connect();
    const order: string[] = [];
    socket.onAny((event) => order.push(`any ${event}`));
    socket.use((_e, next) => {
      order.push("mw1");
      next();
    });
    socket.use((_e, next) => {
      order.push("mw2");
      setImmediate(next);
    });
    const got = once(socket, "ev");
    socket.on("ev", () => order.push("handler"));
    c.emit("ev");
    await got;
    expect(order).toEqual(["any ev", "mw1", "mw2", "handler"]);
  });
});

async function connect(): Promise<[Socket, ReturnType<ServerHarness["client"]>]> {
  const c = h.client();
  const [socket] = await once<[Socket]>(h.io, "connection");
  await connected(c);
  return [socket, c];
}
