// Sharded pub/sub (SPUBLISH/SSUBSCRIBE), and a Redis restart in the middle of
// a run: the adapter reports an "error", reconnects, and broadcasts resume.
import { startRedis, type RedisServer } from "./support/redis";
import { bundle, startNode, until, type NodeProcess, untilPeers } from "./support/nodes";
import { closeAllClients, connect, receivedWhen } from "./support/clients";

jest.setTimeout(60_000);

let redis: RedisServer;
let built: ReturnType<typeof bundle>;
let a: NodeProcess, b: NodeProcess;

beforeAll(async () => {
  built = bundle("node.ts");
  redis = await startRedis();
  const config = (name: string) => ({ name, redis: redis.url, adapter: { key: "sharded", sharded: true, heartbeatInterval: 200, heartbeatTimeout: 1000 } });
  [a, b] = await Promise.all([startNode(built.file, config("A")), startNode(built.file, config("B"))]);
  await untilPeers([a, b]);
});

afterAll(async () => {
  closeAllClients();
  await Promise.all([a, b].filter(Boolean).map((n) => n.stop()));
  await redis?.stop();
  built?.cleanup();
});

test("with sharded: true, messages go through SPUBLISH and every operation still crosses nodes", async () => {
  const [ca, cb] = await Promise.all([connect(a.url), connect(b.url)]);
  await a.run("io.emit('news', 'sharded')");
  await Promise.all([receivedWhen(ca, "news"), receivedWhen(cb, "news")]);
  expect(await a.run("return io.serverSideEmitWithAck('ping-node')")).toEqual(["pong from B"]);
  // Nothing on the classic channels: PUBSUB CHANNELS lists none of ours, PUBSUB SHARDCHANNELS does.
  const { createClient } = await import("redis");
  const check = createClient({ url: redis.url });
  await check.connect();
  const classic = (await check.sendCommand(["PUBSUB", "CHANNELS", "sharded*"])) as string[];
  const shard = (await check.sendCommand(["PUBSUB", "SHARDCHANNELS", "sharded*"])) as string[];
  await check.close();
  expect(classic).toEqual([]);
  expect(shard).toContain("sharded#/#");
});

test("a Redis restart mid-run: an error reaches the adapter's listener, nothing crashes, broadcasts resume", async () => {
  const [ca, cb] = await Promise.all([connect(a.url), connect(b.url)]);
  await b.run("state.errors.length = 0");
  await redis.stop();
  await until("A's adapter reported an error", async () => (await a.run<string[]>("return state.errors")).length > 0);
  // A broadcast while Redis is down is not lost locally and does not throw.
  await a.run("io.emit('during', 1)");
  await receivedWhen(ca, "during");
  await redis.start();
  await untilPeers([a, b], 20_000, " again");
  await a.run("io.emit('after-restart', 'from A')");
  await b.run("io.emit('after-restart', 'from B')");
  // Each node re-subscribed: each client gets the other node's broadcast too.
  for (const client of [ca, cb]) {
    const got = await receivedWhen(client, "after-restart", 2);
    expect(got.map((e) => e[1]).sort()).toEqual(["from A", "from B"]);
  }
  expect(a.child.exitCode).toBeNull();
  expect(b.child.exitCode).toBeNull();
  expect((await b.run<string[]>("return state.errors")).length).toBeGreaterThan(0);
});
