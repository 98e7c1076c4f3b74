import { client, closeAll, collect, connected, once, silentServer, startServer, type AnyServer, type Harness } from "./helpers";

/**
 * Timing logic under jest fake timers: heartbeat, reconnection delay, ack
 * timeouts and retries. Sockets are real (WebSocket only: polling's fetch
 * keeps timers of its own); nextTick, setImmediate and microtasks stay real
 * so that I/O goes on, and only the timers the test advances fire.
 */
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
});
afterEach(async () => {
  jest.useRealTimers();
  await closeAll();
});

const WS = { transports: ["websocket" as const] };

test('a server silent for pingInterval + pingTimeout: "disconnect" with "ping timeout"', async () => {
  const socket = client(await silentServer(300, 200), WS);
  await connected(socket);
  expect(socket.id).toBe("sio1");
  const reasons: string[] = [];
  socket.on("disconnect", (reason: string) => reasons.push(reason));
  jest.advanceTimersByTime(499);
  expect(reasons).toEqual([]);
  expect(socket.connected).toBe(true);
  jest.advanceTimersByTime(1);
  expect(reasons).toEqual(["ping timeout"]);
  expect(socket.connected).toBe(false);
});

describe("with a Duplex server", () => {
  let h: Harness;
  let server: AnyServer;
  const received: unknown[] = [];
  beforeEach(async () => {
    received.length = 0;
    h = await startServer("duplex");
    server = h.io;
  });

  test("emits while disconnected are flushed in order on reconnect; volatile ones are dropped", async () => {
    const got = collect<unknown>(4);
    server.on("connection", (s: AnyServer) => s.onAny((ev: string, arg: unknown) => got.fn(`${ev}:${arg}`)));
    const socket = client(h.url, { ...WS, reconnection: true, reconnectionDelay: 1000, randomizationFactor: 0 });
    const [s] = await Promise.all([once<[AnyServer]>(server, "connection"), connected(socket)]).then(([a]) => a);
    const down = once<[string]>(socket, "disconnect");
    s.conn.close();
    expect(await down).toEqual(["transport close"]);

    socket.emit("e", 1);
    socket.volatile.emit("v", 2);
    socket.emit("e", 3);
    socket.volatile.emit("v", 4);
    socket.emit("e", 5);
    expect(socket.sendBuffer).toHaveLength(3);

    const attempts: number[] = [];
    socket.io.on("reconnect_attempt", (n: number) => attempts.push(n));
    jest.advanceTimersByTime(999);
    expect(attempts).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(attempts).toEqual([1]);
    await once(socket, "connect");
    socket.emit("e", "end");
    expect(await got.done).toEqual(["e:1", "e:3", "e:5", "e:end"]);
  });

  test('socket.timeout(ms).emit: the callback gets "operation has timed out" after ms, not before', async () => {
    server.on("connection", (s: AnyServer) => s.on("slow", () => undefined));
    const socket = client(h.url, WS);
    await connected(socket);
    const calls: unknown[][] = [];
    socket.timeout(500).emit("slow", 1, (...args: unknown[]) => calls.push(args));
    const rejected = socket.timeout(500).emitWithAck("slow", 2);
    jest.advanceTimersByTime(499);
    expect(calls).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(1);
    expect((calls[0][0] as Error).message).toBe("operation has timed out");
    await expect(rejected).rejects.toThrow("operation has timed out");
  });

  test("a buffered emit that timed out is not sent when the socket connects", async () => {
    const got = collect<unknown>(1);
    server.on("connection", (s: AnyServer) => s.onAny((ev: string) => got.fn(ev)));
    const socket = client(h.url, { ...WS, autoConnect: false });
    const errors: string[] = [];
    socket.timeout(100).emit("stale", (err: Error) => errors.push(err.message));
    socket.emit("fresh");
    jest.advanceTimersByTime(100);
    expect(errors).toEqual(["operation has timed out"]);
    expect(socket.sendBuffer).toHaveLength(1);
    socket.connect();
    expect(await got.done).toEqual(["fresh"]);
  });

  test("retries: an emit with ack is re-sent until acked, in order, one in flight", async () => {
    // The server acks job 1 on its third delivery, job 2 at once.
    const deliveries: number[] = [];
    let arrived: (() => void) | undefined;
    server.on("connection", (s: AnyServer) =>
      s.on("job", (n: number, ack: (r: string) => void) => {
        deliveries.push(n);
        if (n === 2 || deliveries.filter((d) => d === 1).length === 3) ack(`done ${n}`);
        arrived?.();
      }),
    );
    const delivery = () => new Promise<void>((resolve) => (arrived = resolve));
    const socket = client(h.url, { ...WS, retries: 3, ackTimeout: 100 });
    await connected(socket);
    const answers = collect<unknown[]>(2);
    let next = delivery();
    socket.emit("job", 1, (...args: unknown[]) => answers.fn(args));
    socket.emit("job", 2, (...args: unknown[]) => answers.fn(args));
    await next;
    expect(deliveries).toEqual([1]); // job 2 waits for job 1's ack
    next = delivery();
    jest.advanceTimersByTime(100);
    await next;
    expect(deliveries).toEqual([1, 1]);
    next = delivery();
    jest.advanceTimersByTime(100);
    await next; // third delivery of 1: acked
    next = delivery();
    await next; // then job 2
    expect(deliveries).toEqual([1, 1, 1, 2]);
    expect(await answers.done).toEqual([
      [null, "done 1"],
      [null, "done 2"],
    ]);
  });

  test("retries exhausted: 1 + retries deliveries, then the callback gets the timeout error", async () => {
    let count = 0;
    let arrived: (() => void) | undefined;
    server.on("connection", (s: AnyServer) =>
      s.on("never", () => {
        count++;
        arrived?.();
      }),
    );
    const socket = client(h.url, { ...WS, retries: 3, ackTimeout: 100 });
    await connected(socket);
    const errors: Error[] = [];
    let next = new Promise<void>((r) => (arrived = r));
    socket.emit("never", (err: Error) => errors.push(err));
    for (let i = 1; i <= 4; i++) {
      await next;
      expect(count).toBe(i);
      next = new Promise<void>((r) => (arrived = r));
      expect(errors).toEqual([]);
      jest.advanceTimersByTime(100);
    }
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toBe("operation has timed out");
    expect(count).toBe(4);
  });

  test("retries: an emit without ack is also delivered at least once (the server must ack)", async () => {
    let count = 0;
    let arrived: (() => void) | undefined;
    server.on("connection", (s: AnyServer) =>
      s.on("fire", (ack: () => void) => {
        if (++count === 2) ack();
        arrived?.();
      }),
    );
    const socket = client(h.url, { ...WS, retries: 2, ackTimeout: 100 });
    await connected(socket);
    let next = new Promise<void>((r) => (arrived = r));
    socket.emit("fire");
    await next;
    next = new Promise<void>((r) => (arrived = r));
    jest.advanceTimersByTime(100);
    await next;
    jest.advanceTimersByTime(1000); // acked: no third delivery
    await new Promise((r) => setImmediate(r));
    expect(count).toBe(2);
  });
});
