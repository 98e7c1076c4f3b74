import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSync } from "esbuild";
import { io, type Socket } from "@duplex/client";
import type { StormStats } from "./fixtures/storm-server";

/**
 * A reconnection storm: CLIENTS clients (most websocket-only, some with the
 * default transports) are connected to a Duplex server in a child process;
 * the server is SIGKILLed and, DOWNTIME ms later, started again on the same
 * port. Every client must come back; none may send the restarted server (or
 * the dead one) a diagnostic polling request, nor be told that a proxy
 * blocks WebSocket; and the reconnection attempts must stay spread over the
 * window by the backoff's jitter rather than arrive in waves.
 */
jest.setTimeout(60_000);

const WEBSOCKET_ONLY = 400;
const DEFAULT_TRANSPORTS = 100;
const CLIENTS = WEBSOCKET_ONLY + DEFAULT_TRANSPORTS;
const DOWNTIME = 2000;
const BUCKET = 250;
/** No 250 ms bucket may hold more than this share of the attempts. */
const MAX_BUCKET_SHARE = 0.35;
/** The backoff of socket.io-client's defaults, scaled down: 200 ms doubling up to 1.5 s, jitter 0.5 (the default). */
const RECONNECT = { reconnectionDelay: 200, reconnectionDelayMax: 1500 };

const ROOT = resolve(__dirname, "../../..");
let buildDir: string;
let serverFile: string;
const servers: ChildProcess[] = [];
const sockets: Socket[] = [];
const realFetch = globalThis.fetch;
/** Polling requests the websocket-only clients started (each one a diagnosis), whether or not a server answered. */
let diagnosticFetches = 0;

beforeAll(() => {
  buildDir = mkdtempSync(join(tmpdir(), "duplex-storm-"));
  serverFile = join(buildDir, "storm-server.js");
  // The server from source, as the tests import it, bundled for a plain `node` process.
  buildSync({
    entryPoints: [join(__dirname, "fixtures/storm-server.ts")],
    outfile: serverFile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "error",
    external: ["bufferutil", "utf-8-validate"],
    alias: {
      "@duplex/engine": join(ROOT, "packages/engine/src/index.ts"),
      "@duplex/protocol": join(ROOT, "packages/protocol/src/index.ts"),
      "@duplex/server": join(ROOT, "packages/server/src/index.ts"),
    },
    nodePaths: [join(ROOT, "packages/engine/node_modules"), join(ROOT, "packages/server/node_modules"), join(ROOT, "node_modules")],
  });
  globalThis.fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.includes("kind=ws") && url.includes("transport=polling")) diagnosticFetches++;
    return realFetch(input, init);
  };
});

afterAll(async () => {
  globalThis.fetch = realFetch;
  for (const socket of sockets) socket.disconnect();
  for (const child of servers) await kill(child);
  rmSync(buildDir, { recursive: true, force: true });
});

/** Starts the server process on `port` (0: a free one); resolves once it listens. */
function startServer(port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(serverFile, [], { env: { ...process.env, STORM_PORT: String(port) }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  servers.push(child);
  return new Promise((resolveStart, reject) => {
    child.once("exit", (code, signal) => reject(new Error(`server exited (${code ?? signal}) before it listened`)));
    child.on("message", (message: { ready?: boolean; port?: number }) => {
      if (message.ready) resolveStart({ child, port: message.port! });
    });
  });
}

function stats(child: ChildProcess): Promise<StormStats> {
  return new Promise((resolveStats) => {
    const onMessage = (message: { stats?: StormStats }) => {
      if (!message.stats) return;
      child.off("message", onMessage);
      resolveStats(message.stats);
    };
    child.on("message", onMessage);
    child.send("stats");
  });
}

/** SIGKILL by pid (the ChildProcess handle), and wait for the exit. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolveExit) => child.once("exit", resolveExit));
  child.kill("SIGKILL");
  await exited;
}

function connectedOnce(socket: Socket): Promise<void> {
  return new Promise((resolveConnect) => socket.once("connect", () => resolveConnect()));
}

/** The histogram of `times` (ms) in BUCKET ms buckets from 0 to `end`, as rows of a text table. */
function histogram(times: number[], end: number): { counts: number[]; table: string } {
  const counts = new Array<number>(Math.ceil(end / BUCKET)).fill(0);
  for (const t of times) counts[Math.min(Math.floor(t / BUCKET), counts.length - 1)]++;
  const widest = Math.max(...counts);
  const rows = counts.map((count, i) => {
    const from = String(i * BUCKET).padStart(5);
    const to = String((i + 1) * BUCKET).padStart(5);
    const share = ((100 * count) / times.length).toFixed(1).padStart(5);
    return `${from}-${to} ms | ${String(count).padStart(5)} | ${share}% | ${"#".repeat(Math.round((40 * count) / widest))}`;
  });
  return { counts, table: ["   window ms   | tries |  share |", ...rows].join("\n") };
}

test(`${CLIENTS} clients ride out a SIGKILL and restart of their server: no diagnostic request, no "proxy", attempts spread by jitter`, async () => {
  const first = await startServer(0);
  const url = `http://127.0.0.1:${first.port}`;
  for (let i = 0; i < CLIENTS; i++) {
    const websocketOnly = i < WEBSOCKET_ONLY;
    const socket = io(url, {
      ...RECONNECT,
      forceNew: true,
      transports: websocketOnly ? ["websocket"] : ["polling", "websocket"],
      query: { kind: websocketOnly ? "ws" : "default", n: String(i) },
    });
    sockets.push(socket);
  }
  await Promise.all(sockets.map(connectedOnce));
  expect((await stats(first.child)).connections).toBe(CLIENTS);

  // What every client goes through from the kill on.
  const attempts: number[] = [];
  const errors: string[] = [];
  let killedAt = 0;
  for (const socket of sockets) {
    socket.io.on("reconnect_attempt", () => attempts.push(Date.now() - killedAt));
    socket.on("connect_error", (err) => errors.push(err.message));
  }
  const disconnected = Promise.all(sockets.map((socket) => new Promise((r) => socket.once("disconnect", r))));
  const reconnected = Promise.all(sockets.map(connectedOnce));

  killedAt = Date.now();
  await kill(first.child);
  await disconnected;
  await new Promise((r) => setTimeout(r, DOWNTIME - (Date.now() - killedAt)));
  const second = await startServer(first.port);
  const restartedAt = Date.now() - killedAt;
  await reconnected;
  const allBackAt = Date.now() - killedAt;
  const restarted = await stats(second.child);

  const { counts, table } = histogram(attempts, allBackAt);
  const proxyMessages = errors.filter((message) => /proxy/i.test(message)).length;
  const unreachable = errors.filter((message) => /could not be reached/.test(message)).length;
  // eslint-disable-next-line no-console
  console.log(
    [
      `${CLIENTS} clients (${WEBSOCKET_ONLY} websocket-only, ${DEFAULT_TRANSPORTS} default transports), server SIGKILLed at 0, restarted (listening) at ${restartedAt} ms, all reconnected at ${allBackAt} ms`,
      `at the restarted server: ${restarted.requests} HTTP requests, ${restarted.upgrades} WebSocket upgrades, polling handshakes ${JSON.stringify(restarted.pollingHandshakes)}, ${restarted.connections} connections`,
      `diagnostic polling requests started by websocket-only clients: ${diagnosticFetches}`,
      `connect_error: ${errors.length} (${unreachable} "could not be reached", ${proxyMessages} "proxy")`,
      `reconnection attempts: ${attempts.length}, per ${BUCKET} ms:`,
      table,
    ].join("\n"),
  );

  expect(restarted.connections).toBe(CLIENTS);
  // One endpoint here: at most one diagnosis, and none at all since WebSocket worked there before.
  expect(diagnosticFetches).toBeLessThanOrEqual(1);
  expect(restarted.pollingHandshakes.ws ?? 0).toBeLessThanOrEqual(1);
  // A default-transports client opens its session with one polling handshake; a diagnosis would add another.
  expect(restarted.pollingHandshakes.default ?? 0).toBeLessThanOrEqual(DEFAULT_TRANSPORTS + 1);
  expect(proxyMessages).toBe(0);
  expect(unreachable).toBe(errors.length);
  // The attempts are spread: no 250 ms bucket holds more than MAX_BUCKET_SHARE of them.
  expect(attempts.length).toBeGreaterThanOrEqual(2 * CLIENTS);
  expect(Math.max(...counts)).toBeLessThanOrEqual(MAX_BUCKET_SHARE * attempts.length);
  // The whole storm, restart included, settles well within the test's budget.
  expect(allBackAt).toBeLessThan(15_000);
});
