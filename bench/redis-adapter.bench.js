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
//
// Outage mode: OUTAGE=1 node bench/redis-adapter.bench.js
// Two nodes per side (child processes: this file, forked) each emit
// OUTAGE_RATE broadcasts/s (default 1000) to OUTAGE_CLIENTS clients per node
// (default 3: 3,000 cross-node deliveries/s per direction); after 1 s the
// redis-server is stopped (SIGTERM to its pid) for OUTAGE_SECONDS (default
// 10) and started again on the same port; the nodes keep emitting 2 s more.
// Reported per side, per direction: broadcasts sent, cross-node deliveries
// expected, lost, duplicated, out of order. Sides: "duplex" (this tree's
// dist), "duplex-before" when BEFORE=<another checkout with a built dist>,
// and socket.io + @socket.io/redis-adapter.
"use strict";

const { fork, spawnSync } = require("node:child_process");
const { mkdtempSync, readFileSync, rmSync, existsSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { io: connect } = require("socket.io-client");
const { sleep, withTimeout, freePort, startRedis, median } = require("./support.js");
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

const PHASE_TIMEOUT_MS = 180000;
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
    await withTimeout(Promise.all([a.broadcast(k), all]), `${kind} broadcast`, PHASE_TIMEOUT_MS);
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

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

async function main() {
  console.log(`redis adapter bench: 2 nodes × ${CLIENTS} websocket clients, ${K} broadcasts from node A per round, ${ROUNDS} rounds; node ${process.version}`);
  const redisUrl = await startRedis(cleanups);
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

const entry = process.env.OUTAGE_NODE ? outageNode : process.env.OUTAGE ? outageMain : main;
entry().catch((err) => {
  console.error(err);
  process.exit(1);
});

// ---- outage mode ----

/** A node of the outage run (forked with OUTAGE_NODE=<side>): emits "n" with its sequence number. */
async function outageNode() {
  const side = process.env.OUTAGE_NODE;
  const root = process.env.DUPLEX_ROOT || join(__dirname, "..");
  const pub = createClient({ url: process.env.REDIS_URL });
  const sub = pub.duplicate();
  pub.on("error", () => {});
  sub.on("error", () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = require("node:http").createServer();
  let io;
  const lines = [];
  if (side === "socketio") {
    const { Server } = require("socket.io");
    const { createAdapter } = require("@socket.io/redis-adapter");
    io = new Server(httpServer, { perMessageDeflate: false });
    io.adapter(createAdapter(pub, sub, { key: "outage-socketio" }));
  } else {
    const { Server } = require(join(root, "packages/server/dist/index.js"));
    const { createAdapter } = require(join(root, "packages/redis-adapter/dist/index.js"));
    io = new Server(httpServer, { perMessageDeflate: false, adapter: createAdapter(pub, sub, { key: `outage-${side}`, log: (line) => lines.push(line) }) });
    io.of("/").adapter.on("error", () => {});
  }
  await new Promise((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  let sent = 0;
  let timer;
  process.on("message", async (msg) => {
    if (msg.cmd === "emit") {
      const perTick = msg.rate / 100;
      timer = setInterval(() => {
        for (let i = 0; i < perTick; i++) io.emit("n", process.env.NODE_NAME, sent++);
      }, 10);
    } else if (msg.cmd === "stop") {
      clearInterval(timer);
      const stats = typeof io.of("/").adapter.outageStats === "function" ? io.of("/").adapter.outageStats() : undefined;
      process.send({ id: msg.id, sent, stats, lines });
    } else if (msg.cmd === "state") {
      const adapter = io.of("/").adapter;
      process.send({ id: msg.id, state: typeof adapter.outageStats === "function" ? adapter.outageStats().state : "unknown" });
    } else if (msg.cmd === "servers") {
      process.send({ id: msg.id, servers: await io.of("/").adapter.serverCount() });
    } else if (msg.cmd === "exit") {
      process.exit(0);
    }
  });
  process.send({ cmd: "ready", port: httpServer.address().port });
}

async function outageMain() {
  const RATE = Number(process.env.OUTAGE_RATE || 1000);
  const CLIENTS_PER_NODE = Number(process.env.OUTAGE_CLIENTS || 3);
  const SECONDS = Number(process.env.OUTAGE_SECONDS || 10);
  const sides = process.env.OUTAGE_SIDES ? process.env.OUTAGE_SIDES.split(",") : ["duplex", ...(process.env.BEFORE ? ["duplex-before"] : []), "socketio"];
  console.log(`redis adapter outage: 2 nodes per side, each emitting ${RATE}/s to ${CLIENTS_PER_NODE} clients per node; redis-server stopped (SIGTERM) for ${SECONDS} s; node ${process.version}`);
  const rows = [];
  for (const side of sides) rows.push(await outageRound(side, RATE, CLIENTS_PER_NODE, SECONDS));
  console.log("\n| side | direction | broadcasts sent | cross-node deliveries expected | lost | duplicated | out of order | node survived | adapter report |");
  console.log("|---|---|---:|---:|---:|---:|---:|---|---|");
  for (const r of rows) {
    for (const d of r.directions) {
      // A node that crashed cannot say how many it sent.
      const counts = Number.isNaN(d.sent) ? "— | — | — | — | —" : `${d.sent} | ${d.expected} | ${d.lost} | ${d.duplicated} | ${d.outOfOrder}`;
      console.log(`| ${r.side} | ${d.name} | ${counts} | ${d.survived ? "yes" : "no (crashed)"} | ${d.report} |`);
    }
  }
}

async function startOutageRedis() {
  const dir = mkdtempSync(join(tmpdir(), "duplex-bench-outage-"));
  const port = await freePort();
  const pidfile = join(dir, "redis.pid");
  const server = { url: `redis://127.0.0.1:${port}`, pid: 0 };
  server.start = async () => {
    rmSync(pidfile, { force: true });
    const r = spawnSync("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidfile, "--dir", dir]);
    if (r.status !== 0) throw new Error(`redis-server: ${r.stderr}`);
    for (let i = 0; i < 500 && !existsSync(pidfile); i++) await sleep(10);
    server.pid = Number(readFileSync(pidfile, "utf8"));
  };
  server.stop = async () => {
    try { process.kill(server.pid, "SIGTERM"); } catch { return; }
    for (;;) {
      try { process.kill(server.pid, 0); } catch { return; }
      await sleep(10);
    }
  };
  cleanups.push(() => {
    try { process.kill(server.pid, "SIGTERM"); } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  await server.start();
  return server;
}

async function outageRound(side, rate, clientsPerNode, seconds) {
  const redis = await startOutageRedis();
  const env = (name) => ({
    ...process.env,
    OUTAGE_NODE: side === "duplex-before" ? "duplex" : side,
    NODE_NAME: name,
    REDIS_URL: redis.url,
    ...(side === "duplex-before" ? { DUPLEX_ROOT: process.env.BEFORE } : {}),
  });
  const nodes = [];
  for (const name of ["A", "B"]) {
    const child = fork(__filename, [], { env: env(name), stdio: ["ignore", "inherit", "inherit", "ipc"] });
    cleanups.push(() => child.exitCode === null && child.kill("SIGKILL"));
    const pending = new Map();
    let nextId = 1;
    const port = await withTimeout(new Promise((resolve, reject) => {
      child.on("message", (msg) => {
        if (msg.cmd === "ready") return resolve(msg.port);
        const p = pending.get(msg.id);
        if (p) { pending.delete(msg.id); p(msg); }
      });
      child.once("exit", (code) => reject(new Error(`${side} node exited (${code})`)));
    }), `${side} start`, 20000);
    let exited = false;
    child.once("exit", () => (exited = true));
    const request = (cmd, args = {}) => exited ? Promise.resolve(null) : withTimeout(new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, cmd, ...args });
    }), `${side} ${cmd}`, 10000).catch(() => null);
    nodes.push({ name, url: `http://127.0.0.1:${port}`, child, request, exited: () => exited });
  }
  // Per receiving node: what each client got from the other node.
  const got = { A: [], B: [] };
  const sockets = [];
  for (const node of nodes) {
    for (let i = 0; i < clientsPerNode; i++) {
      const seen = [];
      got[node.name].push(seen);
      const s = connect(node.url, { transports: ["websocket"], forceNew: true, reconnection: false });
      s.on("n", (from, seq) => { if (from !== node.name) seen.push(seq); });
      await new Promise((resolve, reject) => { s.once("connect", resolve); s.once("connect_error", reject); });
      sockets.push(s);
    }
  }
  for (let i = 0; i < 300; i++) {
    const counts = await Promise.all(nodes.map((n) => n.request("servers")));
    if (counts.every((c) => c && c.servers === 2)) break;
    await sleep(20);
  }
  for (const node of nodes) node.child.send({ cmd: "emit", rate });
  await sleep(1000);
  await redis.stop();
  await sleep(seconds * 1000);
  await redis.start();
  await sleep(2000);
  // Duplex: until both nodes sent what they kept (their clients may take a few seconds to reconnect).
  for (let i = 0; i < 150; i++) {
    const states = await Promise.all(nodes.map((n) => n.request("state")));
    if (states.every((st) => !st || st.state !== "down" && st.state !== "reachable")) break;
    await sleep(100);
  }
  const results = {};
  for (const node of nodes) results[node.name] = await node.request("stop");
  // Stragglers: wait until nothing arrives for 1 s (at most 20 s).
  let last = -1;
  for (let i = 0; i < 20; i++) {
    const total = Object.values(got).flat().reduce((sum, seen) => sum + seen.length, 0);
    if (total === last) break;
    last = total;
    await sleep(1000);
  }
  const directions = [];
  for (const [from, to] of [["A", "B"], ["B", "A"]]) {
    const sender = results[from];
    const sent = sender ? sender.sent : NaN;
    let lost = 0, duplicated = 0, outOfOrder = 0;
    for (const seen of got[to]) {
      const unique = new Set(seen);
      duplicated += seen.length - unique.size;
      const missing = [];
      for (let i = 0; i < sent; i++) if (!unique.has(i)) { lost++; if (missing.length === 0 || missing[missing.length - 1][1] !== i - 1) missing.push([i, i]); else missing[missing.length - 1][1] = i; }
      if (process.env.OUTAGE_VERBOSE && missing.length > 0) console.log(`    ${side} ${from} → ${to}: missing ${missing.slice(0, 5).map(([x, y]) => `${x}-${y}`).join(", ")}${missing.length > 5 ? ", …" : ""}`);
      for (let i = 1; i < seen.length; i++) if (seen[i] <= seen[i - 1]) outOfOrder++;
    }
    const stats = sender && sender.stats;
    const report = stats && stats.lastOutage ? `${stats.lastOutage.sent} kept and sent, ${stats.lastOutage.dropped} dropped` : (sender && sender.lines.length ? sender.lines.length + " log lines" : "none");
    directions.push({ name: `${from} → ${to}`, sent, expected: sent * clientsPerNode, lost, duplicated, outOfOrder, survived: !nodes.find((n) => n.name === from).exited(), report });
  }
  for (const s of sockets) s.disconnect();
  for (const node of nodes) if (!node.exited()) node.child.send({ cmd: "exit" });
  await sleep(200);
  await redis.stop();
  for (const d of directions) console.log(`  ${side.padEnd(14)} ${d.name}: sent ${d.sent}, expected ${d.expected}, lost ${d.lost}, duplicated ${d.duplicated}, out of order ${d.outOfOrder}, survived ${d.survived}`);
  return { side, directions };
}
