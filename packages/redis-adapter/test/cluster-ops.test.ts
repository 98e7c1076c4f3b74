// Every adapter operation across three server processes sharing a real Redis.
import { startRedis, type RedisServer } from "./support/redis";
import { bundle, startNode, until, type NodeProcess, untilPeers } from "./support/nodes";
import { closeAllClients, connect, next, receivedWhen, type Client } from "./support/clients";

jest.setTimeout(60_000);

const ADAPTER = { heartbeatInterval: 200, heartbeatTimeout: 1000, requestsTimeout: 3000 };

let redis: RedisServer;
let built: ReturnType<typeof bundle>;
let a: NodeProcess, b: NodeProcess, c: NodeProcess;
let ca: Client, cb: Client, cc: Client;

beforeAll(async () => {
  built = bundle("node.ts");
  redis = await startRedis();
  [a, b, c] = await Promise.all(
    ["A", "B", "C"].map((name) => startNode(built.file, { name, redis: redis.url, adapter: { ...ADAPTER, key: "ops" } })),
  );
  await untilPeers([a, b, c]);
  [ca, cb, cc] = await Promise.all([connect(a.url), connect(b.url), connect(c.url)]);
  await Promise.all([ca, cb, cc].map((s) => receivedWhen(s, "hello")));
});

afterAll(async () => {
  closeAllClients();
  await Promise.all([a, b, c].filter(Boolean).map((n) => n.stop()));
  await redis?.stop();
  built?.cleanup();
});

beforeEach(() => {
  for (const s of [ca, cb, cc]) s.received.length = 0;
});

test("serverCount counts every node", async () => {
  expect(await Promise.all([a, b, c].map((n) => n.run("return io.of('/').adapter.serverCount()")))).toEqual([3, 3, 3]);
});

test("io.emit reaches every client of every node exactly once", async () => {
  await a.run("io.emit('news', 1, { x: 'y' })");
  for (const s of [ca, cb, cc]) expect(await receivedWhen(s, "news")).toEqual([["news", 1, { x: "y" }]]);
  // A sentinel after it: had a node re-delivered its own message, the duplicate would be here by now.
  await a.run("io.emit('sentinel')");
  await Promise.all([ca, cb, cc].map((s) => receivedWhen(s, "sentinel")));
  expect(ca.received.filter((e) => e[0] === "news")).toHaveLength(1);
});

test("rooms and except across nodes", async () => {
  await Promise.all([ca.emitWithAck("join", ["r1"]), cb.emitWithAck("join", ["r1", "r2"]), cc.emitWithAck("join", ["r3"])]);
  await c.run("io.to('r1').except('r2').emit('roomed', 'r1-r2')");
  await c.run("io.to(['r2', 'r3']).emit('roomed', 'r2|r3')");
  await c.run("io.except('r1').emit('roomed', 'not-r1')");
  await c.run("io.emit('sentinel')");
  await Promise.all([ca, cb, cc].map((s) => receivedWhen(s, "sentinel")));
  const got = (s: Client) => s.received.filter((e) => e[0] === "roomed").map((e) => e[1]);
  expect(got(ca)).toEqual(["r1-r2"]);
  expect(got(cb)).toEqual(["r2|r3"]);
  expect(got(cc)).toEqual(["r2|r3", "not-r1"]);
});

test("a local broadcast stays on its node; a volatile one crosses", async () => {
  await b.run("io.local.emit('local-only')");
  await b.run("io.volatile.emit('volatile')");
  await Promise.all([ca, cb, cc].map((s) => receivedWhen(s, "volatile")));
  expect(cb.received.map((e) => e[0])).toEqual(["local-only", "volatile"]);
  expect(ca.received.map((e) => e[0])).toEqual(["volatile"]);
  expect(cc.received.map((e) => e[0])).toEqual(["volatile"]);
});

test("binary payloads cross nodes intact", async () => {
  await a.run("io.emit('bin', Buffer.from([0, 1, 2, 250, 255]), { nested: [new Uint8Array([9, 8]).buffer] })");
  for (const s of [cb, cc, ca]) {
    const [[, first, second]] = await receivedWhen(s, "bin");
    expect(Buffer.from(first as ArrayBuffer)).toEqual(Buffer.from([0, 1, 2, 250, 255]));
    expect(Buffer.from((second as { nested: ArrayBuffer[] }).nested[0])).toEqual(Buffer.from([9, 8]));
  }
});

test("broadcast with acks collects the answers of every node's clients", async () => {
  for (const [s, name] of [[ca, "A"], [cb, "B"], [cc, "C"]] as const) s.on("question", (_q: unknown, ack: (a: string) => void) => ack(`answer ${name}`));
  const responses = await a.run<string[]>("return io.timeout(3000).emitWithAck('question', 'why')");
  expect(responses.sort()).toEqual(["answer A", "answer B", "answer C"]);
  const toRoom = await b.run<string[]>("return io.to('r3').timeout(3000).emitWithAck('question', 'who')");
  expect(toRoom).toEqual(["answer C"]);
});

test("fetchSockets returns every node's sockets with rooms and data; RemoteSocket actions reach them", async () => {
  await cc.emitWithAck("set-data", { user: "carol", avatar: null });
  const all = await a.run<{ id: string; rooms: string[]; data: unknown; auth: unknown }[]>(
    "return (await io.fetchSockets()).map((s) => ({ id: s.id, rooms: [...s.rooms], data: s.data, auth: s.handshake.auth }))",
  );
  expect(all.map((s) => s.id).sort()).toEqual([ca.id, cb.id, cc.id].sort());
  const carol = all.find((s) => s.id === cc.id)!;
  expect(carol.data).toEqual({ user: "carol", avatar: null });
  expect(carol.rooms.sort()).toEqual([cc.id, "r3"].sort());
  const inR1 = await a.run<string[]>("return (await io.in('r1').fetchSockets()).map((s) => s.id)");
  expect(inR1.sort()).toEqual([ca.id, cb.id].sort());
  await a.run(`const [s] = await io.in(${JSON.stringify(cc.id)}).fetchSockets(); s.emit('direct', 'to carol')`);
  expect(await receivedWhen(cc, "direct")).toEqual([["direct", "to carol"]]);
});

test("socketsJoin and socketsLeave act on other nodes' sockets", async () => {
  await a.run(`io.in(${JSON.stringify(cc.id)}).socketsJoin(['joined'])`);
  await until("C's socket joined", async () => (await c.run<string[]>("return [...io.of('/').adapter.rooms.keys()]")).includes("joined"));
  await b.run("io.to('joined').emit('in-joined')");
  expect(await receivedWhen(cc, "in-joined")).toHaveLength(1);
  await b.run("io.in('joined').socketsLeave('joined')");
  await until("C's socket left", async () => !(await c.run<string[]>("return [...io.of('/').adapter.rooms.keys()]")).includes("joined"));
});

test("serverSideEmit reaches the other nodes; serverSideEmitWithAck gets one answer per node", async () => {
  await a.run("state.events.length = 0; io.serverSideEmit('ping-node', 'plain', Buffer.from([1, 2]))");
  for (const n of [b, c]) {
    await until(`${n.name} got ping-node`, async () => (await n.run<unknown[][]>("return state.events")).length > 0);
    const [event] = await n.run<unknown[][]>("const e = state.events.splice(0); return e.map((x) => x.map((v) => Buffer.isBuffer(v) ? [...v] : v))");
    expect(event).toEqual(["ping-node", "plain", [1, 2]]);
  }
  expect(await a.run("return state.events.length")).toBe(0);
  const answers = await a.run<string[]>("return io.serverSideEmitWithAck('ping-node', 'with ack')");
  expect(answers.sort()).toEqual(["pong from B", "pong from C"]);
});

test("disconnectSockets disconnects another node's sockets", async () => {
  const reason = next<[string]>(cb, "disconnect");
  await a.run(`io.in(${JSON.stringify(cb.id)}).disconnectSockets()`);
  expect((await reason)[0]).toBe("io server disconnect");
  cb = await connect(b.url);
});

test("a node that dies is dropped: pending requests end with what arrived, serverCount follows", async () => {
  await c.kill();
  const started = Date.now();
  const answers = await a.run<string[]>("return io.serverSideEmitWithAck('ping-node', 'after kill')");
  expect(answers).toEqual(["pong from B"]);
  // Resolved by the heartbeat timeout (1 s), well before requestsTimeout (3 s).
  expect(Date.now() - started).toBeLessThan(2900);
  expect(await a.run("return io.of('/').adapter.serverCount()")).toBe(2);
  const fetched = await b.run<string[]>("return (await io.fetchSockets()).map((s) => s.id)");
  expect(fetched.sort()).toEqual([ca.id, cb.id].sort());
});
