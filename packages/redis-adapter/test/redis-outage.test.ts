// Redis outages, with real timers, a real redis-server stopped by pid
// (SIGTERM or SIGKILL) and started again on the same port, and
// socket.io-client 4.8.4 clients counting what they receive. Two Duplex
// nodes broadcast without pause through a 5 s outage: every client gets every
// broadcast of the other node once, in the order it was sent. Past the
// outage buffer, the oldest broadcasts are dropped and the count is
// reported. During the outage requests across nodes fail at once with
// REDIS_UNAVAILABLE, and the outage is reported once, with its end.
import { Redis } from "ioredis";
import { createClient } from "redis";
import { createClient as createClient4 } from "redis4";
import type { Server } from "@duplex/server";
import type { OutageStats, RedisAdapter, RedisAdapterOptions, RedisUnavailableError } from "@duplex/redis-adapter";
import { until } from "../../../test-support/until";
import { startRedis, type RedisServer } from "./support/redis";
import { closeAllClients, connect, receivedWhen, type Client } from "./support/clients";
import { bothSee, startAdapterNode } from "./support/adapter-nodes";

jest.setTimeout(90_000);

type Kind = "node-redis" | "node-redis 4" | "ioredis";
type Signal = "SIGTERM" | "SIGKILL";

const OUTAGE_MS = 5000;

let redis: RedisServer;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
let keyCounter = 0;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(async () => {
  closeAllClients();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // A test that failed mid-outage leaves Redis stopped: the next one needs it.
  if (!(await redisUp())) await redis.start();
});

async function redisUp(): Promise<boolean> {
  const { alive } = await import("./support/redis");
  return redis.pid > 0 && alive(redis.pid);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connected pub/sub pair of `kind`, with the clients' own defaults for reconnecting. */
async function clients(kind: Kind): Promise<[object, object]> {
  if (kind === "ioredis") {
    const pub = new Redis(redis.port, "127.0.0.1");
    const sub = pub.duplicate();
    await Promise.all([pub, sub].map((c) => new Promise((resolve) => c.once("ready", resolve))));
    cleanups.push(() => Promise.all([pub, sub].map((c) => c.disconnect())));
    return [pub, sub];
  }
  const pub = kind === "node-redis 4" ? createClient4({ url: redis.url }) : createClient({ url: redis.url });
  const sub = pub.duplicate();
  // The adapter listens too; node-redis wants its own listener not to throw.
  pub.on("error", () => undefined);
  sub.on("error", () => undefined);
  await Promise.all([pub.connect(), sub.connect()]);
  cleanups.push(() => Promise.all([pub, sub].map((c) => (c.isOpen ? c.disconnect() : undefined))));
  return [pub, sub];
}

interface OutageNode {
  io: Server;
  url: string;
  adapter: RedisAdapter;
  errors: RedisUnavailableError[];
  lines: string[];
}

async function startNode(kind: Kind, key: string, opts: RedisAdapterOptions = {}): Promise<OutageNode> {
  const lines: string[] = [];
  const { io, url } = await startAdapterNode(await clients(kind), { key, requestsTimeout: 60_000, log: (line) => lines.push(line), ...opts }, (close) =>
    cleanups.push(close),
  );
  const adapter = io.of("/").adapter as RedisAdapter;
  const errors: RedisUnavailableError[] = [];
  adapter.on("error", (err) => errors.push(err as RedisUnavailableError));
  return { io, url, adapter, errors, lines };
}

const stateOf = (node: OutageNode): OutageStats["state"] => node.adapter.outageStats().state;

/** The numbers `client` received with `event`, in arrival order. */
const numbers = (client: Client, event: string): number[] => client.received.filter((e) => e[0] === event).map((e) => e[1] as number);

describe.each<[Kind, Signal]>([
  ["node-redis", "SIGTERM"],
  ["node-redis", "SIGKILL"],
  ["ioredis", "SIGTERM"],
  ["ioredis", "SIGKILL"],
  ["node-redis 4", "SIGKILL"],
])("%s, redis-server stopped with %s", (kind, signal) => {
  test("two nodes broadcasting through a 5 s outage: nothing lost, nothing twice, order kept per sender", async () => {
    const key = `outage${++keyCounter}`;
    const a = await startNode(kind, key);
    const b = await startNode(kind, key);
    await bothSee(a.io, b.io);
    const onA = await connect(a.url);
    const onB = await connect(b.url);

    let sentByA = 0;
    let sentByB = 0;
    const sender = setInterval(() => {
      a.io.emit("from-a", sentByA++);
      b.io.emit("from-b", sentByB++);
    }, 5);
    try {
      await sleep(500);
      await redis.stop(signal);
      await until(() => stateOf(a) === "down" && stateOf(b) === "down", 10_000, "both adapters see the outage");

      // Requests across nodes fail at once (requestsTimeout is 60 s here).
      await expect(a.io.fetchSockets()).rejects.toMatchObject({ code: "REDIS_UNAVAILABLE" });
      await expect(b.io.serverSideEmitWithAck("anyone?")).rejects.toMatchObject({ code: "REDIS_UNAVAILABLE" });

      await sleep(OUTAGE_MS);
      await redis.start();
      await until(() => stateOf(a) === "up" && stateOf(b) === "up", 30_000, "both adapters back up");
      await sleep(500);
    } finally {
      clearInterval(sender);
    }

    await receivedWhen(onB, "from-a", sentByA, 20_000);
    await receivedWhen(onA, "from-b", sentByB, 20_000);
    // Give a duplicate the time to arrive, were there one.
    await sleep(300);
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(numbers(onB, "from-a")).toEqual(range(sentByA));
    expect(numbers(onA, "from-b")).toEqual(range(sentByB));

    for (const node of [a, b]) {
      const stats = node.adapter.outageStats();
      expect(stats).toMatchObject({ state: "up", outages: 1, buffered: 0, dropped: 0 });
      expect(stats.lastOutage?.dropped).toBe(0);
      // The broadcasts made during the outage went through the buffer.
      expect(stats.lastOutage?.sent).toBeGreaterThan(OUTAGE_MS / 5 / 4);
      // Reported once: one "error" event, one line for the start and one for the end.
      expect(node.errors.map((err) => err.code)).toEqual(["REDIS_UNAVAILABLE"]);
      expect(node.lines).toHaveLength(2);
      expect(node.lines[0]).toMatch(/namespace "\/": Redis is unreachable .*publishes are kept until it is back/);
      expect(node.lines[1]).toMatch(/namespace "\/": Redis is reachable again after \d+\.\d s; \d+ kept message\(s\) sent, 0 dropped/);
    }
    // Requests work again.
    expect((await a.io.fetchSockets()).map((s) => s.id).sort()).toEqual([onA.id, onB.id].sort());
  });
});

test.each<[Kind]>([["node-redis"], ["ioredis"]])(
  "%s: an outage past outageBufferSize drops the oldest broadcasts, counts them, and delivers the rest in order",
  async (kind) => {
    const key = `outage${++keyCounter}`;
    const a = await startNode(kind, key, { outageBufferSize: 16 * 1024 });
    const b = await startNode(kind, key);
    await bothSee(a.io, b.io);
    const onB = await connect(b.url);

    const BEFORE = 10;
    const DURING = 1000;
    for (let i = 0; i < BEFORE; i++) a.io.emit("n", i);
    await receivedWhen(onB, "n", BEFORE);
    await redis.stop("SIGKILL");
    await until(() => stateOf(a) === "down", 10_000, "A sees the outage");
    // About 150 bytes each: 1,000 of them do not fit in 16 KiB.
    const padding = "x".repeat(100);
    for (let i = BEFORE; i < BEFORE + DURING; i++) a.io.emit("n", i, padding);
    const { dropped, buffered, bufferedBytes } = a.adapter.outageStats();
    expect(dropped).toBeGreaterThan(0);
    expect(buffered + dropped).toBe(DURING);
    expect(bufferedBytes).toBeLessThanOrEqual(16 * 1024);

    await redis.start();
    await until(() => stateOf(a) === "up", 30_000, "A back up");
    await receivedWhen(onB, "n", BEFORE + buffered, 20_000);
    await sleep(300);
    // The oldest of the outage were dropped: what arrived is everything before, then the newest, in order.
    const expected = [...Array.from({ length: BEFORE }, (_, i) => i), ...Array.from({ length: buffered }, (_, i) => BEFORE + dropped + i)];
    expect(numbers(onB, "n")).toEqual(expected);
    expect(a.adapter.outageStats().lastOutage).toMatchObject({ sent: buffered, dropped });
    expect(a.lines[1]).toContain(`${buffered} kept message(s) sent, ${dropped} dropped (outageBufferSize)`);
  },
);

test("a node that never comes back is waited for heartbeatTimeout at most; then the kept messages go out and it is dropped", async () => {
  const key = `outage${++keyCounter}`;
  const HEARTBEAT_TIMEOUT = 1500;
  const a = await startNode("node-redis", key, { heartbeatTimeout: HEARTBEAT_TIMEOUT });
  const b = await startNode("node-redis", key, { heartbeatTimeout: HEARTBEAT_TIMEOUT });
  await bothSee(a.io, b.io);
  await redis.stop();
  await until(() => stateOf(a) === "down" && stateOf(b) === "down", 10_000, "both adapters see the outage");
  a.io.emit("kept", 1);
  // B goes away while Redis cannot carry its goodbye.
  await new Promise((resolve) => b.io.close(() => resolve(undefined)));
  await redis.start();
  const states = new Set<string>();
  await until(
    () => {
      states.add(stateOf(a));
      return stateOf(a) === "up";
    },
    30_000,
    "A back up without B",
  );
  // A heard its probe, announced itself, waited for B, and gave up on it.
  expect(states.has("reachable")).toBe(true);
  expect(a.adapter.outageStats().lastOutage).toMatchObject({ sent: 1, dropped: 0 });
  // Heartbeats count again: B, silent, is dropped.
  let count = 2;
  await until(
    () => {
      void a.adapter.serverCount().then((n) => (count = n));
      return count === 1;
    },
    HEARTBEAT_TIMEOUT * 4,
    "A drops B",
  );
});
