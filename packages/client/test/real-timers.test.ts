import { createServer as createTcpServer, type Socket as TcpSocket } from "node:net";
import type { AddressInfo } from "node:net";
import { freePort } from "../../../test-support/net";
import { quiet, stopwatch, within } from "../../../test-support/timing";
import { SERVERS, client, closeAll, collect, connected, onCleanup, once, silentServer, startServer, type AnyServer } from "./helpers";

/**
 * The client's timers with real timers and real sockets on 127.0.0.1, the
 * counterparts of timers.test.ts (which runs them under fake timers): the
 * engine's heartbeat watchdog, the reconnection delay and attempts, the
 * connect `timeout`, ack timeouts and `retries`/`ackTimeout`. Where a timer
 * can fire more than once in a client's life, the test makes it do so: a
 * timer that works once and never again fails here.
 */
afterEach(() => closeAll());

/** How late an event may come on a loaded machine and still count. */
const LATE = 3000;
const WS = { transports: ["websocket" as const] };

/** A TCP server that accepts connections and never answers: no handshake ever completes. */
async function blackHole(): Promise<string> {
  const sockets = new Set<TcpSocket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onCleanup(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("heartbeat watchdog", () => {
  const PING_INTERVAL = 200;
  const PING_TIMEOUT = 100;

  test('a server silent for pingInterval + pingTimeout: "ping timeout", and again after a reconnection', async () => {
    const url = await silentServer(PING_INTERVAL, PING_TIMEOUT);
    const socket = client(url, { ...WS, reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 50, randomizationFactor: 0 });
    for (let round = 0; round < 2; round++) {
      await connected(socket);
      const clock = stopwatch();
      const [reason] = await within(once<[string]>(socket, "disconnect"), PING_INTERVAL + PING_TIMEOUT + LATE, `round ${round}: the disconnect`);
      expect(reason).toBe("ping timeout");
      // The watchdog counts from the open packet, a moment before "connect".
      expect(clock.ms()).toBeGreaterThanOrEqual(PING_INTERVAL + PING_TIMEOUT - 50);
    }
  });

  const KEPT_ALIVE = SERVERS.flatMap((kind) => (["polling", "websocket"] as const).map((transport) => [kind, transport] as const));

  test.each(KEPT_ALIVE)("a %s server that pings keeps the client connected over many intervals (%s)", async (kind, transport) => {
    const h = await startServer(kind, { pingInterval: 100, pingTimeout: 100 });
    const socket = client(h.url, { transports: [transport] });
    await connected(socket);
    let pings = 0;
    socket.io.on("ping", () => pings++);
    const reasons: string[] = [];
    socket.on("disconnect", (reason: string) => reasons.push(reason));
    await quiet(700);
    expect(reasons).toEqual([]);
    expect(socket.connected).toBe(true);
    expect(pings).toBeGreaterThanOrEqual(3);
  });
});

describe("reconnection", () => {
  const DELAY = 200;

  test("each reconnection waits reconnectionDelay, then succeeds (twice in a row)", async () => {
    const h = await startServer("duplex");
    const socket = client(h.url, { ...WS, reconnection: true, reconnectionDelay: DELAY, reconnectionDelayMax: DELAY, randomizationFactor: 0 });
    await connected(socket);
    for (let round = 1; round <= 2; round++) {
      const [server] = [...h.io.sockets.sockets.values()] as AnyServer[];
      const down = once<[string]>(socket, "disconnect");
      const attempt = once<[number]>(socket.io, "reconnect_attempt");
      const back = once<[number]>(socket.io, "reconnect");
      server.conn.close();
      expect(await down).toEqual(["transport close"]);
      const clock = stopwatch();
      // The backoff was reset by the previous success: attempt 1 each time, after the minimum delay.
      expect(await within(attempt, DELAY + LATE, `round ${round}: reconnect_attempt`)).toEqual([1]);
      expect(clock.ms()).toBeGreaterThanOrEqual(DELAY - 5);
      expect(await within(back, LATE, `round ${round}: reconnect`)).toEqual([1]);
      await connected(socket);
    }
  });

  test("a server that is gone: reconnectionAttempts attempts, spaced by the backoff, then reconnect_failed", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const socket = client(url, { ...WS, reconnection: true, reconnectionAttempts: 3, reconnectionDelay: 100, reconnectionDelayMax: 400, randomizationFactor: 0 });
    const clock = stopwatch();
    const attempts: Array<[number, number]> = [];
    socket.io.on("reconnect_attempt", (n: number) => attempts.push([n, clock.ms()]));
    const errors = collect<unknown>(3);
    socket.io.on("reconnect_error", errors.fn);
    await within(once(socket.io, "reconnect_failed"), 100 + 200 + 400 + LATE, "reconnect_failed");
    expect(errors.seen).toHaveLength(3);
    expect(attempts.map(([n]) => n)).toEqual([1, 2, 3]);
    // 100, then 200, then 400 ms after each failure: each attempt at least the sum of the delays before it.
    expect(attempts[0][1]).toBeGreaterThanOrEqual(100 - 5);
    expect(attempts[1][1]).toBeGreaterThanOrEqual(100 + 200 - 5);
    expect(attempts[2][1]).toBeGreaterThanOrEqual(100 + 200 + 400 - 5);
  });
});

describe("connect timeout (`timeout` option)", () => {
  const TIMEOUT = 300;

  test('a server that accepts and never answers: connect_error "timeout" after `timeout`', async () => {
    const url = await blackHole();
    const clock = stopwatch();
    const socket = client(url, { timeout: TIMEOUT });
    const [err] = await within(once<[Error & { code?: string }]>(socket, "connect_error"), TIMEOUT + LATE, "connect_error");
    expect(err.message).toBe("timeout");
    expect(err.code).toBe("CONNECT_TIMEOUT");
    expect(clock.ms()).toBeGreaterThanOrEqual(TIMEOUT - 5);
    expect(socket.connected).toBe(false);
  });

  test("each reconnection attempt gets its own `timeout`", async () => {
    const url = await blackHole();
    const clock = stopwatch();
    const socket = client(url, { timeout: TIMEOUT, reconnection: true, reconnectionAttempts: 1, reconnectionDelay: 50, reconnectionDelayMax: 50, randomizationFactor: 0 });
    const errors: Array<[string, number]> = [];
    socket.on("connect_error", (err: Error) => errors.push([err.message, clock.ms()]));
    await within(once(socket.io, "reconnect_failed"), 2 * TIMEOUT + 50 + LATE, "reconnect_failed");
    expect(errors.map(([message]) => message)).toEqual(["timeout", "timeout"]);
    expect(errors[0][1]).toBeGreaterThanOrEqual(TIMEOUT - 5);
    expect(errors[1][1]).toBeGreaterThanOrEqual(2 * TIMEOUT + 50 - 5);
  });

  test("a connection that opens in time is not cut when `timeout` passes", async () => {
    const h = await startServer("duplex");
    const socket = client(h.url, { ...WS, timeout: TIMEOUT });
    await connected(socket);
    const reasons: string[] = [];
    socket.on("disconnect", (reason: string) => reasons.push(reason));
    await quiet(TIMEOUT + 200);
    expect(reasons).toEqual([]);
    expect(socket.connected).toBe(true);
  });
});

describe("ack timeouts and retries (Duplex server)", () => {
  const ACK_TIMEOUT = 200;

  test("socket.timeout(ms): times out, then an answered emit, then times out again", async () => {
    const h = await startServer("duplex");
    h.io.on("connection", (s: AnyServer) => {
      s.on("silent", () => undefined);
      s.on("double", (n: number, ack: (n: number) => void) => ack(n * 2));
    });
    const socket = client(h.url, WS);
    await connected(socket);
    for (let round = 0; round < 2; round++) {
      const clock = stopwatch();
      const [err] = await within(
        new Promise<unknown[]>((resolve) => socket.timeout(ACK_TIMEOUT).emit("silent", (...args: unknown[]) => resolve(args))),
        ACK_TIMEOUT + LATE,
        `round ${round}: the timed-out callback`,
      );
      expect((err as Error).message).toBe("operation has timed out");
      expect(clock.ms()).toBeGreaterThanOrEqual(ACK_TIMEOUT - 5);
      await expect(socket.timeout(ACK_TIMEOUT * 10).emitWithAck("double", round)).resolves.toBe(round * 2);
    }
  });

  test("an emit buffered while disconnected times out and is never sent", async () => {
    const h = await startServer("duplex");
    const got = collect<string>(1);
    h.io.on("connection", (s: AnyServer) => s.onAny((event: string) => got.fn(event)));
    const socket = client(h.url, { ...WS, autoConnect: false });
    const clock = stopwatch();
    const timedOut = new Promise<Error>((resolve) => socket.timeout(ACK_TIMEOUT).emit("stale", (err: Error) => resolve(err)));
    expect((await within(timedOut, ACK_TIMEOUT + LATE, "the buffered emit's timeout")).message).toBe("operation has timed out");
    expect(clock.ms()).toBeGreaterThanOrEqual(ACK_TIMEOUT - 5);
    socket.emit("fresh");
    socket.connect();
    expect(await got.done).toEqual(["fresh"]);
  });

  test("retries + ackTimeout: re-sent every ackTimeout until acked, then the next emit goes", async () => {
    const h = await startServer("duplex");
    const deliveries: Array<[number, number]> = [];
    const clock = stopwatch();
    h.io.on("connection", (s: AnyServer) =>
      s.on("job", (n: number, ack: (r: string) => void) => {
        deliveries.push([n, clock.ms()]);
        if (n === 2 || deliveries.filter(([d]) => d === 1).length === 3) ack(`done ${n}`);
      }),
    );
    const socket = client(h.url, { ...WS, retries: 3, ackTimeout: ACK_TIMEOUT });
    await connected(socket);
    const answers = collect<unknown[]>(2);
    socket.emit("job", 1, (...args: unknown[]) => answers.fn(args));
    socket.emit("job", 2, (...args: unknown[]) => answers.fn(args));
    expect(await within(answers.done, 3 * ACK_TIMEOUT + LATE, "both answers")).toEqual([
      [null, "done 1"],
      [null, "done 2"],
    ]);
    expect(deliveries.map(([n]) => n)).toEqual([1, 1, 1, 2]);
    // Each re-send waits a full ackTimeout after the previous try.
    expect(deliveries[1][1] - deliveries[0][1]).toBeGreaterThanOrEqual(ACK_TIMEOUT - 20);
    expect(deliveries[2][1] - deliveries[1][1]).toBeGreaterThanOrEqual(ACK_TIMEOUT - 20);
  });

  test("retries across a lost connection: the unanswered emit goes out again on the next connection", async () => {
    const h = await startServer("duplex");
    let deliveries = 0;
    h.io.on("connection", (s: AnyServer) =>
      s.on("job", (ack: (r: string) => void) => {
        // The first delivery is lost with its connection; the second is answered.
        if (++deliveries === 1) s.conn.close();
        else ack("done");
      }),
    );
    const socket = client(h.url, { ...WS, retries: 2, ackTimeout: ACK_TIMEOUT * 10, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 100, randomizationFactor: 0 });
    await connected(socket);
    const clock = stopwatch();
    const answered = new Promise<unknown[]>((resolve) => socket.emit("job", (...args: unknown[]) => resolve(args)));
    expect(await within(answered, 100 + LATE, "the answer after the reconnection")).toEqual([null, "done"]);
    expect(deliveries).toBe(2);
    // Sent again because the connection came back, not because ackTimeout ran out.
    expect(clock.ms()).toBeLessThan(ACK_TIMEOUT * 10);
  });

  test("retries exhausted: 1 + retries deliveries, then the callback gets the timeout error", async () => {
    const h = await startServer("duplex");
    let count = 0;
    h.io.on("connection", (s: AnyServer) => s.on("never", () => count++));
    const socket = client(h.url, { ...WS, retries: 2, ackTimeout: ACK_TIMEOUT });
    await connected(socket);
    const clock = stopwatch();
    const failed = new Promise<Error>((resolve) => socket.emit("never", (err: Error) => resolve(err)));
    const err = await within(failed, 3 * ACK_TIMEOUT + LATE, "the final error");
    expect(err.message).toBe("operation has timed out");
    expect(count).toBe(3);
    expect(clock.ms()).toBeGreaterThanOrEqual(3 * ACK_TIMEOUT - 5);
  });
});

describe("connection state recovery window (Duplex server)", () => {
  const WINDOW = 400;

  test.each([
    ["within", WINDOW / 4, true, ["while away"]],
    ["after", WINDOW * 2, false, []],
  ] as const)("a client back %s the window (reconnecting after %i ms)", async (_when, delay, recovered, missed) => {
    const h = await startServer("duplex", { connectionStateRecovery: { maxDisconnectionDuration: WINDOW } });
    const socket = client(h.url, { ...WS, reconnection: true, reconnectionDelay: delay, reconnectionDelayMax: delay, randomizationFactor: 0 });
    const [server] = await Promise.all([once<[AnyServer]>(h.io, "connection"), connected(socket)]).then(([args]) => args);
    server.join("room");
    // One broadcast first, so the client holds an offset to come back with.
    const hello = once(socket, "hello");
    h.io.emit("hello");
    await hello;
    const firstId = socket.id;
    const got: unknown[] = [];
    socket.on("missed", (value: unknown) => got.push(value));
    server.once("disconnect", () => h.io.to("room").emit("missed", "while away"));
    const down = once(socket, "disconnect");
    server.conn.close();
    await down;
    const clock = stopwatch();
    const [again] = await within(once<[AnyServer]>(h.io, "connection"), delay + LATE, "the client comes back");
    expect(clock.ms()).toBeGreaterThanOrEqual(delay - 5);
    await connected(socket);
    expect(socket.recovered).toBe(recovered);
    expect(socket.id === firstId).toBe(recovered);
    again.on("sync", (ack: () => void) => ack());
    await socket.emitWithAck("sync");
    expect(got).toEqual(missed);
  });
});
