// Three nodes with forwardRequests behind nginx plain round-robin; one is
// SIGKILLed. Its sessions die with it: their clients reconnect through nginx
// to a live node and connection state recovery replays what they missed.
// The other nodes' clients keep their sessions, though some of their
// requests were passing through the dead node when it died.
import { io as ioClient, type Socket } from "socket.io-client";
import { startRedis, freePort, type RedisServer } from "./support/redis";
import { bundle, startNode, until, untilPeers, type NodeProcess } from "./support/nodes";
import { startNginx, roundRobinConf, type Nginx } from "./support/nginx";

jest.setTimeout(40_000);

const CLIENTS = 18;

let redis: RedisServer;
let built: ReturnType<typeof bundle>;
let nodes: NodeProcess[];
let nginx: Nginx;
const clients: Array<Socket & { received: unknown[][] }> = [];

beforeAll(async () => {
  built = bundle("node.ts");
  redis = await startRedis();
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  nodes = await Promise.all(
    ["A", "B", "C"].map((name, i) =>
      startNode(built.file, {
        name,
        port: ports[i],
        redis: redis.url,
        adapter: { key: "rr-kill", heartbeatInterval: 200, heartbeatTimeout: 1000, forwardRequests: { address: `http://127.0.0.1:${ports[i]}` } },
        server: { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } },
      }),
    ),
  );
  await untilPeers(nodes);
  for (const n of nodes) await until(`${n.name} knows the other nodes' addresses`, async () => (await n.run<number>("return io.engine.forwarder.nodeCount")) === 2);
  const port = await freePort();
  nginx = await startNginx((dir) => roundRobinConf(dir, port, nodes), [port]);
  for (let i = 0; i < CLIENTS; i++) {
    const socket = ioClient(`http://127.0.0.1:${port}`, {
      forceNew: true,
      transports: ["polling"],
      reconnectionDelay: 500,
      randomizationFactor: 0,
    }) as Socket & { received: unknown[][] };
    socket.received = [];
    socket.onAny((...args: unknown[]) => socket.received.push(args));
    clients.push(socket);
  }
  await until("every client has said hello", () => clients.every((c) => c.received.some((e) => e[0] === "hello")));
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all((nodes ?? []).map((n) => n.stop()));
  await nginx?.stop();
  await redis?.stop();
  built?.cleanup();
});

function hellos(c: { received: unknown[][] }): unknown[][] {
  return c.received.filter((e) => e[0] === "hello");
}

test("a SIGKILLed node's clients reconnect elsewhere and recover what they missed; nobody loses a broadcast", async () => {
  const onA = clients.filter((c) => hellos(c)[0][1] === "A");
  const elsewhere = clients.filter((c) => hellos(c)[0][1] !== "A");
  expect(onA.length).toBeGreaterThan(0);
  expect(elsewhere.length).toBeGreaterThan(0);
  const idsOnA = onA.map((c) => c.id);
  await nodes[0].kill();
  // Emitted while A's clients are away (they come back after reconnectionDelay).
  await nodes[1].run("io.emit('while-away', 'from B')");
  await until("A's clients are back on B or C", () => onA.every((c) => c.connected && hellos(c).length === 2), 15_000);
  for (const c of onA) {
    // hello: node name, socket.recovered (then the offset recovery appends).
    expect(hellos(c)[1].slice(1, 3)).toEqual([expect.stringMatching(/^[BC]$/), true]);
    expect(c.recovered).toBe(true);
  }
  expect(onA.map((c) => c.id)).toEqual(idsOnA);
  // A client of B or C cut off mid-request comes back after its reconnectionDelay too.
  await until("every client is connected", () => clients.every((c) => c.connected), 15_000);
  await until("every client has the broadcast sent while A's were away", () => clients.every((c) => c.received.some((e) => e[0] === "while-away"))).catch((err: Error) => {
    const states = clients.map((c) => JSON.stringify({ connected: c.connected, recovered: c.recovered, received: c.received.map((e) => e.slice(0, 2)) }));
    throw new Error(`${err.message}; the clients:\n${states.join("\n")}`);
  });
  await nodes[2].run("io.emit('after', 1)");
  await until("every client gets a broadcast after the kill", () => clients.every((c) => c.received.some((e) => e[0] === "after")));
  for (const c of clients) {
    expect(c.received.filter((e) => e[0] === "while-away").map((e) => e[1])).toEqual(["from B"]);
    expect(c.received.filter((e) => e[0] === "after")).toHaveLength(1);
  }
  // A client of B or C whose request was passing through A when it died lost
  // its session too, and recovered it like A's clients: none stays away.
  for (const c of elsewhere) {
    expect(c.connected).toBe(true);
    if (hellos(c).length > 1) expect(c.recovered).toBe(true);
  }
  expect(clients.every((c) => c.io.engine.transport.name === "polling")).toBe(true);
});
