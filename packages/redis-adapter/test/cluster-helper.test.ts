// setupPrimary()/setupWorker(): a Node cluster of two workers behind the
// primary's sticky router, clients on HTTP long-polling only (every request
// of a session must reach the worker that owns it), with and without
// forwardRequests on in the workers.
import { fork, type ChildProcess } from "node:child_process";
import { sidOf } from "@duplex/redis-adapter";
import { startRedis, type RedisServer } from "./support/redis";
import { bundle } from "./support/nodes";
import { closeAllClients, connect, receivedWhen, type Client } from "./support/clients";

jest.setTimeout(60_000);

let redis: RedisServer;
let built: ReturnType<typeof bundle>;
const primaries: ChildProcess[] = [];

/** The fixture's primary (setupPrimary) and its two workers; resolves with the public port. */
async function startPrimary(forward: boolean): Promise<number> {
  const primary = fork(built.file, [], { env: { ...process.env, DUPLEX_CLUSTER: JSON.stringify({ redis: redis.url, forward }) }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  primaries.push(primary);
  return new Promise<number>((resolve, reject) => {
    primary.once("exit", (code) => reject(new Error(`primary exited (${code})`)));
    primary.on("message", (msg: { ready?: boolean; port: number }) => msg.ready && resolve(msg.port));
  });
}

beforeAll(async () => {
  built = bundle("cluster.ts");
  redis = await startRedis();
});

afterAll(async () => {
  closeAllClients();
  for (const primary of primaries) {
    if (primary.exitCode !== null) continue;
    const exited = new Promise((r) => primary.once("exit", r));
    primary.kill("SIGTERM");
    await exited;
  }
  await redis?.stop();
  built?.cleanup();
});

test("sidOf reads the sid of the request line only", () => {
  expect(sidOf(Buffer.from("GET /socket.io/?EIO=4&transport=polling&sid=abc-_9 HTTP/1.1\r\nCookie: sid=zzz\r\n\r\n"))).toBe("abc-_9");
  expect(sidOf(Buffer.from("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nX: ?sid=zzz\r\n\r\n"))).toBeUndefined();
});

test.each([
  ["", false],
  [', with forwardRequests { address: "loopback" } on too (the primary then routes by tag)', true],
])("polling clients spread over both workers, stay on theirs, and share broadcasts%s", async (_title, forward) => {
  const port = await startPrimary(forward);
  const clients: Client[] = await Promise.all(
    Array.from({ length: 6 }, () => connect(`http://127.0.0.1:${port}`, { transports: ["polling"] })),
  );
  const disconnects: string[] = [];
  for (const c of clients) c.on("disconnect", (reason) => disconnects.push(reason));
  const workers = await Promise.all(clients.map(async (c) => (await receivedWhen(c, "hello"))[0][1] as string));
  expect(new Set(workers).size).toBe(2);
  // Several rounds of polling requests: each must reach its session's worker.
  for (let round = 0; round < 3; round++) {
    const from = clients[round];
    const answeredBy = await from.timeout(5000).emitWithAck("shout", `round ${round}`);
    expect(answeredBy).toBe(workers[round]);
    for (const c of clients) await receivedWhen(c, "shouted", round + 1);
  }
  expect(disconnects).toEqual([]);
  expect(clients.every((c) => c.connected && c.io.engine.transport.name === "polling")).toBe(true);
});
