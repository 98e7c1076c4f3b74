// The adapter on a real Redis Cluster (3 masters, no replicas, on ports of the
// test's own) through the cluster clients socket.io's adapter users have:
// node-redis (5+ and 4) createCluster and ioredis Cluster, with classic and sharded
// pub/sub. Two Duplex nodes, socket.io-client 4.8.4 sockets on each:
// broadcasts, room broadcasts and cluster requests cross the nodes; and the
// connection-state-recovery store (its keys share one hash slot) on each client.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster } from "ioredis";
import { createCluster } from "redis";
import { createCluster as createCluster4 } from "redis4";
import type { Server } from "@duplex/server";
import { createAdapter, RedisClientError } from "@duplex/redis-adapter";
import { accepting, alive, freePort } from "./support/redis";
import { closeAllClients, connect, receivedWhen } from "./support/clients";
import { bothSee, recoveryRoundTrip, startAdapterNode } from "./support/adapter-nodes";

type Kind = "node-redis" | "node-redis 4" | "ioredis";

const MASTERS = 3;
let dir: string;
const ports: number[] = [];
const pids: number[] = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];
let keyCounter = 0;

function redisCli(args: string[]): string {
  const result = spawnSync("redis-cli", args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "duplex-redis-cluster-"));
  for (let i = 0; i < MASTERS; i++) {
    const port = await freePort();
    const started = spawnSync("redis-server", [
      "--port", String(port), "--bind", "127.0.0.1",
      "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", "2000",
      "--save", "", "--appendonly", "no",
      "--daemonize", "yes", "--pidfile", join(dir, `${port}.pid`), "--dir", dir, "--logfile", join(dir, `${port}.log`),
    ]);
    if (started.status !== 0) throw new Error(`redis-server failed: ${started.stderr}`);
    ports.push(port);
    await accepting(port);
    // The pidfile is written right after the daemon starts listening.
    for (let tries = 0; tries < 250; tries++) {
      try {
        pids.push(Number(readFileSync(join(dir, `${port}.pid`), "utf8").trim()));
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
  redisCli(["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"]);
  // Every master must agree the slots are covered before a client can route to it.
  for (let tries = 0; ; tries++) {
    if (ports.every((p) => redisCli(["-p", String(p), "cluster", "info"]).includes("cluster_state:ok"))) break;
    if (tries > 250) throw new Error("the Redis Cluster never reached cluster_state:ok");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}, 20_000);

afterAll(async () => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGTERM");
  for (const pid of pids) while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 10));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  closeAllClients();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A connected pub/sub pair of cluster clients of `kind`. */
async function clusterClients(kind: Kind, sharded: boolean): Promise<[object, object]> {
  const nodes = ports.map((port) => ({ host: "127.0.0.1", port }));
  if (kind === "ioredis") {
    // ioredis sends SSUBSCRIBE to each shard only with shardedSubscribers (off by default).
    const pub = new Cluster(nodes, { shardedSubscribers: sharded });
    const sub = pub.duplicate();
    await Promise.all([pub, sub].map((c) => new Promise((resolve) => c.once("ready", resolve))));
    cleanups.push(() => Promise.all([pub.quit(), sub.quit()]));
    return [pub, sub];
  }
  const rootNodes = ports.map((port) => ({ url: `redis://127.0.0.1:${port}` }));
  const pub = kind === "node-redis 4" ? createCluster4({ rootNodes }) : createCluster({ rootNodes });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  cleanups.push(() => Promise.all([pub.quit(), sub.quit()]));
  return [pub, sub];
}

async function startNode(kind: Kind, key: string, sharded: boolean): Promise<{ io: Server; url: string }> {
  return startAdapterNode(await clusterClients(kind, sharded), { key, sharded }, (close) => cleanups.push(close));
}

describe.each<[Kind, Kind, boolean]>([
  ["node-redis", "node-redis", false],
  ["node-redis", "node-redis", true],
  ["ioredis", "ioredis", false],
  ["ioredis", "ioredis", true],
  ["node-redis", "ioredis", true],
  ["node-redis 4", "node-redis", true],
])("Redis Cluster: node A on %s, node B on %s, sharded %s", (kindA, kindB, sharded) => {
  test("broadcasts, room broadcasts, fetchSockets and serverSideEmitWithAck cross the nodes", async () => {
    const key = `cluster${++keyCounter}`;
    const a = await startNode(kindA, key, sharded);
    const b = await startNode(kindB, key, sharded);
    await bothSee(a.io, b.io);
    a.io.on("ping?", (answer: (value: string) => void) => answer("pong from A"));
    b.io.on("ping?", (answer: (value: string) => void) => answer("pong from B"));
    b.io.on("connection", (socket) => socket.join("room"));
    const onA = await connect(a.url);
    const onB = await connect(b.url);

    a.io.emit("all", 1, Buffer.from([1, 2]));
    a.io.to("room").emit("room", "x");
    a.io.to("elsewhere").emit("room", "nobody");
    await receivedWhen(onA, "all");
    await receivedWhen(onB, "all");
    await receivedWhen(onB, "room");
    expect(onA.received).toEqual([["all", 1, Buffer.from([1, 2])]]);
    expect(onB.received.filter((event) => event[0] !== "all")).toEqual([["room", "x"]]);
    expect(onB.received.find((event) => event[0] === "all")).toEqual(["all", 1, Buffer.from([1, 2])]);

    const everyone = await a.io.fetchSockets();
    expect(everyone.map((s) => s.id).sort()).toEqual([onA.id, onB.id].sort());
    const inRoom = await a.io.in("room").fetchSockets();
    expect(inRoom.map((s) => s.id)).toEqual([onB.id]);
    expect(await a.io.serverSideEmitWithAck("ping?")).toEqual(["pong from B"]);
    expect(await b.io.serverSideEmitWithAck("ping?")).toEqual(["pong from A"]);
  });
});

test.each<[Kind]>([["node-redis"], ["node-redis 4"], ["ioredis"]])("Redis Cluster, %s: the recovery store keeps a session and the packets it missed", async (kind) => {
  const [pub, sub] = await clusterClients(kind, false);
  const [restored, again] = await recoveryRoundTrip([pub, sub], `recovery${++keyCounter}`);
  expect(restored).toEqual({ sid: "s", pid: "p", rooms: ["s", "room"], data: { user: 1 }, missedPackets: [["second", Buffer.from([7]), "o2"]] });
  expect(again).toBeNull();
});

test("sharded: true with an ioredis Cluster made without shardedSubscribers: refused with a code, not a silent cluster", async () => {
  const [pub, sub] = await clusterClients("ioredis", false);
  let refusal: unknown;
  try {
    createAdapter(pub, sub, { sharded: true });
  } catch (err) {
    refusal = err;
  }
  expect(refusal).toBeInstanceOf(RedisClientError);
  expect((refusal as RedisClientError).code).toBe("SHARDED_SUBSCRIBERS_REQUIRED");
  expect(() => createAdapter(pub, sub, { sharded: false })).not.toThrow();
});
