// nginx with a sticky configuration in front of two nodes, clients on HTTP
// long-polling only; then one node is SIGKILLed: its clients reconnect
// through nginx to the other node and recover the packets they missed.
import { startRedis, freePort, type RedisServer } from "./support/redis";
import { bundle, startNode, until, type NodeProcess, untilPeers } from "./support/nodes";
import { startNginx, stickyConf, type Nginx } from "./support/nginx";
import { closeAllClients, connect, receivedWhen, type Client } from "./support/clients";

jest.setTimeout(60_000);

let redis: RedisServer;
let built: ReturnType<typeof bundle>;
let a: NodeProcess, b: NodeProcess;
let nginx: Nginx;
let url: string;

beforeAll(async () => {
  built = bundle("node.ts");
  redis = await startRedis();
  const config = (name: string) => ({
    name,
    redis: redis.url,
    affinity: true,
    adapter: { key: "nginx", heartbeatInterval: 200, heartbeatTimeout: 1000 },
    server: { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } },
  });
  [a, b] = await Promise.all([startNode(built.file, config("A")), startNode(built.file, config("B"))]);
  await untilPeers([a, b]);
  const port = await freePort();
  nginx = await startNginx((dir) => stickyConf(dir, port, [a, b]), [port]);
  url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  closeAllClients();
  await Promise.all([a, b].filter(Boolean).map((n) => n.stop()));
  await nginx?.stop();
  await redis?.stop();
  built?.cleanup();
});

const clients: Client[] = [];
const nodeOf = new Map<Client, string>();
const disconnects: string[] = [];

test("polling clients spread over both nodes and every request of a session reaches its node", async () => {
  for (let i = 0; i < 6; i++) {
    // withCredentials: socket.io-client keeps cookies (the affinity cookie) in Node only then.
    const c = await connect(url, { transports: ["polling"], withCredentials: true, reconnection: true, reconnectionDelay: 1000, randomizationFactor: 0 });
    c.on("disconnect", (reason) => disconnects.push(reason));
    clients.push(c);
    nodeOf.set(c, (await receivedWhen(c, "hello"))[0][1] as string);
  }
  expect(new Set(nodeOf.values())).toEqual(new Set(["A", "B"]));
  // Round-robin without the cookie would send about half of these polls to the wrong node (400, disconnect).
  for (let round = 1; round <= 3; round++) {
    await (round % 2 ? a : b).run(`io.emit('tick', ${round})`);
    for (const c of clients) await receivedWhen(c, "tick", round);
  }
  expect(disconnects).toEqual([]);
  expect(clients.every((c) => c.io.engine.transport.name === "polling")).toBe(true);
});

test("a node SIGKILLed: its clients reconnect through nginx to the other node and recover what they missed", async () => {
  const onA = clients.filter((c) => nodeOf.get(c) === "A");
  const ids = onA.map((c) => c.id);
  expect(onA.length).toBeGreaterThan(0);
  await a.kill();
  // Emitted while A's clients are away (they wait reconnectionDelay = 1 s before coming back).
  await b.run("io.emit('while-away', 'from B')");
  await Promise.all(onA.map((c) => receivedWhen(c, "hello", 2)));
  for (const c of onA) {
    const hellos = c.received.filter((e) => e[0] === "hello");
    // hello: node name, socket.recovered, then the offset recovery appends.
    expect(hellos[1].slice(1, 3)).toEqual(["B", true]);
    expect(c.recovered).toBe(true);
  }
  expect(onA.map((c) => c.id)).toEqual(ids);
  for (const c of clients) expect((await receivedWhen(c, "while-away")).map((e) => e[1])).toEqual(["from B"]);
  // Still sticky on B, still polling.
  await b.run("io.emit('after', 1)");
  for (const c of clients) await receivedWhen(c, "after");
  // A's heartbeats stopped: B drops it after heartbeatTimeout.
  await until("B counts itself only", async () => (await b.run<number>("return io.of('/').adapter.serverCount()")) === 1);
});
