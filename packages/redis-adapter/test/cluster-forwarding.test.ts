// Node cluster mode without a sticky router: a primary forks three workers
// that share one public port through plain `cluster`, which hands each
// connection to a worker in turn, so the requests of one polling session
// land on any worker. With forwardRequests: { address: "loopback" } a worker
// passes a request of another worker's session to that worker's own
// 127.0.0.1 port; without it, such a request is refused ("Session ID unknown").
import { fork, type ChildProcess } from "node:child_process";
import type { Socket } from "socket.io-client";
import { freePort, startRedis, type RedisServer } from "./support/redis";
import { bundle, until } from "./support/nodes";
import { quiet } from "../../../test-support/timing";
import { connected, countedClient, emitAckedEchoes, newTally, type Tally } from "./support/counted-clients";

jest.setTimeout(40_000);

const WORKERS = 3;
const POLLING_CLIENTS = 30;
const DEFAULT_CLIENTS = 10;
const RUN_MS = 5000;
const EMIT_EVERY_MS = 500;
const TICK_EVERY_MS = 250;

interface WorkerStats {
  pid: number;
  unknownSid: number;
  forwarded: number;
  sessions: number;
}

let redis: RedisServer;
let built: ReturnType<typeof bundle>;

beforeAll(async () => {
  built = bundle("shared-port-cluster.ts");
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
  built?.cleanup();
});

interface Primary {
  url: string;
  child: ChildProcess;
  tick(n: number): void;
  stats(): Promise<WorkerStats[]>;
  stop(): Promise<void>;
}

async function startPrimary(key: string, forward: boolean): Promise<Primary> {
  const port = await freePort();
  const config = { redis: redis.url, port, workers: WORKERS, forward, key };
  const child = fork(built.file, [], { env: { ...process.env, DUPLEX_CLUSTER: JSON.stringify(config) }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`primary exited (${code})`)));
    child.on("message", (msg: { ready?: boolean }) => msg.ready && resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    tick: (n) => child.send({ tick: n }),
    stats: () =>
      new Promise((resolve) => {
        const onMessage = (msg: { stats?: WorkerStats[] }) => {
          if (msg.stats === undefined) return;
          child.off("message", onMessage);
          resolve(msg.stats);
        };
        child.on("message", onMessage);
        child.send({ stats: true });
      }),
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Every client emits acked messages, and the workers broadcast in turn, for `ms`; returns the broadcasts sent. */
async function exercise(primary: Primary, clients: Socket[], tally: Tally, ms: number): Promise<number> {
  const stopEmitting = emitAckedEchoes(clients, tally, EMIT_EVERY_MS);
  let ticks = 0;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    primary.tick(++ticks);
    await quiet(TICK_EVERY_MS);
  }
  stopEmitting();
  return ticks;
}

describe("Node cluster, shared port, no sticky router", () => {
  test(`forwardRequests "loopback": ${POLLING_CLIENTS} polling and ${DEFAULT_CLIENTS} default clients for ${RUN_MS / 1000} s, nothing refused, lost or dropped`, async () => {
    const primary = await startPrimary("shared-on", true);
    const tally = newTally();
    const clients = Array.from({ length: POLLING_CLIENTS + DEFAULT_CLIENTS }, (_, i) => countedClient(primary.url, i < POLLING_CLIENTS, tally));
    try {
      expect(await Promise.all(clients.map(connected))).toEqual(clients.map(() => true));
      const ticks = await exercise(primary, clients, tally, RUN_MS);
      // Each ack has a 5 s timeout: within 6 s every one is answered or counted lost.
      await until("every ack answered or timed out", () => tally.acksPending === 0, 6000);
      await until("every broadcast delivered", () => clients.every((c) => c.ticks.length >= ticks), 5000).catch(() => undefined);
      const stats = await primary.stats();

      expect(tally.connectErrors).toEqual([]);
      expect(tally.disconnects).toEqual([]);
      // One every 500 ms for 5 s makes 10 per client; a loaded machine fires the timers late.
      expect(tally.acksSent).toBeGreaterThan((POLLING_CLIENTS + DEFAULT_CLIENTS) * 4);
      expect(tally.acksLost).toBe(0);
      const all = Array.from({ length: ticks }, (_, i) => i + 1);
      // Each worker's broadcasts arrive in order; those of different workers may interleave.
      for (const c of clients) expect([...c.ticks].sort((x, y) => x - y)).toEqual(all);
      expect(stats.map((s) => s.unknownSid)).toEqual([0, 0, 0]);
      // The sessions are spread over the workers, and requests did reach other workers than their session's.
      expect(stats.every((s) => s.sessions > 0)).toBe(true);
      expect(stats.reduce((sum, s) => sum + s.sessions, 0)).toBe(POLLING_CLIENTS + DEFAULT_CLIENTS);
      expect(stats.reduce((sum, s) => sum + s.forwarded, 0)).toBeGreaterThan(0);
      expect(clients.slice(0, POLLING_CLIENTS).every((c) => c.io.engine.transport.name === "polling")).toBe(true);
      expect(clients.slice(POLLING_CLIENTS).every((c) => c.io.engine.transport.name === "websocket")).toBe(true);
    } finally {
      for (const c of clients) c.disconnect();
      await primary.stop();
    }
  });

  test("forwardRequests off: polling sessions break, their requests land on workers that do not hold them", async () => {
    const primary = await startPrimary("shared-off", false);
    const tally = newTally();
    const clients = Array.from({ length: 20 }, () => countedClient(primary.url, true, tally));
    try {
      await Promise.all(clients.map(connected));
      await exercise(primary, clients, tally, 2000);
      const stats = await primary.stats();
      expect(stats.reduce((sum, s) => sum + s.unknownSid, 0)).toBeGreaterThan(0);
      expect(tally.connectErrors.length + tally.disconnects.length).toBeGreaterThan(0);
      expect(stats.reduce((sum, s) => sum + s.forwarded, 0)).toBe(0);
    } finally {
      for (const c of clients) c.disconnect();
      await primary.stop();
    }
  });
});
