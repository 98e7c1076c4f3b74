// The Redis clients socket.io's adapter users have: node-redis 5+ and 4
// (createClient) and ioredis 6 (new Redis()), each carrying broadcasts, room broadcasts and
// cluster requests between two Duplex nodes on a redis-server of the test's
// own, with socket.io-client 4.8.4 sockets; and the clear, coded refusal of
// anything else at createAdapter (never a crash at the first broadcast).
import { Redis } from "ioredis";
import { createClient } from "redis";
import { createClient as createClient4 } from "redis4";
import type { Server } from "@duplex/server";
import { createAdapter, RedisClientError } from "@duplex/redis-adapter";
import { startRedis, type RedisServer } from "./support/redis";
import { closeAllClients, connect, receivedWhen } from "./support/clients";
import { bothSee, recoveryRoundTrip, startAdapterNode } from "./support/adapter-nodes";

type Kind = "node-redis" | "node-redis 4" | "ioredis";

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
});

/** A connected pub/sub pair of `kind`. */
async function clients(kind: Kind): Promise<[object, object]> {
  if (kind === "ioredis") {
    const pub = new Redis(redis.port, "127.0.0.1");
    const sub = pub.duplicate();
    await Promise.all([pub, sub].map((c) => new Promise((resolve) => c.once("ready", resolve))));
    cleanups.push(() => Promise.all([pub.quit(), sub.quit()]));
    return [pub, sub];
  }
  const pub = kind === "node-redis 4" ? createClient4({ url: redis.url }) : createClient({ url: redis.url });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  cleanups.push(() => Promise.all([pub.quit(), sub.quit()]));
  return [pub, sub];
}

async function startNode(kind: Kind, key: string, sharded: boolean): Promise<{ io: Server; url: string }> {
  return startAdapterNode(await clients(kind), { key, sharded }, (close) => cleanups.push(close));
}

describe.each<[Kind, Kind, boolean]>([
  ["ioredis", "ioredis", false],
  ["ioredis", "ioredis", true],
  ["node-redis", "node-redis", false],
  ["ioredis", "node-redis", false],
  ["node-redis", "ioredis", true],
  ["node-redis 4", "node-redis 4", false],
  ["node-redis 4", "node-redis", true],
])("node A on %s, node B on %s, sharded %s", (kindA, kindB, sharded) => {
  test("broadcasts, room broadcasts and cluster requests cross the nodes", async () => {
    const key = `clients${++keyCounter}`;
    const a = await startNode(kindA, key, sharded);
    const b = await startNode(kindB, key, sharded);
    await bothSee(a.io, b.io);
    b.io.on("connection", (socket) => socket.join("room"));
    b.io.on("ping?", (answer: (value: string) => void) => answer("pong from B"));
    const client = await connect(b.url);

    a.io.emit("all", 1, Buffer.from([1, 2]));
    a.io.to("room").emit("room", "x");
    a.io.to("elsewhere").emit("room", "nobody");
    await receivedWhen(client, "room");
    await receivedWhen(client, "all");
    expect(client.received.filter((event) => event[0] !== "all")).toEqual([["room", "x"]]);
    expect(client.received.find((event) => event[0] === "all")).toEqual(["all", 1, Buffer.from([1, 2])]);

    const sockets = await a.io.in("room").fetchSockets();
    expect(sockets.map((s) => s.id)).toEqual([client.id]);
    expect(await a.io.serverSideEmitWithAck("ping?")).toEqual(["pong from B"]);
  });
});

test.each<[Kind]>([["ioredis"], ["node-redis"], ["node-redis 4"]])("%s: the recovery store keeps a session and the packets it missed (binary replies)", async (kind) => {
  const [pub, sub] = await clients(kind);
  const [restored, again] = await recoveryRoundTrip([pub, sub], `recovery${++keyCounter}`);
  expect(restored).toEqual({ sid: "s", pid: "p", rooms: ["s", "room"], data: { user: 1 }, missedPackets: [["second", Buffer.from([7]), "o2"]] });
  expect(again).toBeNull();
});

describe("clients createAdapter refuses, with a code", () => {
  const refusal = (fn: () => unknown): RedisClientError => {
    try {
      fn();
    } catch (err) {
      return err as RedisClientError;
    }
    throw new Error("createAdapter accepted");
  };

  test.each([
    ["an empty object", {}],
    ["a plain string", "redis://localhost:6379"],
    ["a Map", new Map()],
  ])("%s: UNSUPPORTED_REDIS_CLIENT", (_name, client) => {
    const err = refusal(() => createAdapter(client as object, client as object));
    expect(err).toBeInstanceOf(RedisClientError);
    expect(err.code).toBe("UNSUPPORTED_REDIS_CLIENT");
    expect(err.message).toMatch(/not a node-redis client .* or an ioredis client/);
  });

  test("a node-redis client never connected: REDIS_CLIENT_NOT_CONNECTED", () => {
    const pub = createClient({ url: redis.url });
    const err = refusal(() => createAdapter(pub, pub.duplicate()));
    expect(err.code).toBe("REDIS_CLIENT_NOT_CONNECTED");
    expect(err.message).toMatch(/node-redis client given as pub is not connected; await client.connect\(\) first/);
  });

  test("an ioredis client with lazyConnect, never connected: REDIS_CLIENT_NOT_CONNECTED", () => {
    const pub = new Redis(redis.port, "127.0.0.1", { lazyConnect: true });
    const err = refusal(() => createAdapter(pub, pub.duplicate()));
    expect(err.code).toBe("REDIS_CLIENT_NOT_CONNECTED");
  });

  test.each<[Kind]>([["ioredis"], ["node-redis"]])("one %s connection as both pub and sub: SAME_REDIS_CLIENT", async (kind) => {
    const [pub] = await clients(kind);
    expect(refusal(() => createAdapter(pub, pub)).code).toBe("SAME_REDIS_CLIENT");
  });

  test("a closed node-redis client: REDIS_CLIENT_NOT_CONNECTED, not a crash at the first broadcast", async () => {
    const pub = createClient({ url: redis.url });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    await pub.quit();
    cleanups.push(() => sub.quit());
    expect(refusal(() => createAdapter(pub, sub)).code).toBe("REDIS_CLIENT_NOT_CONNECTED");
  });
});
