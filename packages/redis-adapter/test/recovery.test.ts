// Connection state recovery across nodes: a client that reconnects to another
// node gets its id, its rooms and the packets it missed, from Redis.
import { createClient } from "redis";
import { startRedis, type RedisServer } from "./support/redis";
import { bundle, startNode, until, type NodeProcess, untilPeers } from "./support/nodes";
import { closeAllClients, connect, receivedWhen, type Client } from "./support/clients";

jest.setTimeout(60_000);

const TTL = 4000;
let redis: RedisServer;
let built: ReturnType<typeof bundle>;
let a: NodeProcess, b: NodeProcess;

beforeAll(async () => {
  built = bundle("node.ts");
  redis = await startRedis();
  const config = (name: string) => ({
    name,
    redis: redis.url,
    adapter: { key: "rec", heartbeatInterval: 200, heartbeatTimeout: 1000 },
    server: { connectionStateRecovery: { maxDisconnectionDuration: TTL } },
  });
  [a, b] = await Promise.all([startNode(built.file, config("A")), startNode(built.file, config("B"))]);
  await untilPeers([a, b]);
});

afterAll(async () => {
  closeAllClients();
  await Promise.all([a, b].filter(Boolean).map((n) => n.stop()));
  await redis?.stop();
  built?.cleanup();
});

async function xlen(): Promise<number> {
  const check = createClient({ url: redis.url });
  await check.connect();
  const n = Number(await check.sendCommand(["XLEN", "{rec#/}:packets"]));
  await check.close();
  return n;
}

interface Recoverable {
  _pid?: string;
  _lastOffset?: string;
}

/**
 * Connects to A, joins `room`, gets one event (so it holds an offset), hears
 * nothing more for `quietFor` ms (real time), then loses its transport.
 */
async function disconnectedFromA(room: string, quietFor = 0): Promise<{ id: string; pid: string; offset: string }> {
  const client = await connect(a.url);
  await client.emitWithAck("join", [room]);
  await a.run(`io.to(${JSON.stringify(room)}).emit('before')`);
  await receivedWhen(client, "before");
  const { _pid: pid, _lastOffset: offset } = client as unknown as Recoverable;
  expect(typeof pid).toBe("string");
  expect(typeof offset).toBe("string");
  if (quietFor > 0) await new Promise((resolve) => setTimeout(resolve, quietFor));
  const id = client.id!;
  client.io.engine.close(); // "transport close" on the server: recoverable
  await until("A persisted the session", async () => (await a.run<number>("return io.of('/').sockets.size")) === 0);
  return { id, pid: pid!, offset: offset! };
}

test("a client that comes back on another node gets its id, rooms and missed packets, in order", async () => {
  const { id, pid, offset } = await disconnectedFromA("r");
  // Packets of different nodes are ordered as Redis stored them: wait for
  // each store before the next emit, so "in order" has one meaning.
  const emitStored = async (node: NodeProcess, code: string) => {
    const stored = await xlen();
    await node.run(code);
    await until("the packet stored", async () => (await xlen()) > stored);
  };
  await emitStored(b, "io.to('r').emit('missed', 1)");
  await emitStored(a, "io.emit('missed', 2, Buffer.from([7, 7]))");
  await emitStored(b, "io.to('elsewhere').emit('missed', 'not for r')");
  await emitStored(a, "io.except('r').emit('missed', 'excepted')");

  const back = await connect(b.url, { auth: { pid, offset } });
  expect(back.id).toBe(id);
  const [[, node, recovered]] = await receivedWhen(back, "hello");
  expect([node, recovered]).toEqual(["B", true]);
  const missed = await receivedWhen(back, "missed", 2);
  expect(missed.map((e) => e[1])).toEqual([1, 2]);
  expect(Buffer.from(missed[1][2] as ArrayBuffer)).toEqual(Buffer.from([7, 7]));
  // Each recovered packet still ends with its offset, so the client can recover again.
  expect(typeof missed[1][3]).toBe("string");
  // Its rooms came back: a broadcast to "r" from A reaches it on B.
  await a.run("io.to('r').emit('after')");
  await receivedWhen(back, "after");
  expect(back.received.filter((e) => e[0] === "missed")).toHaveLength(2);
  back.disconnect();
});

test("socket.emit's offset is a recovery point, and a packet to the socket's id while away is recovered on another node", async () => {
  const client = await connect(a.url);
  await receivedWhen(client, "hello");
  // The offset comes from "hello", a socket.emit: it went through the adapter and was stored.
  const { _pid: pid, _lastOffset: offset } = client as unknown as Recoverable;
  const id = client.id!;
  client.io.engine.close();
  await until("A persisted the session", async () => (await a.run<number>("return io.of('/').sockets.size")) === 0);
  const stored = await xlen();
  await b.run(`io.to(${JSON.stringify(id)}).emit('direct', 'while away')`);
  await until("stored", async () => (await xlen()) > stored);
  const back = await connect(b.url, { auth: { pid, offset } });
  expect(back.id).toBe(id);
  expect((await receivedWhen(back, "direct")).map((e) => e[1])).toEqual(["while away"]);
  back.disconnect();
});

test("an unknown pid or offset gets a fresh session", async () => {
  const back = await connect(b.url, { auth: { pid: "nope", offset: "nope" } });
  const [[, , recovered]] = await receivedWhen(back, "hello");
  expect(recovered).toBe(false);
  back.disconnect();
});

test("a session is kept in Redis for maxDisconnectionDuration only", async () => {
  const { pid } = await disconnectedFromA("ttl");
  const check = createClient({ url: redis.url });
  await check.connect();
  const ttl = Number(await check.sendCommand(["PTTL", `{rec#/}:session:${pid}`]));
  await check.close();
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(TTL);
});

test("a quiet client (its last packet older than maxDisconnectionDuration) is still recovered, with only what it missed", async () => {
  const { id, pid, offset } = await disconnectedFromA("quiet", TTL + 300);
  const stored = await xlen();
  await b.run("io.to('quiet').emit('missed', 'while away')");
  await until("stored", async () => (await xlen()) > stored);
  const back = await connect(b.url, { auth: { pid, offset } });
  expect(back.id).toBe(id);
  const [[, , recovered]] = await receivedWhen(back, "hello");
  expect(recovered).toBe(true);
  expect((await receivedWhen(back, "missed")).map((e) => e[1])).toEqual(["while away"]);
  // "before" was older than the window: it is not replayed.
  expect(back.received.filter((e) => e[0] === "before")).toEqual([]);
  back.disconnect();
});

