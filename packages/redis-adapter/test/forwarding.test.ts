// forwardRequests between two nodes in this process, over a real
// redis-server and real HTTP: what a forwarded request carries and gets
// back, and every way a forward can fail (each with real timers and sockets).
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server as HttpServer } from "node:http";
import { connect as tcpConnect, type Socket as TcpSocket } from "node:net";
import { createClient } from "redis";
import { WebSocket } from "ws";
import { Server } from "@duplex/server";
import { createAdapter } from "@duplex/redis-adapter";
import { startRedis, freePort, type RedisServer } from "./support/redis";
import { quiet, stopwatch, within } from "../../../test-support/timing";
import { until } from "../../../test-support/until";

jest.setTimeout(30_000);

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const HEARTBEAT_TIMEOUT = 600;
const CONNECT_TIMEOUT = 300;
const LATE = 3000;

/** The client as `createClient({ url, socket })` types it. */
function newClient(url: string) {
  return createClient({ url, socket: { reconnectStrategy: () => 100 } });
}
type Client = ReturnType<typeof newClient>;

interface TestNode {
  io: Server;
  url: string;
  errors: Array<{ code: number; context: Record<string, unknown> }>;
  forwarder: { tag: string; nodeCount: number };
}

let redis: RedisServer;
const redisClients: Client[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // destroy, not quit: a quit waits for a Redis that a test may have stopped.
  for (const client of redisClients.splice(0)) if (client.isOpen) client.destroy();
});

afterAll(async () => {
  await redis?.stop();
});

async function redisClient(): Promise<Client> {
  const client = newClient(redis.url);
  client.on("error", () => undefined);
  redisClients.push(client);
  await client.connect();
  return client;
}

/** A node listening on its own port; `forwardAddress` is the one it announces (its own URL by default). */
async function startNode(key: string, serverOpts: ConstructorParameters<typeof Server>[1] = {}, forwardAddress?: string): Promise<TestNode> {
  const pub = await redisClient();
  const sub = await redisClient();
  const port = await freePort();
  const address = `http://127.0.0.1:${port}`;
  const http: HttpServer = createServer();
  const io = new Server(http, {
    pingInterval: PING_INTERVAL,
    pingTimeout: PING_TIMEOUT,
    ...serverOpts,
    adapter: createAdapter(pub, sub, { key, heartbeatInterval: 100, heartbeatTimeout: HEARTBEAT_TIMEOUT, forwardRequests: { address: forwardAddress ?? address, connectTimeout: CONNECT_TIMEOUT } }),
  });
  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  const errors: TestNode["errors"] = [];
  io.engine.on("connection_error", (e) => errors.push({ code: e.code, context: e.context }));
  cleanups.push(() => io.close());
  await until(() => io.engine.forwarder !== null, LATE, "the forwarder is set on the engine");
  return { io, url: address, errors, forwarder: io.engine.forwarder as unknown as TestNode["forwarder"] };
}

async function twoNodes(key: string, serverOpts?: ConstructorParameters<typeof Server>[1]): Promise<[TestNode, TestNode]> {
  const a = await startNode(key, serverOpts);
  const b = await startNode(key, serverOpts);
  await until(() => a.forwarder.nodeCount === 1 && b.forwarder.nodeCount === 1, LATE, "both nodes know each other's address");
  return [a, b];
}

const POLL = "/socket.io/?EIO=4&transport=polling";

/** Opens a polling session on `node`; resolves with its sid. */
async function handshake(node: TestNode): Promise<string> {
  const res = await fetch(`${node.url}${POLL}`);
  const body = await res.text();
  return (JSON.parse(body.slice(1)) as { sid: string }).sid;
}

/** Announces a node that does not exist (tag → address) on the directory channel, as a node would. */
async function announce(key: string, tag: string, address: string): Promise<void> {
  const client = await redisClient();
  await client.publish(`${key}#nodes#`, JSON.stringify({ v: 1, type: "here", tag, address }));
}

test("a session opened on A is served through B: the CONNECT, the poll, acks and socket.data are A's", async () => {
  // No ping in the answers this test reads.
  const [a, b] = await twoNodes("fw-basic", { pingInterval: 10_000, pingTimeout: 5000 });
  a.io.use((socket, next) => {
    socket.data = { admitted: "by A" };
    next();
  });
  a.io.on("connection", (socket) => socket.on("whoami", (ack: (x: unknown) => void) => ack(socket.data)));
  const sid = await handshake(a);
  expect(sid.startsWith(a.forwarder.tag)).toBe(true);
  expect(b.io.engine.clientsCount).toBe(0);
  const post = await fetch(`${b.url}${POLL}&sid=${sid}`, { method: "POST", body: "40" });
  expect([post.status, await post.text()]).toEqual([200, "ok"]);
  const poll = await fetch(`${b.url}${POLL}&sid=${sid}`);
  expect((await poll.text()).startsWith("40{")).toBe(true);
  await fetch(`${b.url}${POLL}&sid=${sid}`, { method: "POST", body: '421["whoami"]' });
  const answer = await fetch(`${a.url}${POLL}&sid=${sid}`);
  expect(await answer.text()).toBe('431[{"admitted":"by A"}]');
  expect(b.io.engine.clientsCount).toBe(0);
  expect(b.errors).toEqual([]);
});

test("CORS and the owner's headers come back once; a preflight is answered by the owner", async () => {
  const cors = { origin: "http://app.example", credentials: true };
  const [a, b] = await twoNodes("fw-cors", { cors });
  a.io.engine.on("headers", (headers) => {
    headers["X-Served-By"] = "A";
  });
  const sid = await handshake(a);
  const res = await fetch(`${b.url}${POLL}&sid=${sid}`, { method: "POST", body: "40", headers: { Origin: "http://app.example" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
  expect(res.headers.get("access-control-allow-credentials")).toBe("true");
  expect(res.headers.get("x-served-by")).toBe("A");
  const preflight = await fetch(`${b.url}${POLL}&sid=${sid}`, {
    method: "OPTIONS",
    headers: { Origin: "http://app.example", "Access-Control-Request-Method": "POST" },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get("access-control-allow-origin")).toBe("http://app.example");
});

test("a body over maxHttpBufferSize is refused by the owner (413), through the forwarding node", async () => {
  const [a, b] = await twoNodes("fw-size", { maxHttpBufferSize: 1000 });
  const sid = await handshake(a);
  const res = await fetch(`${b.url}${POLL}&sid=${sid}`, { method: "POST", body: "4" + "x".repeat(5000) });
  expect(res.status).toBe(413);
  // The owner ends a session that sent too much, as for a request it got directly.
  await until(() => a.io.engine.clientsCount === 0, LATE, "A closes the session");
});

test("a WebSocket upgrade on B for A's session is relayed: the probe and the upgrade complete on A", async () => {
  const [a, b] = await twoNodes("fw-upgrade");
  const sid = await handshake(a);
  await fetch(`${b.url}${POLL}&sid=${sid}`, { method: "POST", body: "40" });
  const ws = new WebSocket(`${b.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
  cleanups.push(async () => ws.terminate());
  const messages: string[] = [];
  ws.on("message", (data) => messages.push(data.toString()));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.send("2probe");
  await until(() => messages.includes("3probe"), LATE, "3probe");
  ws.send("5");
  await until(() => a.io.engine.sessions.get(sid)?.transport.name === "websocket", LATE, "A's session upgraded");
  a.io.emit("over-websocket", 1);
  await until(() => messages.includes('42["over-websocket",1]'), LATE, "a packet over the relayed WebSocket");
  expect(b.io.engine.clientsCount).toBe(0);
});

test("a request forwarded once is never forwarded again: the node that gets it answers Session ID unknown", async () => {
  const [a, b] = await twoNodes("fw-loop");
  const sid = `${a.forwarder.tag}not-a-session-of-A`;
  const res = await fetch(`${b.url}${POLL}&sid=${sid}`, { headers: { "x-duplex-forwarded": "elsewhere" } });
  expect([res.status, await res.json()]).toEqual([400, { code: 1, message: "Session ID unknown" }]);
  // And A, asked through B, answers it too: B forwards, A does not send it back.
  const viaB = await fetch(`${b.url}${POLL}&sid=${sid}`);
  expect([viaB.status, await viaB.json()]).toEqual([400, { code: 1, message: "Session ID unknown" }]);
  expect(a.errors.map((e) => e.context)).toEqual([{ sid }]);
});

test("a sid naming no known node is refused as usual (400, Session ID unknown)", async () => {
  const [, b] = await twoNodes("fw-unknown");
  const res = await fetch(`${b.url}${POLL}&sid=nobodys-sid-at-all-xx`);
  expect([res.status, await res.json()]).toEqual([400, { code: 1, message: "Session ID unknown" }]);
});

test("an owner that refuses connections: 502, a connection_error saying so, and its address is forgotten", async () => {
  const [a] = await twoNodes("fw-refused");
  const deadPort = await freePort();
  await announce("fw-refused", "deadnode", `http://127.0.0.1:${deadPort}`);
  await until(() => a.forwarder.nodeCount === 2, LATE, "A learns the dead node's address");
  const res = await fetch(`${a.url}${POLL}&sid=deadnodeSomeSession1234`);
  expect([res.status, await res.json()]).toEqual([502, { code: 1, message: "Session ID unknown" }]);
  expect(a.errors).toEqual([
    {
      code: 1,
      context: expect.objectContaining({ name: "FORWARD_FAILED", cause: "ECONNREFUSED", owner: `http://127.0.0.1:${deadPort}`, sid: "deadnodeSomeSession1234" }),
    },
  ]);
  expect(a.forwarder.nodeCount).toBe(1);
  const again = await fetch(`${a.url}${POLL}&sid=deadnodeSomeSession1234`);
  expect(again.status).toBe(400);
});

/** A TCP port whose listener never accepts: its backlog (1) is full, so a new connection hangs in SYN. */
async function blackhole(): Promise<{ port: number; stop(): Promise<void> }> {
  const script = `
    const server = require("node:net").createServer();
    server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
      process.stdout.write(String(server.address().port) + "\\n");
      // The event loop never runs again: nothing is accepted.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30000);
    });`;
  const child: ChildProcess = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  const fillers: TcpSocket[] = [];
  for (let i = 0; i < 2; i++) fillers.push(tcpConnect(port, "127.0.0.1").on("error", () => undefined));
  await Promise.all(fillers.map((s) => new Promise((resolve) => s.once("connect", resolve))));
  return {
    port,
    async stop() {
      for (const s of fillers) s.destroy();
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

test("an owner that never accepts the connection: 504 after connectTimeout (real timers)", async () => {
  const [a] = await twoNodes("fw-connect");
  const hole = await blackhole();
  cleanups.push(() => hole.stop());
  await announce("fw-connect", "holenode", `http://127.0.0.1:${hole.port}`);
  await until(() => a.forwarder.nodeCount === 2, LATE, "A learns the address");
  const clock = stopwatch();
  const res = await within(fetch(`${a.url}${POLL}&sid=holenodeSomeSession1234`), CONNECT_TIMEOUT + LATE, "the 504");
  expect(clock.ms()).toBeGreaterThanOrEqual(CONNECT_TIMEOUT - 5);
  expect([res.status, await res.json()]).toEqual([504, { code: 1, message: "Session ID unknown" }]);
  expect(a.errors[0].context).toMatchObject({ name: "FORWARD_TIMEOUT", owner: `http://127.0.0.1:${hole.port}` });
});

test("an owner that accepts but stays silent: 504 after pingInterval + pingTimeout (real timers)", async () => {
  const [a] = await twoNodes("fw-silent");
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => silent.close(resolve)).then(() => silent.closeAllConnections()));
  const port = (silent.address() as { port: number }).port;
  await announce("fw-silent", "mutenode", `http://127.0.0.1:${port}`);
  await until(() => a.forwarder.nodeCount === 2, LATE, "A learns the address");
  const clock = stopwatch();
  const res = await within(fetch(`${a.url}${POLL}&sid=mutenodeSomeSession1234`), PING_INTERVAL + PING_TIMEOUT + LATE, "the 504");
  expect(clock.ms()).toBeGreaterThanOrEqual(PING_INTERVAL + PING_TIMEOUT - 5);
  expect(res.status).toBe(504);
  expect(a.errors[0].context).toMatchObject({ name: "FORWARD_TIMEOUT" });
});

test("a node that stops announcing is forgotten after heartbeatTimeout (real timers)", async () => {
  const [a] = await twoNodes("fw-sweep");
  await announce("fw-sweep", "gonenode", "http://127.0.0.1:1");
  await until(() => a.forwarder.nodeCount === 2, LATE, "A learns the address");
  const clock = stopwatch();
  await until(() => a.forwarder.nodeCount === 1, HEARTBEAT_TIMEOUT + LATE, "A forgets the silent node");
  expect(clock.ms()).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT - 150);
});

test("Redis down: forwarded polls still reach their session, nothing hangs, the addresses stay", async () => {
  // Heartbeats slower than the outage: the session must not end by a ping timeout meanwhile.
  const [a, b] = await twoNodes("fw-outage", { pingInterval: 10_000, pingTimeout: 5000 });
  const received: unknown[] = [];
  a.io.on("connection", (socket) => socket.on("during", (x: unknown) => received.push(x)));
  const sid = await handshake(a);
  await fetch(`${b.url}${POLL}&sid=${sid}`, { method: "POST", body: "40" });
  await redis.stop();
  try {
    // Longer than heartbeatTimeout: with Redis silent, nobody is forgotten.
    await quiet(HEARTBEAT_TIMEOUT * 2);
    expect(b.forwarder.nodeCount).toBe(1);
    const poll = await within(fetch(`${b.url}${POLL}&sid=${sid}`), LATE, "the forwarded poll");
    expect((await poll.text()).startsWith("40{")).toBe(true);
    const post = await within(fetch(`${b.url}${POLL}&sid=${sid}`, { method: "POST", body: '42["during","the outage"]' }), LATE, "the forwarded POST");
    expect(post.status).toBe(200);
    await until(() => received.length === 1, LATE, "A gets the event");
    expect(received).toEqual(["the outage"]);
  } finally {
    await redis.start();
  }
});

describe('address "loopback"', () => {
  /** The address a node announced, as another node knows it. */
  const announcedBy = (node: TestNode, from: TestNode) =>
    (from.io.engine.forwarder as unknown as { directory: { addressOf(tag: string): string | undefined } }).directory.addressOf(node.forwarder.tag);

  test("each node announces a 127.0.0.1 port of its own, serving the same requests as its public one; closing the server closes it", async () => {
    const a = await startNode("fw-loopback", {}, "loopback");
    const b = await startNode("fw-loopback", {}, "loopback");
    await until(() => a.forwarder.nodeCount === 1 && b.forwarder.nodeCount === 1, LATE, "both nodes know each other's loopback address");
    const loopbackOfA = announcedBy(a, b)!;
    expect(loopbackOfA).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(loopbackOfA).not.toBe(a.url);
    expect(announcedBy(b, a)).not.toBe(loopbackOfA);
    // A session opened on A's public port, used through B's, which forwards to A's loopback port.
    const sid = await handshake(a);
    const post = await fetch(`${b.url}${POLL}&sid=${sid}`, { method: "POST", body: "40" });
    expect([post.status, await post.text()]).toEqual([200, "ok"]);
    const poll = await fetch(`${b.url}${POLL}&sid=${sid}`);
    expect((await poll.text()).startsWith("40{")).toBe(true);
    expect([a.io.engine.clientsCount, b.io.engine.clientsCount]).toEqual([1, 0]);
    expect(b.errors).toEqual([]);
    // The loopback port is a door to the same server: a handshake there opens a session on A.
    const direct = await fetch(`${loopbackOfA}${POLL}`);
    expect(direct.status).toBe(200);
    expect(a.io.engine.clientsCount).toBe(2);
    await a.io.close();
    await expect(fetch(`${loopbackOfA}${POLL}`)).rejects.toThrow();
  });

  test("an address that is neither a URL nor \"loopback\" is refused at once (INVALID_FORWARD_ADDRESS)", async () => {
    const pub = await redisClient();
    const sub = await redisClient();
    expect(() => createAdapter(pub, sub, { forwardRequests: { address: "loopbak" } })).toThrow(expect.objectContaining({ code: "INVALID_FORWARD_ADDRESS" }));
  });
});
