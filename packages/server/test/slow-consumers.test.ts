import { format } from "node:util";
import WebSocket from "ws";
import createDebug from "debug";
import type { Socket as ClientSocket } from "socket.io-client";
import type { Socket } from "@duplex/server";
import { stopwatch, within } from "../../../test-support/timing";
import { connected, once, startServer, until, type ServerHarness } from "./helpers";

/**
 * Slow consumers, with real sockets and small limits: a WebSocket client
 * whose raw TCP socket stops reading, and a polling client that stops
 * polling. The server's buffer for each stays bounded (maxBackpressure),
 * volatile packets go first, and the session is closed with reason
 * "slow consumer" when it grows by the limit again or stays over it for
 * backpressureTimeout. The grace timer is tested here with real timers; its
 * arithmetic with fake ones in packages/engine/src/backpressure.test.ts.
 */

const LIMIT = 64 * 1024;
const GRACE = 400;
/** 16 KiB of text per message; a turn of the flood sends ROUND messages. */
const MESSAGE = "x".repeat(16 * 1024);
const ROUND = 8;

let h: ServerHarness;
afterEach(() => h?.close());

interface Flood {
  /** The largest `socket.conn.bufferedAmount` seen after an emit. */
  maxBuffered: number;
  emitted: number;
  /** Whether `stopWhen()` stopped it. */
  stopped: boolean;
  stop(): void;
}

/** Emits ROUND messages per turn of the event loop to `socket` until stopped, it disconnects, or `stopWhen()` holds at the start of a turn. */
function flood(socket: Socket, stopWhen: () => boolean = () => false, emit = (i: number) => socket.emit("data", i, MESSAGE)): Flood {
  const state: Flood = { maxBuffered: 0, emitted: 0, stopped: false, stop: () => (stopped = true) };
  let stopped = false;
  const turn = () => {
    if (stopped || !socket.connected) return;
    if (stopWhen()) {
      state.stopped = true;
      return;
    }
    for (let i = 0; i < ROUND && socket.connected; i++) {
      emit(state.emitted++);
      state.maxBuffered = Math.max(state.maxBuffered, socket.conn.bufferedAmount);
    }
    setImmediate(turn);
  };
  turn();
  return state;
}

/**
 * Whether the client has stopped taking data: at the start of a turn, what the
 * previous turn queued has been handed to the socket, and still more than
 * the limit waits. (Within a turn, a burst is queued whatever the client
 * does, so `congested` alone also holds, briefly, for a client that reads.)
 */
function stuck(socket: Socket): () => boolean {
  return () => socket.conn.congested && socket.conn.bufferedAmount > LIMIT;
}

/** A raw WebSocket client on the Socket.IO path that joins "/" and then stops reading its TCP socket. */
async function stuckWebSocket(): Promise<{ ws: WebSocket; socket: Socket }> {
  const connection = once<[Socket]>(h.io, "connection");
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/socket.io/?EIO=4&transport=websocket`);
  ws.on("error", () => {});
  ws.on("message", (data) => {
    if (String(data).startsWith("0{")) ws.send("40");
  });
  const [socket] = await connection;
  // ws.pause() pauses the raw TCP socket (net.Socket#pause): nothing more is read from the kernel.
  ws.pause();
  return { ws, socket };
}

/** A polling client that opens a session, joins "/", takes the CONNECT answer, and never polls again. */
async function stuckPolling(): Promise<{ sid: string; socket: Socket }> {
  const base = `${h.url}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  const connection = once<[Socket]>(h.io, "connection");
  await fetch(`${base}&sid=${sid}`, { method: "POST", body: "40" });
  const [socket] = await connection;
  expect(await (await fetch(`${base}&sid=${sid}`)).text()).toMatch(/^40\{"sid"/);
  return { sid, socket };
}

/** Debug lines of `namespaces` written while `fn` runs. */
async function debugLines(namespaces: string, fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const log = createDebug.log;
  createDebug.log = (...args: unknown[]) => lines.push(format(...args));
  createDebug.enable(namespaces);
  try {
    await fn();
  } finally {
    createDebug.disable();
    createDebug.log = log;
  }
  return lines;
}

describe("a WebSocket client that stops reading", () => {
  test("is closed with 'slow consumer' once its buffer grows by maxBackpressure again; the buffer stays bounded, and the log says why", async () => {
    h = await startServer({ maxBackpressure: LIMIT, backpressureTimeout: 60_000 });
    const { ws, socket } = await stuckWebSocket();
    let reason = "";
    let description: unknown;
    let flow: Flood | undefined;
    const lines = await debugLines("duplex:engine:socket", async () => {
      const gone = once<[string, unknown]>(socket, "disconnect");
      flow = flood(socket);
      [reason, description] = await within(gone, 20_000, "the stuck client's disconnect");
    });
    ws.terminate();

    expect(reason).toBe("slow consumer");
    expect(String(description)).toMatch(/bytes buffered for the client, maxBackpressure \(65536\) more than the \d+ it held once congested/);
    // The kernel takes a few MB first; the session then holds at most: its base (the limit, plus
    // one turn's flood) and the limit again, plus the message that found it full.
    const bytesPerTurn = ROUND * (MESSAGE.length + 20);
    expect(flow!.maxBuffered).toBeLessThanOrEqual(2 * LIMIT + bytesPerTurn + MESSAGE.length + 100);
    expect(flow!.maxBuffered).toBeGreaterThan(LIMIT);
    expect(lines.some((l) => l.includes("congested") && l.includes("maxBackpressure 65536"))).toBe(true);
    expect(lines.some((l) => l.includes("closed (slow consumer: "))).toBe(true);
    expect(h.io.engine.clientsCount).toBe(0);
  });

  test("real timers: congested and then quiet, it is closed when backpressureTimeout runs out, not before", async () => {
    h = await startServer({ maxBackpressure: LIMIT, backpressureTimeout: GRACE });
    const { ws, socket } = await stuckWebSocket();
    const gone = once<[string, unknown]>(socket, "disconnect");
    let congestedAt: { ms(): number } | null = null;
    socket.conn.on("backpressure", (congested) => {
      if (congested) congestedAt = stopwatch();
    });
    flood(socket, stuck(socket));
    const [reason, description] = await within(gone, 20_000, "the stuck client's disconnect");
    const after = congestedAt!.ms();
    ws.terminate();

    expect(reason).toBe("slow consumer");
    expect(String(description)).toMatch(new RegExp(`over maxBackpressure \\(65536\\) for \\d+ ms \\(backpressureTimeout ${GRACE}\\)`));
    expect(after).toBeGreaterThanOrEqual(GRACE - 5);
    expect(after).toBeLessThan(GRACE + 500);
  });

  test("volatile packets are dropped while it is congested; non-volatile ones are kept", async () => {
    h = await startServer({ maxBackpressure: LIMIT, backpressureTimeout: 60_000 });
    const { ws, socket } = await stuckWebSocket();
    const flow = flood(socket, stuck(socket));
    await until(() => flow.stopped, 20_000);
    expect(socket.conn.congested).toBe(true);

    const before = socket.conn.bufferedAmount;
    for (let i = 0; i < 20; i++) socket.volatile.emit("tick", MESSAGE);
    h.io.volatile.emit("tick", MESSAGE);
    expect(socket.conn.bufferedAmount).toBe(before);
    socket.emit("kept", "y");
    expect(socket.conn.bufferedAmount).toBeGreaterThan(before);
    ws.terminate();
  });

  test("a client that reads again within the grace period gets 'drain' and everything, in order", async () => {
    h = await startServer({ maxBackpressure: LIMIT, backpressureTimeout: 10_000 });
    const { ws, socket } = await stuckWebSocket();
    const received: number[] = [];
    ws.on("message", (data) => {
      const text = String(data);
      if (text.startsWith('42["data"')) received.push(JSON.parse(text.slice(2))[1] as number);
    });
    const flow = flood(socket, stuck(socket));
    await until(() => flow.stopped, 20_000);
    const drained = once(socket, "drain");
    ws.resume();
    await within(drained, 10_000, "drain");
    expect(socket.connected).toBe(true);
    expect(socket.conn.congested).toBe(false);
    expect(socket.conn.bufferedAmount).toBeLessThanOrEqual(LIMIT);
    await until(() => received.length === flow.emitted, 10_000);
    expect(received).toEqual([...Array(flow.emitted).keys()]);
    ws.terminate();
  });

  test("a broadcast does not wait for it: a reading client gets every broadcast while the stuck one is closed", async () => {
    h = await startServer({ maxBackpressure: LIMIT, backpressureTimeout: 60_000 });
    const { ws, socket: stuck } = await stuckWebSocket();
    const reader = h.client("/", { transports: ["websocket"] });
    await connected(reader);
    const got: number[] = [];
    reader.on("data", (i: number) => got.push(i));
    const gone = once<[string]>(stuck, "disconnect");
    let sent = 0;
    flood(stuck, () => false, () => h.io.emit("data", sent++, MESSAGE));
    expect((await within(gone, 20_000, "the stuck client's disconnect"))[0]).toBe("slow consumer");
    const total = sent;
    await until(() => got.length === total, 10_000);
    expect(got).toEqual([...Array(total).keys()]);
    expect(reader.connected).toBe(true);
    ws.terminate();
  });
});

describe("a polling client that stops polling", () => {
  test("is closed with 'slow consumer' once its buffer grows by maxBackpressure again; its next poll finds no session", async () => {
    h = await startServer({ maxBackpressure: LIMIT, backpressureTimeout: 60_000 });
    const { sid, socket } = await stuckPolling();
    const gone = once<[string, unknown]>(socket, "disconnect");
    const flow = flood(socket);
    const [reason, description] = await within(gone, 20_000, "the stuck client's disconnect");
    expect(reason).toBe("slow consumer");
    expect(String(description)).toMatch(/maxBackpressure \(65536\) more than/);
    // Nothing reaches the network without a poll: the base is what one turn queued at most.
    expect(flow.maxBuffered).toBeLessThanOrEqual(2 * LIMIT + 2 * ROUND * (MESSAGE.length + 20));

    const poll = await fetch(`${h.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    expect(poll.status).toBe(400);
    expect(await poll.json()).toEqual({ code: 1, message: "Session ID unknown" });
  });

  test("real timers: congested and then quiet, it is closed when backpressureTimeout runs out", async () => {
    h = await startServer({ maxBackpressure: LIMIT, backpressureTimeout: GRACE });
    const { socket } = await stuckPolling();
    expect(socket.conn.bufferedAmount).toBe(0);
    const gone = once<[string, unknown]>(socket, "disconnect");
    const congestion = once<[boolean, number]>(socket.conn, "backpressure");
    const clock = stopwatch();
    // One burst, over the limit: the policy lets it in, and it waits for a poll that never comes.
    for (let i = 0; i < 5; i++) socket.emit("data", i, MESSAGE);
    expect(socket.conn.bufferedAmount).toBeGreaterThan(5 * MESSAGE.length);
    const [congested, amount] = await congestion;
    expect(congested).toBe(true);
    expect(amount).toBeGreaterThan(LIMIT);
    const [reason, description] = await within(gone, 5_000, "the stuck client's disconnect");
    expect(reason).toBe("slow consumer");
    expect(String(description)).toContain(`(backpressureTimeout ${GRACE})`);
    expect(clock.ms()).toBeGreaterThanOrEqual(GRACE - 5);
    expect(clock.ms()).toBeLessThan(GRACE + 500);
  });

  test("a client that polls again within the grace period gets 'drain' and stays", async () => {
    h = await startServer({ maxBackpressure: LIMIT, backpressureTimeout: 5_000 });
    const { sid, socket } = await stuckPolling();
    for (let i = 0; i < 5; i++) socket.emit("data", i, MESSAGE);
    expect(socket.conn.congested).toBe(false); // a burst: congested only if still there on the next turn
    await within(once(socket.conn, "backpressure"), 1000, "congestion");
    expect(socket.conn.congested).toBe(true);
    const drained = once(socket, "drain");
    const body = await (await fetch(`${h.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`)).text();
    await within(drained, 5_000, "drain");
    expect(body.split("\x1e")).toHaveLength(5);
    expect(socket.connected).toBe(true);
    expect(socket.conn.bufferedAmount).toBe(0);
  });
});

test("an event named 'drain' from a client does not reach the socket's drain listeners", async () => {
  h = await startServer();
  const connection = once<[Socket]>(h.io, "connection");
  const client = h.client("/", { transports: ["websocket"] });
  const [socket] = await connection;
  let drains = 0;
  socket.on("drain", () => drains++);
  const after = once<[string]>(socket as never, "after");
  client.emit("drain");
  client.emit("after", "ok");
  expect((await within(after, 5000, "the event after"))[0]).toBe("ok");
  expect(drains).toBe(0);
  expect(socket.connected).toBe(true);
});

describe("with connection state recovery", () => {
  test("socket.io-client 4.8.4, closed as a slow consumer, comes back and gets every event it missed, once and in order", async () => {
    h = await startServer({
      maxBackpressure: LIMIT,
      backpressureTimeout: 60_000,
      connectionStateRecovery: { maxDisconnectionDuration: 10_000 },
    });
    const first = once<[Socket]>(h.io, "connection");
    const client: ClientSocket = h.client("/", { transports: ["websocket"], reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 50 });
    const got: number[] = [];
    client.on("data", (i: number) => got.push(i));
    const [socket] = await first;
    await connected(client);

    // The client's raw TCP socket stops reading (socket.io-client → engine.io-client → ws → net.Socket).
    const raw = (client.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
    raw.pause();
    const gone = once<[string]>(socket, "disconnect");
    let sent = 0;
    flood(socket, () => false, () => h.io.emit("data", sent++, MESSAGE));
    expect((await within(gone, 20_000, "the stuck client's disconnect"))[0]).toBe("slow consumer");
    // More while it is away.
    for (let i = 0; i < 10; i++) h.io.emit("data", sent++, "while away");
    const total = sent;

    const back = once<[Socket]>(h.io, "connection");
    raw.resume();
    const [again] = await within(back, 10_000, "the reconnection");
    expect(again.recovered).toBe(true);
    expect(again.id).toBe(socket.id);
    await until(() => got.length >= total, 10_000);
    expect(got).toEqual([...Array(total).keys()]);
  });
});
