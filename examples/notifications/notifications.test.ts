import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { io, type Socket } from "@duplex/client";

// Runs the backend as `node start.js` does (own redis-server, two nodes, the
// API, the worker; free ports) and acts as its users would.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { start, hints } = require("./start.js") as {
  start(opts: { portBase: number; ownRedis: boolean }): Promise<{ redisUrl: string; api: number; nodes: number[]; stop(): Promise<void> }>;
  hints(s: { api: number; nodes: number[]; redisUrl: string }): Array<{ what: string; command: string }>;
};

interface Notification {
  id: string;
  userId: string;
  message: string;
  at: number;
}

let backend: Awaited<ReturnType<typeof start>>;
const sockets: Socket[] = [];

beforeAll(async () => {
  backend = await start({ portBase: 0, ownRedis: true });
}, 60000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await backend?.stop();
});

async function api(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${backend.api}${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  return (await res.json()) as Record<string, unknown>;
}

async function user(userId: string, node: number): Promise<{ socket: Socket; got: Notification[]; welcome: { node: string } }> {
  const { token } = await api(`/token?userId=${userId}`);
  const socket = io(`http://127.0.0.1:${backend.nodes[node]}`, { forceNew: true, auth: { token }, reconnectionDelay: 50, reconnectionDelayMax: 200 });
  sockets.push(socket);
  const got: Notification[] = [];
  socket.on("notification", (n: Notification) => got.push(n));
  const welcome = await new Promise<{ node: string }>((resolve, reject) => {
    socket.once("welcome", resolve);
    socket.once("connect_error", reject);
  });
  return { socket, got, welcome };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("a notification reaches the user on whichever node holds them", async () => {
  const alice = await user("alice", 1);
  expect(alice.welcome.node).toBe("node-b");
  const result = await api("/notify", { userId: "alice", message: "your order shipped" });
  expect(result.delivered).toBe("live");
  await until(() => alice.got.length === 1, "alice's notification");
  expect(alice.got[0]).toMatchObject({ userId: "alice", message: "your order shipped" });
}, 30000);

test("a user who was offline gets the inbox on connecting", async () => {
  expect((await api("/notify", { userId: "bob", message: "first" })).delivered).toBe("inbox");
  expect((await api("/notify", { userId: "bob", message: "second" })).delivered).toBe("inbox");
  const bob = await user("bob", 0);
  await until(() => bob.got.length === 2, "bob's inbox");
  expect(bob.got.map((n) => n.message)).toEqual(["first", "second"]);
}, 30000);

test("the worker publishes jobs from the Redis queue", async () => {
  const carol = await user("carol", 0);
  const { createClient } = await import("redis");
  const redis = createClient({ url: backend.redisUrl });
  await redis.connect();
  await redis.lPush("notifications:queue", JSON.stringify({ userId: "carol", message: "from the worker" }));
  await redis.quit();
  await until(() => carol.got.length === 1, "carol's notification from the worker");
  expect(carol.got[0].message).toBe("from the worker");
}, 30000);

test("a user whose connection drops briefly gets what was sent meanwhile (recovery)", async () => {
  const dave = await user("dave", 1);
  await api("/notify", { userId: "dave", message: "before" });
  await until(() => dave.got.length === 1, "the first notification");
  const back = new Promise<void>((resolve) => dave.socket.once("connect", () => resolve()));
  dave.socket.io.engine!.close(); // the transport dies; the client reconnects by itself
  // Published while dave is away: the node saw him leave, so it lands in the
  // inbox or in the recovery log; either way he must get it exactly once.
  await api("/notify", { userId: "dave", message: "while away" });
  await back;
  await until(() => dave.got.length === 2, "the missed notification");
  expect(dave.got.map((n) => n.message)).toEqual(["before", "while away"]);
}, 30000);

test("an unauthenticated user is refused with a reason", async () => {
  const socket = io(`http://127.0.0.1:${backend.nodes[0]}`, { forceNew: true, reconnection: false, auth: { token: "mallory.forged" } });
  sockets.push(socket);
  const err = await new Promise<Error & { data?: unknown }>((resolve) => socket.once("connect_error", resolve));
  expect(err.message).toBe("unauthorized");
  expect((err.data as { hint?: string } | undefined)?.hint).toMatch(/token/);
}, 30000);

test("the commands start.js prints work from the repository root, where the README runs it", async () => {
  const printed = hints({ api: backend.api, nodes: backend.nodes, redisUrl: backend.redisUrl });
  const command = (what: RegExp) => printed.find((hint) => what.test(hint.what))!.command;
  const root = join(__dirname, "../..");
  // The listening client, as a user would paste it, in a shell at the root.
  const listener: ChildProcessWithoutNullStreams = spawn("sh", ["-c", `exec ${command(/listen as alice/)}`], { cwd: root });
  let output = "";
  listener.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  listener.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => listener.once("exit", () => resolve()));
  try {
    await until(() => output.includes("connected to node-a"), `the client's "connected" line (got: ${JSON.stringify(output)})`);
    // The curl hint's request, sent with fetch (curl is not on every machine).
    expect(command(/through the API/)).toBe(`curl -s -XPOST http://127.0.0.1:${backend.api}/notify -d '{"userId":"alice","message":"hello"}'`);
    expect((await api("/notify", { userId: "alice", message: "hello" })).delivered).toBe("live");
    await until(() => output.includes("[alice] notification: hello"), "the API's notification in the client's output");
    // redis-cli comes with redis-server, which the backend needs anyway.
    const queued = spawn("sh", ["-c", command(/worker's queue/)], { cwd: root });
    expect(await new Promise<number | null>((resolve) => queued.once("exit", resolve))).toBe(0);
    await until(() => output.includes("[alice] notification: from the worker"), "the worker's notification in the client's output");
  } finally {
    listener.kill("SIGTERM");
    await exited;
  }
}, 30000);
