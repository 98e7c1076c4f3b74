import type { ManagerOptions, Socket as ClientSocket, SocketOptions } from "socket.io-client";
import type { Socket } from "@duplex/server";
import { stopwatch, within } from "../../../test-support/timing";
import { connected, once, startServer, until, type ServerHarness } from "./helpers";

/**
 * The server's timers with real timers and real sockets (socket.io-client
 * 4.8.4 and raw engine.io-client sessions on 127.0.0.1): connectTimeout, ack
 * timeouts on a socket and on a broadcast, and the connection state recovery
 * window with its sweeper. Each timer is made to fire more than once on the
 * same server or socket: a timer that works the first time and never again
 * (a cleared timer re-armed with `refresh()`) fails here.
 */

/** How late an event may come on a loaded machine and still count. */
const LATE = 3000;

let h: ServerHarness;
afterEach(() => h.close());

describe("connectTimeout", () => {
  const CONNECT_TIMEOUT = 250;

  test("sessions opened one after another are each closed connectTimeout after their own start", async () => {
    h = await startServer({ connectTimeout: CONNECT_TIMEOUT });
    for (let round = 0; round < 3; round++) {
      const clock = stopwatch();
      const raw = await h.raw(["websocket"]);
      expect(await within(raw.closed, CONNECT_TIMEOUT + LATE, `session ${round} is closed`)).toBe("transport close");
      expect(clock.ms()).toBeGreaterThanOrEqual(CONNECT_TIMEOUT - 5);
    }
    await until(() => h.io.engine.clientsCount === 0);
  });

  test("a CONNECT refused by a middleware does not stop the timer: the session is closed after connectTimeout", async () => {
    h = await startServer({ connectTimeout: CONNECT_TIMEOUT });
    h.io.use((_socket, next) => next(new Error("not allowed")));
    const clock = stopwatch();
    const raw = await h.raw(["polling"]);
    expect(await raw.join()).toBe('4{"message":"not allowed"}');
    expect(await within(raw.closed, CONNECT_TIMEOUT + LATE, "the refused session is closed")).toBe("transport close");
    expect(clock.ms()).toBeGreaterThanOrEqual(CONNECT_TIMEOUT - 5);
  });

  test("a session that joined keeps going past connectTimeout, while a later silent one is closed", async () => {
    h = await startServer({ connectTimeout: CONNECT_TIMEOUT });
    const joined = h.client("/", { transports: ["websocket"] });
    await connected(joined);
    const silent = await h.raw(["websocket"]);
    await within(silent.closed, CONNECT_TIMEOUT + LATE, "the silent session is closed");
    expect(joined.connected).toBe(true);
    const [socket] = [...h.io.sockets.sockets.values()];
    socket.on("echo", (value: string, ack: (value: string) => void) => ack(value));
    await expect(joined.timeout(LATE).emitWithAck("echo", "still here")).resolves.toBe("still here");
  });
});

describe("ack timeouts", () => {
  const ACK_TIMEOUT = 200;

  async function connectOne(): Promise<[Socket, ClientSocket]> {
    h = await startServer();
    const c = h.client("/", { transports: ["websocket"] });
    const [socket] = await once<[Socket]>(h.io, "connection");
    await connected(c);
    return [socket, c];
  }

  test("socket.timeout(ms): times out, then an answered emit, then times out again, on the same socket", async () => {
    const [socket, c] = await connectOne();
    c.on("silent", () => undefined);
    c.on("double", (n: number, ack: (n: number) => void) => ack(n * 2));
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

  test("two timed emits at once each fire at their own time, the shorter first", async () => {
    const [socket, c] = await connectOne();
    c.on("silent", () => undefined);
    const clock = stopwatch();
    const order: string[] = [];
    const short = socket
      .timeout(ACK_TIMEOUT)
      .emitWithAck("silent")
      .catch(() => order.push(`short@${Math.round(clock.ms())}`));
    const long = socket
      .timeout(ACK_TIMEOUT * 2)
      .emitWithAck("silent")
      .catch(() => order.push(`long@${Math.round(clock.ms())}`));
    await within(Promise.all([short, long]), ACK_TIMEOUT * 2 + LATE, "both emits time out");
    expect(order.map((entry) => entry.split("@")[0])).toEqual(["short", "long"]);
    expect(Number(order[0].split("@")[1])).toBeGreaterThanOrEqual(ACK_TIMEOUT - 5);
    expect(Number(order[1].split("@")[1])).toBeGreaterThanOrEqual(ACK_TIMEOUT * 2 - 5);
  });

  test("io.timeout(ms).emit with one client that never answers: err and the other's answer after ms, twice", async () => {
    h = await startServer();
    const answering = h.client("/", { transports: ["websocket"] });
    const silent = h.client("/", { transports: ["polling"] });
    await Promise.all([connected(answering), connected(silent)]);
    answering.on("q", (round: number, ack: (v: string) => void) => ack(`answer ${round}`));
    silent.on("q", () => undefined);
    for (let round = 0; round < 2; round++) {
      const clock = stopwatch();
      const [err, responses] = await within(
        new Promise<[Error | null, string[]]>((resolve) => h.io.timeout(ACK_TIMEOUT).emit("q", round, (e: Error | null, r: string[]) => resolve([e, r]))),
        ACK_TIMEOUT + LATE,
        `round ${round}: the broadcast's callback`,
      );
      expect(err?.message).toBe("operation has timed out");
      expect(responses).toEqual([`answer ${round}`]);
      expect(clock.ms()).toBeGreaterThanOrEqual(ACK_TIMEOUT - 5);
    }
  });
});

describe("connection state recovery window", () => {
  const WINDOW = 400;

  function reconnectingAfter(delay: number): Partial<ManagerOptions & SocketOptions> {
    return { transports: ["websocket"], reconnection: true, reconnectionDelay: delay, reconnectionDelayMax: delay, randomizationFactor: 0 };
  }

  /** Connects, joins "room", and receives one broadcast so the client holds an offset; then loses its transport. */
  async function connectAndDrop(client: ClientSocket): Promise<Socket> {
    const [socket] = await once<[Socket]>(h.io, "connection");
    await connected(client);
    socket.join("room");
    const hello = once(client, "hello");
    h.io.emit("hello");
    await hello;
    socket.once("disconnect", () => h.io.to("room").emit("missed", "while away"));
    const gone = once<[string]>(socket, "disconnect");
    client.io.engine.close();
    await gone;
    return socket;
  }

  test("back within the window: recovered with the missed packet; back after it: a fresh session", async () => {
    h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: WINDOW } });

    const quick = h.client("/", reconnectingAfter(WINDOW / 4));
    const quickMissed: unknown[] = [];
    quick.on("missed", (value: unknown) => quickMissed.push(value));
    const first = await connectAndDrop(quick);
    const [quickAgain] = await within(once<[Socket]>(h.io, "connection"), LATE, "the quick client comes back");
    expect(quickAgain.recovered).toBe(true);
    expect(quickAgain.id).toBe(first.id);
    await connected(quick);
    quickAgain.on("sync", (ack: () => void) => ack());
    await quick.emitWithAck("sync");
    expect(quickMissed).toEqual(["while away"]);
    quick.disconnect();

    const slow = h.client("/", reconnectingAfter(WINDOW * 2));
    const slowMissed: unknown[] = [];
    slow.on("missed", (value: unknown) => slowMissed.push(value));
    const second = await connectAndDrop(slow);
    const clock = stopwatch();
    const [slowAgain] = await within(once<[Socket]>(h.io, "connection"), WINDOW * 2 + LATE, "the slow client comes back");
    expect(clock.ms()).toBeGreaterThan(WINDOW);
    expect(slowAgain.recovered).toBe(false);
    expect(slowAgain.id).not.toBe(second.id);
    await connected(slow);
    slowAgain.on("sync", (ack: () => void) => ack());
    await slow.emitWithAck("sync");
    expect(slowMissed).toEqual([]);
  });

  test("quiet clients whose last packets were swept, back within the window, are recovered", async () => {
    h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: WINDOW } });
    const adapter = h.io.of("/").adapter as unknown as { packets: unknown[] };
    const clients = [h.client("/", reconnectingAfter(200)), h.client("/", reconnectingAfter(200))];
    const sockets: Socket[] = [];
    for (const c of clients) {
      const [socket] = await once<[Socket]>(h.io, "connection");
      await connected(c);
      sockets.push(socket);
    }
    const [onlyHello, heardNews] = clients;
    sockets[1].join("news");
    const hello = Promise.all(clients.map((c) => once(c, "hello")));
    h.io.emit("hello");
    await hello;
    const news = once(heardNews, "news");
    h.io.to("news").emit("news");
    await news;
    // The sweeper drops both packets once they are older than the window: each client's last offset is gone.
    await until(() => adapter.packets.length === 0, 1000 + WINDOW + LATE);

    const missed = clients.map((c) => {
      const got: unknown[] = [];
      c.on("missed", (value: unknown) => got.push(value));
      return got;
    });
    let gone = 0;
    for (const socket of sockets) socket.once("disconnect", () => ++gone === 2 && h.io.emit("missed", "while away"));
    const back = new Promise<Socket[]>((resolve) => {
      const again: Socket[] = [];
      h.io.on("connection", (socket) => again.push(socket) === 2 && resolve(again));
    });
    for (const c of clients) c.io.engine.close();
    await within(back, 200 + LATE, "both clients come back");
    await Promise.all(clients.map((c) => connected(c)));
    // Both last offsets were swept: every kept packet is newer, so each missed exactly the kept ones for its rooms.
    expect(heardNews.recovered).toBe(true);
    expect(heardNews.id).toBe(sockets[1].id);
    // The hello is older than the news, which was dropped too; the news was not for it (or it would hold the news's offset).
    expect(onlyHello.recovered).toBe(true);
    expect(onlyHello.id).toBe(sockets[0].id);
    for (const socket of h.io.sockets.sockets.values()) socket.on("sync", (ack: () => void) => ack());
    await Promise.all(clients.map((c) => c.emitWithAck("sync")));
    expect(missed).toEqual([["while away"], ["while away"]]);
  });

  test("the sweeper drops a session that never comes back, and the packets kept for it", async () => {
    h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: WINDOW } });
    const adapter = h.io.of("/").adapter as unknown as { sessions: Map<string, unknown>; packets: unknown[] };
    const c = h.client("/", { transports: ["websocket"] });
    const clock = stopwatch();
    await connectAndDrop(c);
    expect(adapter.sessions.size).toBe(1);
    expect(adapter.packets.length).toBe(2);
    // The sweeper runs every max(1000, window) ms (at most 60 s), on a real interval.
    await until(() => adapter.sessions.size === 0 && adapter.packets.length === 0, 1000 + WINDOW + LATE);
    expect(clock.ms()).toBeGreaterThanOrEqual(WINDOW - 5);
  });
});
