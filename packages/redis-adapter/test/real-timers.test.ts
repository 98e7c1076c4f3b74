// The Redis adapter's timers with real timers, a real redis-server and real
// sockets: the heartbeats between nodes (interval and timeout) and the
// requests' timeout. Two Duplex nodes run in this process; a third, "ghost"
// node is a bare Redis connection that sends heartbeats and answers nothing,
// which is how a node that is alive but stuck (or on another version) looks.
import { randomBytes } from "node:crypto";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "redis";
import { Server } from "@duplex/server";
import { createAdapter, RequestError } from "@duplex/redis-adapter";
import { MessageType, UID_BYTES, decodeEnvelope, encodeEnvelope } from "../src/envelope";
import { quiet, stopwatch, within } from "../../../test-support/timing";
import { startRedis, type RedisServer } from "./support/redis";
import { closeAllClients, connect } from "./support/clients";

const HEARTBEAT_INTERVAL = 100;
const HEARTBEAT_TIMEOUT = 400;
const REQUESTS_TIMEOUT = 300;
/** How late an event may come on a loaded machine and still count. */
const LATE = 3000;

/** The client as `createClient({ url })` types it. */
function newClient(url: string) {
  return createClient({ url });
}
type RedisClient = ReturnType<typeof newClient>;

interface DuplexNode {
  io: Server;
  url: string;
  close(): Promise<void>;
}

let redis: RedisServer;
const cleanups: Array<() => Promise<void> | void> = [];
let keyCounter = 0;
/** Each test's nodes share a key of their own, so nothing of an earlier test reaches them. */
let key: string;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

beforeEach(() => {
  key = `timers${++keyCounter}`;
});

afterEach(async () => {
  closeAllClients();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function redisClient(): Promise<RedisClient> {
  const client = newClient(redis.url);
  client.on("error", () => undefined);
  await client.connect();
  cleanups.push(async () => {
    if (client.isOpen) await client.quit();
  });
  return client;
}

async function startNode(): Promise<DuplexNode> {
  const pub = await redisClient();
  const sub = await redisClient();
  const http: HttpServer = createServer();
  const io = new Server(http, {
    adapter: createAdapter(pub, sub, { key, heartbeatInterval: HEARTBEAT_INTERVAL, heartbeatTimeout: HEARTBEAT_TIMEOUT, requestsTimeout: REQUESTS_TIMEOUT }),
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  let closed = false;
  const node: DuplexNode = {
    io,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      if (closed) return;
      closed = true;
      http.closeAllConnections();
      await io.close();
    },
  };
  // Before the Redis connections (cleanups run in reverse): the adapter says goodbye first.
  cleanups.push(() => node.close());
  return node;
}

function serverCount(node: DuplexNode): Promise<number> {
  return node.io.of("/").adapter.serverCount();
}

async function untilCount(node: DuplexNode, count: number, ms: number): Promise<void> {
  let last = 0;
  const deadline = Date.now() + ms;
  while ((last = await serverCount(node)) !== count) {
    if (Date.now() > deadline) throw new Error(`serverCount is ${last}, expected ${count} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A node that only sends heartbeats, every HEARTBEAT_INTERVAL, until
 * `stop()`: it never answers a request and never says goodbye.
 */
async function startGhost(): Promise<{ stop(): void }> {
  const pub = await redisClient();
  const uid = randomBytes(UID_BYTES);
  const channel = `${key}#/#`;
  const send = (type: number) => {
    pub.sendCommand(["PUBLISH", channel, encodeEnvelope(type as never, uid, {})]).catch(() => undefined);
  };
  send(MessageType.INITIAL_HEARTBEAT);
  const timer = setInterval(() => send(MessageType.HEARTBEAT), HEARTBEAT_INTERVAL);
  const stop = () => clearInterval(timer);
  cleanups.push(stop);
  return { stop };
}

describe("heartbeats", () => {
  test("two nodes find each other, each keeps sending a heartbeat every interval, and both stay counted", async () => {
    const [a, b] = [await startNode(), await startNode()];
    await untilCount(a, 2, LATE);
    await untilCount(b, 2, LATE);
    // What goes over Redis: the heartbeats of each node, counted by sender.
    const listener = await redisClient();
    const beats = new Map<string, number>();
    await listener.subscribe(
      `${key}#/#`,
      (message: Buffer) => {
        const envelope = decodeEnvelope(message);
        if (envelope?.type === MessageType.HEARTBEAT) beats.set(envelope.uid, (beats.get(envelope.uid) ?? 0) + 1);
      },
      true,
    );
    await quiet(2 * HEARTBEAT_TIMEOUT);
    const uids = [a, b].map((node) => (node.io.of("/").adapter as unknown as { uid: string }).uid);
    // 8 intervals went by: a loaded machine may lose a few, never most.
    for (const uid of uids) expect(beats.get(uid) ?? 0).toBeGreaterThanOrEqual((2 * HEARTBEAT_TIMEOUT) / HEARTBEAT_INTERVAL / 2);
    expect(await serverCount(a)).toBe(2);
    expect(await serverCount(b)).toBe(2);
  });

  test("a node whose heartbeats stop is dropped after heartbeatTimeout, not before", async () => {
    const a = await startNode();
    const ghost = await startGhost();
    await untilCount(a, 2, LATE);
    await quiet(2 * HEARTBEAT_TIMEOUT);
    expect(await serverCount(a)).toBe(2);

    ghost.stop();
    const clock = stopwatch();
    await untilCount(a, 1, HEARTBEAT_TIMEOUT + HEARTBEAT_INTERVAL + LATE);
    // Its last heartbeat went out at most one interval before the stop.
    expect(clock.ms()).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT - HEARTBEAT_INTERVAL - 20);
  });

  test("a node that closes says goodbye: dropped at once, without waiting for the timeout", async () => {
    const [a, b] = [await startNode(), await startNode()];
    await untilCount(a, 2, LATE);
    const clock = stopwatch();
    await b.close();
    await untilCount(a, 1, LATE);
    expect(clock.ms()).toBeLessThan(HEARTBEAT_TIMEOUT);
  });
});

describe("requestsTimeout, with a node that is alive but never answers", () => {
  async function twoNodesAndAGhost(): Promise<[DuplexNode, DuplexNode]> {
    const [a, b] = [await startNode(), await startNode()];
    await startGhost();
    await untilCount(a, 3, LATE);
    await untilCount(b, 3, LATE);
    return [a, b];
  }

  test("fetchSockets rejects with REQUEST_TIMEOUT after requestsTimeout, each time", async () => {
    const [a] = await twoNodesAndAGhost();
    for (let round = 0; round < 2; round++) {
      const clock = stopwatch();
      const err = await within(
        a.io.fetchSockets().then(
          () => null,
          (e: unknown) => e,
        ),
        REQUESTS_TIMEOUT + LATE,
        `round ${round}: fetchSockets settles`,
      );
      expect(err).toBeInstanceOf(RequestError);
      expect((err as RequestError).code).toBe("REQUEST_TIMEOUT");
      expect((err as RequestError).missing).toBe(1);
      expect(clock.ms()).toBeGreaterThanOrEqual(REQUESTS_TIMEOUT - 5);
    }
  });

  test("serverSideEmit with an ack: the error and the answering node's response after requestsTimeout", async () => {
    const [a, b] = await twoNodesAndAGhost();
    b.io.on("question", (n: number, ack: (answer: string) => void) => ack(`B answers ${n}`));
    for (let round = 0; round < 2; round++) {
      const clock = stopwatch();
      const [err, responses] = await within(
        new Promise<[Error | null, unknown[]]>((resolve) =>
          a.io.serverSideEmit("question", round, (e: Error | null, r: unknown[]) => resolve([e, r])),
        ),
        REQUESTS_TIMEOUT + LATE,
        `round ${round}: the callback`,
      );
      expect((err as RequestError).code).toBe("REQUEST_TIMEOUT");
      expect(responses).toEqual([`B answers ${round}`]);
      expect(clock.ms()).toBeGreaterThanOrEqual(REQUESTS_TIMEOUT - 5);
    }
    await expect(a.io.serverSideEmitWithAck("question", 9)).rejects.toMatchObject({ code: "REQUEST_TIMEOUT" });
  });
});

describe("broadcast acks across nodes", () => {
  test("io.timeout(ms).emit: a client on another node never answers; err and the other answers after ms, twice", async () => {
    const [a, b] = [await startNode(), await startNode()];
    await untilCount(a, 2, LATE);
    await untilCount(b, 2, LATE);
    const onA = await connect(a.url);
    const onB = await connect(b.url);
    const silentOnB = await connect(b.url);
    onA.on("q", (round: number, ack: (v: string) => void) => ack(`A ${round}`));
    onB.on("q", (round: number, ack: (v: string) => void) => ack(`B ${round}`));
    silentOnB.on("q", () => undefined);
    const ACK_TIMEOUT = 300;
    for (let round = 0; round < 2; round++) {
      const clock = stopwatch();
      const [err, responses] = await within(
        new Promise<[Error | null, string[]]>((resolve) => a.io.timeout(ACK_TIMEOUT).emit("q", round, (e: Error | null, r: string[]) => resolve([e, r]))),
        ACK_TIMEOUT + LATE,
        `round ${round}: the broadcast's callback`,
      );
      expect(err?.message).toBe("operation has timed out");
      expect([...responses].sort()).toEqual([`A ${round}`, `B ${round}`]);
      expect(clock.ms()).toBeGreaterThanOrEqual(ACK_TIMEOUT - 5);
    }
  });

  test("io.timeout(ms).emitWithAck: every client on both nodes answers, resolved before the timeout", async () => {
    const [a, b] = [await startNode(), await startNode()];
    await untilCount(a, 2, LATE);
    await untilCount(b, 2, LATE);
    const onA = await connect(a.url);
    const onB = await connect(b.url);
    onA.on("q", (ack: (v: string) => void) => ack("A"));
    onB.on("q", (ack: (v: string) => void) => ack("B"));
    const clock = stopwatch();
    const responses = await a.io.timeout(LATE).emitWithAck("q");
    expect([...(responses as string[])].sort()).toEqual(["A", "B"]);
    expect(clock.ms()).toBeLessThan(LATE);
  });
});
