// Three Duplex nodes behind nginx doing plain round-robin (no ip_hash, no
// affinity cookie): every request of a polling session may land on any node.
// With forwardRequests, a node passes a request for another node's session to
// that node; without it, such a request is refused ("Session ID unknown").
import type { Socket } from "socket.io-client";
import { startRedis, freePort, type RedisServer } from "./support/redis";
import { bundle, startNode, until, untilPeers, type NodeProcess } from "./support/nodes";
import { startNginx, roundRobinConf, type Nginx } from "./support/nginx";
import { quiet } from "../../../test-support/timing";
import { connected, countedClient, emitAckedEchoes, newTally, type Tally } from "./support/counted-clients";

jest.setTimeout(40_000);

const POLLING_CLIENTS = 60;
const DEFAULT_CLIENTS = 20;
const RUN_MS = 10_000;
const EMIT_EVERY_MS = 500;

let redis: RedisServer;
let built: ReturnType<typeof bundle>;

beforeAll(async () => {
  built = bundle("node.ts");
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
  built?.cleanup();
});

/** Handlers the tests use, and a count of the node's "Session ID unknown" refusals. */
const SETUP = `
  state.unknownSid = 0;
  io.engine.on("connection_error", (e) => { if (e.code === 1) state.unknownSid++; });
  io.use((socket, next) => { socket.data = { admittedBy: config.name, token: socket.handshake.auth.token }; next(); });
  io.on("connection", (socket) => {
    socket.on("echo", (n, ack) => ack(n));
    socket.on("whoami", (ack) => ack({ node: config.name, data: socket.data, rooms: [...socket.rooms] }));
  });
`;

interface Cluster {
  nodes: NodeProcess[];
  nginx: Nginx;
  url: string;
  stop(): Promise<void>;
}

async function startCluster(key: string, forward: boolean): Promise<Cluster> {
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const nodes = await Promise.all(
    ["A", "B", "C"].map((name, i) =>
      startNode(built.file, {
        name,
        port: ports[i],
        redis: redis.url,
        adapter: {
          key,
          heartbeatInterval: 200,
          heartbeatTimeout: 1000,
          ...(forward ? { forwardRequests: { address: `http://127.0.0.1:${ports[i]}` } } : {}),
        },
      }),
    ),
  );
  await Promise.all(nodes.map((n) => n.run(SETUP)));
  await untilPeers(nodes);
  if (forward) {
    for (const n of nodes) await until(`${n.name} knows the other nodes' addresses`, async () => (await n.run<number>("return io.engine.forwarder.nodeCount")) === 2);
  }
  const port = await freePort();
  const nginx = await startNginx((dir) => roundRobinConf(dir, port, nodes), [port]);
  return {
    nodes,
    nginx,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      await nginx.stop();
    },
  };
}

/** Every client emits acked messages and every node broadcasts, for `ms`. */
async function exercise(cluster: Cluster, clients: Socket[], tally: Tally, ms: number): Promise<number> {
  const stopEmitting = emitAckedEchoes(clients, tally, EMIT_EVERY_MS);
  let ticks = 0;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    ticks++;
    await cluster.nodes[ticks % cluster.nodes.length].run(`io.emit("tick", ${ticks})`);
    await quiet(EMIT_EVERY_MS);
  }
  stopEmitting();
  return ticks;
}

describe("forwardRequests on: plain round-robin", () => {
  let cluster: Cluster;
  const tally = newTally();
  const clients: Array<Socket & { ticks: number[] }> = [];

  beforeAll(async () => {
    cluster = await startCluster("rr-on", true);
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await cluster?.stop();
  });

  test(`${POLLING_CLIENTS} polling and ${DEFAULT_CLIENTS} default clients for ${RUN_MS / 1000} s: nothing refused, lost or dropped`, async () => {
    for (let i = 0; i < POLLING_CLIENTS + DEFAULT_CLIENTS; i++) clients.push(countedClient(cluster.url, i < POLLING_CLIENTS, tally, { token: `t${i}` }));
    expect(await Promise.all(clients.map(connected))).toEqual(clients.map(() => true));
    const ticks = await exercise(cluster, clients, tally, RUN_MS);
    const all = Array.from({ length: ticks }, (_, i) => i + 1);
    // Each ack has a 5 s timeout: within 6 s every one is answered or counted lost.
    await until("every ack answered or timed out", () => tally.acksPending === 0, 6000);
    await until("every broadcast delivered", () => clients.every((c) => c.ticks.length >= ticks), 5000).catch(() => undefined);

    expect(tally.connectErrors).toEqual([]);
    expect(tally.disconnects).toEqual([]);
    // One every 500 ms for 10 s makes 20 per client; a loaded machine fires the timers late.
    expect(tally.acksSent).toBeGreaterThan((POLLING_CLIENTS + DEFAULT_CLIENTS) * 5);
    expect(tally.acksLost).toBe(0);
    expect(tally.acksOutOfOrder).toBe(0);
    for (const c of clients) expect([...c.ticks].sort((x, y) => x - y)).toEqual(all);
    const unknownSid = await Promise.all(cluster.nodes.map((n) => n.run<number>("return state.unknownSid")));
    expect(unknownSid).toEqual([0, 0, 0]);
    // The sessions are spread over the three nodes; the default clients upgraded (the upgrade relayed where needed).
    const owners = await Promise.all(cluster.nodes.map((n) => n.run<number>("return io.engine.clientsCount")));
    expect(owners.every((count) => count > 0)).toBe(true);
    expect(owners.reduce((a, b) => a + b)).toBe(POLLING_CLIENTS + DEFAULT_CLIENTS);
    expect(clients.slice(0, POLLING_CLIENTS).every((c) => c.io.engine.transport.name === "polling")).toBe(true);
    expect(clients.slice(POLLING_CLIENTS).every((c) => c.io.engine.transport.name === "websocket")).toBe(true);
  });

  test("middleware results, socket.data and rooms are the owner's, whichever node a request lands on", async () => {
    const sample = clients.slice(0, 6);
    const seen = await Promise.all(sample.map((c) => c.timeout(5000).emitWithAck("whoami")));
    for (const [i, answer] of seen.entries()) {
      const { node, data, rooms } = answer as { node: string; data: { admittedBy: string; token: string }; rooms: string[] };
      expect(data).toEqual({ admittedBy: node, token: `t${i}` });
      expect(rooms).toEqual([sample[i].id]);
    }
    // A room joined through a request that may have been forwarded; a broadcast to it from each node.
    await Promise.all(sample.map((c) => c.timeout(5000).emitWithAck("join", ["forwarded-room"])));
    const before = clients.map((c) => c.ticks.length);
    for (const n of cluster.nodes) await n.run(`io.to("forwarded-room").emit("tick", -1)`);
    await until("the room broadcasts arrive", () => sample.every((c) => c.ticks.filter((t) => t === -1).length === 3));
    // Nobody outside the room got them.
    expect(clients.slice(6).every((c, i) => c.ticks.length === before[i + 6])).toBe(true);
    const fetched = await cluster.nodes[0].run<Array<{ id: string; data: unknown }>>(
      `return (await io.in("forwarded-room").fetchSockets()).map((s) => ({ id: s.id, data: s.data }))`,
    );
    expect(new Set(fetched.map((s) => s.id))).toEqual(new Set(sample.map((c) => c.id)));
  });
});

describe("forwardRequests off: plain round-robin", () => {
  let cluster: Cluster;
  const clients: Socket[] = [];

  beforeAll(async () => {
    cluster = await startCluster("rr-off", false);
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await cluster?.stop();
  });

  test("polling sessions break: requests land on nodes that do not hold them", async () => {
    const tally = newTally();
    for (let i = 0; i < 20; i++) clients.push(countedClient(cluster.url, true, tally, { token: `t${i}` }));
    await Promise.all(clients.map(connected));
    await exercise(cluster, clients, tally, 2000);
    const unknownSid = await Promise.all(cluster.nodes.map((n) => n.run<number>("return state.unknownSid")));
    expect(unknownSid.reduce((a, b) => a + b)).toBeGreaterThan(0);
    expect(tally.connectErrors.length + tally.disconnects.length).toBeGreaterThan(0);
  });
});
