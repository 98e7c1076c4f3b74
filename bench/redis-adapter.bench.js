// @duplex/redis-adapter against @socket.io/redis-adapter 8.3, each under its
// own server (Duplex / socket.io 4.8), in the same run. Two server nodes per
// side (child processes: bench/servers/redis-node.js) share a redis-server this
// bench starts on a free port; CLIENTS clients connect to each node over
// websocket (socket.io-client 4.8.4, in this process); node A makes K
// io.emit("news") calls; the phase ends when every client on both nodes got
// all K. Reported, median of ROUNDS rounds (sides alternate, order too):
//   deliveries/s            K × all clients / wall time of the phase
//   µs server CPU/delivery  (CPU of A + CPU of B) / (K × all clients)
//   redis msgs/broadcast    PUBLISH + SPUBLISH calls during the phase / K
// Goal: Duplex's server CPU per delivery ≤ 0.6 × socket.io's.
//
// Usage: npx tsc -b && node bench/run.js redis-adapter
//   BENCH_SCALE=0.1   fewer clients and broadcasts (smoke test only)
//   ROUNDS=3
"use strict";
const { fork, spawnSync } = require("node:child_process");
const { mkdtempSync, readFileSync, rmSync, existsSync } = require("node:fs");
const { createServer, connect: tcpConnect } = require("node:net");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { io: connect } = require("socket.io-client");
const { createClient } = require(join(__dirname, "../packages/redis-adapter/node_modules/redis"));

const SCALE = Number(process.env.BENCH_SCALE || 1);
const ROUNDS = Number(process.env.ROUNDS || 3);
const CLIENTS = Math.max(20, Math.round(2000 * SCALE)); // per node
const K = Math.max(10, Math.round(100 * SCALE));
const WINDOW = 100;
const PAYLOAD = { id: 42, title: "breaking", body: "small news item" };
const SIDES = ["duplex", "socketio"];
const LABEL = { duplex: "duplex + @duplex/redis-adapter", socketio: "socket.io + @socket.io/redis-adapter" };

const cleanups = [];
process.on("exit", () => cleanups.splice(0).reverse().forEach((f) => f()));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function withTimeout(p, what, ms = 180000) {
  let t;
  return Promise.race([p, new Promise((_, rej) => (t = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms)))]).finally(() => clearTimeout(t));
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), "duplex-bench-redis-"));
  const port = await freePort();
  const pidfile = join(dir, "redis.pid");
  const r = spawnSync("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidfile, "--dir", dir]);
  if (r.status !== 0) throw new Error(`redis-server: ${r.stderr}`);
  for (let i = 0; i < 500 && !existsSync(pidfile); i++) await sleep(10);
  const pid = Number(readFileSync(pidfile, "utf8"));
  cleanups.push(() => {
    try { process.kill(pid, "SIGTERM"); } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  return `redis://127.0.0.1:${port}`;
}

async function startNode(kind, redisUrl) {
  const child = fork(join(__dirname, "servers", "redis-node.js"), [kind, redisUrl], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const kill = () => child.exitCode === null && child.kill("SIGKILL");
  cleanups.push(kill);
  const pending = new Map();
  let nextId = 1;
  const port = await withTimeout(new Promise((resolve, reject) => {
    child.on("message", (msg) => {
      if (msg.cmd === "ready") return resolve(msg.port);
      const p = pending.get(msg.id);
      if (p) { pending.delete(msg.id); p(msg); }
    });
    child.once("exit", (code) => reject(new Error(`${kind} node exited (${code})`)));
  }), `${kind} start`, 20000);
  const request = (cmd, args = {}) => new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    child.send({ id, cmd, ...args });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => request("stats"),
    broadcast: (k) => request("broadcast", { k, payload: PAYLOAD }),
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.send({ cmd: "exit" });
      await withTimeout(exited, "exit", 10000).catch(kill);
    },
  };
}

async function connectMany(url, n, onNews) {
  const sockets = [];
  for (let i = 0; i < n; i += WINDOW) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + WINDOW); j++) {
      batch.push(new Promise((resolve, reject) => {
        const s = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
        s.on("news", onNews);
        s.once("connect", () => resolve(s));
        s.once("connect_error", reject);
      }));
    }
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

async function publishCalls(admin) {
  const info = await admin.info("commandstats");
  let calls = 0;
  for (const m of info.matchAll(/cmdstat_(?:publish|spublish):calls=(\d+)/g)) calls += Number(m[1]);
  return calls;
}

async function round(kind, redisUrl, admin) {
  const [a, b] = await Promise.all([startNode(kind, redisUrl), startNode(kind, redisUrl)]);
  let received = 0;
  let target = 0;
  let onAll = null;
  const onNews = () => { if (++received === target && onAll) onAll(); };
  const sockets = [...(await connectMany(a.url, CLIENTS, onNews)), ...(await connectMany(b.url, CLIENTS, onNews))];
  for (let i = 0; (await a.stats()).servers < 2 || (await b.stats()).servers < 2; i++) {
    if (i > 500) throw new Error(`${kind}: the nodes do not see each other`);
    await sleep(20);
  }
  const phase = async (k) => {
    received = 0;
    target = k * sockets.length;
    const all = new Promise((r) => (onAll = r));
    await withTimeout(Promise.all([a.broadcast(k), all]), `${kind} broadcast`);
  };
  await phase(Math.max(2, Math.round(K / 5))); // warm-up
  const [a0, b0, p0] = [await a.stats(), await b.stats(), await publishCalls(admin)];
  const t0 = process.hrtime.bigint();
  await phase(K);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const [a1, b1, p1] = [await a.stats(), await b.stats(), await publishCalls(admin)];
  for (const s of sockets) s.disconnect();
  await Promise.all([a.stop(), b.stop()]);
  const deliveries = K * sockets.length;
  return {
    perSec: deliveries / wall,
    cpu: (a1.cpu - a0.cpu + (b1.cpu - b0.cpu)) / deliveries,
    cpuA: (a1.cpu - a0.cpu) / (K * CLIENTS),
    cpuB: (b1.cpu - b0.cpu) / (K * CLIENTS),
    msgs: (p1 - p0) / K,
  };
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

async function main() {
  console.log(`redis adapter bench: 2 nodes × ${CLIENTS} websocket clients, ${K} broadcasts from node A per round, ${ROUNDS} rounds; node ${process.version}`);
  const redisUrl = await startRedis();
  const admin = createClient({ url: redisUrl });
  await admin.connect();
  const results = Object.fromEntries(SIDES.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of r % 2 === 0 ? SIDES : [...SIDES].reverse()) {
      const res = await round(kind, redisUrl, admin);
      results[kind].push(res);
      console.log(
        `  round ${r + 1} ${kind.padEnd(8)} ${fmt(res.perSec).padStart(8)} deliveries/s  ${fmt(res.cpu).padStart(6)} µs CPU/delivery ` +
        `(A ${fmt(res.cpuA)}, B ${fmt(res.cpuB)})  ${res.msgs.toFixed(2)} redis msgs/broadcast`,
      );
    }
  }
  await admin.quit();
  const row = (kind) => {
    const rs = results[kind];
    return { perSec: median(rs.map((x) => x.perSec)), cpu: median(rs.map((x) => x.cpu)), cpuB: median(rs.map((x) => x.cpuB)), msgs: median(rs.map((x) => x.msgs)) };
  };
  const d = row("duplex");
  const s = row("socketio");
  console.log("\n| side | deliveries/s | µs server CPU / delivery | µs CPU / delivery on the receiving node | Redis msgs / broadcast |");
  console.log("|---|---:|---:|---:|---:|");
  for (const [kind, x] of [["duplex", d], ["socketio", s]]) console.log(`| ${LABEL[kind]} | ${fmt(x.perSec)} | ${fmt(x.cpu)} | ${fmt(x.cpuB)} | ${x.msgs.toFixed(2)} |`);
  const ratio = d.cpu / s.cpu;
  console.log(`\nCPU per delivery, duplex / socket.io: ${ratio.toFixed(2)} (goal ≤ 0.60: ${ratio <= 0.6 ? "met" : "NOT met"})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
