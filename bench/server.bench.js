// @duplex/server against the socket.io 4.8 server and a bare `ws` server that
// speaks the protocol by hand (servers/raw-ws.js, the floor), all driven by the
// official socket.io-client over websocket in the same run. Each server runs in its own
// child process (bench/servers/server.js, started with --expose-gc); this
// process is the client and asks the child over IPC for process.cpuUsage()
// and, after a forced gc, process.memoryUsage() (rss, heapUsed) before and after each
// phase. Only the server's CPU and memory are compared, never the client's.
//
// Scenarios (each a fresh child per round; the servers take turns, which one
// goes first rotating from round to round, and the table reports medians):
//   echo       50 clients, 16 emits-with-ack in flight each, ECHO_ACKS acks:
//              server CPU per ack
//   broadcast  2000 clients, K io.emit("news") calls, one per event-loop turn,
//              until every client got all K: server CPU / (K × 2000)
//   broadcast10  the same with ten io.emit calls per event-loop turn
//   connection N clients connecting, 50 at a time, until "connect":
//              server CPU / N
//   memory     5000 idle clients: (RSS after gc − RSS before connecting, after
//              gc) / 5000, and the same for heapUsed
// Each CPU phase is preceded by an unmeasured warm-up in the same child.
//
// Usage: npx tsc -b && node bench/run.js server        (or: pnpm bench server)
//   BENCH_SCALE=0.2   scales every count down (quick run)
//   ROUNDS=5          rounds per scenario
//   SCENARIOS=echo,broadcast   subset
//   SERVERS=duplex    subset (e.g. with CPU_PROF); default duplex,socketio,ws
//   BCAST_BATCH=n     io.emit calls per turn in the "broadcast" scenario (default 1)
//   CPU_PROF=dir      writes a V8 CPU profile of each measured CPU phase to
//                     dir/<server>-<scenario>-<round>.cpuprofile; summarise with
//                     node bench/servers/profile-top.js <file> (figures taken
//                     while profiling are inflated: profile, don't compare)
"use strict";
const { median } = require("./support.js");
const { fork } = require("node:child_process");
const { join } = require("node:path");
const { io: connect } = require("socket.io-client");

const SCALE = Number(process.env.BENCH_SCALE || 1);
const ROUNDS = Number(process.env.ROUNDS || 5);
const scaled = (n, min = 1) => Math.max(min, Math.round(n * SCALE));

const ECHO_CLIENTS = 50;
const ECHO_IN_FLIGHT = 16;
const ECHO_ACKS = scaled(50000, 1000);
const BCAST_CLIENTS = scaled(2000, 50);
const BCAST_K = scaled(100, 10);
const BCAST_BATCH = Number(process.env.BCAST_BATCH || 1); // io.emit calls per event-loop turn in "broadcast"
const CONN_N = scaled(1000, 50);
const CONN_WINDOW = 50;
const MEM_CLIENTS = scaled(5000, 100);
const PHASE_TIMEOUT_MS = 120000;

const ECHO_PAYLOAD = { user: "alice", room: "general", text: "hello world, how are you?", ts: 1700000000000 };
const NEWS_PAYLOAD = { id: 42, title: "breaking", body: "small news item" };

const SERVERS = (process.env.SERVERS || "duplex,socketio,ws").split(",");
const LABEL = { duplex: "duplex", socketio: "socket.io", ws: "ws" };
const ALL_SCENARIOS = ["echo", "broadcast", "broadcast10", "connection", "memory"];
const SCENARIOS = (process.env.SCENARIOS || ALL_SCENARIOS.join(",")).split(",");
for (const s of SCENARIOS) if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}`);

// ---------------------------------------------------------------- children

const children = new Set();
const liveClients = new Set();

function killAll() {
  for (const s of liveClients) s.disconnect();
  liveClients.clear();
  for (const c of children) c.kill("SIGKILL");
  children.clear();
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { killAll(); process.exit(130); });

function withTimeout(promise, what, ms = PHASE_TIMEOUT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

async function startServer(kind, tag) {
  const execArgv = ["--expose-gc"];
  const child = fork(join(__dirname, "servers", "server.js"), [kind], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.add(child);
  const pending = new Map();
  let nextId = 1;
  let port;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await withTimeout(new Promise((resolve, reject) => {
    child.on("message", (msg) => {
      if (msg.cmd === "ready") { port = msg.port; resolve(); return; }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error)); else p.resolve(msg);
    });
    child.once("exit", (code, signal) => {
      const err = new Error(`${kind} server exited (${code ?? signal})`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
  }), `${kind} server start`, 20000);
  const request = (cmd, args = {}) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    child.send({ id, cmd, ...args });
  });
  return {
    kind,
    url: `http://127.0.0.1:${port}`,
    /** Server stats at the start of a measured phase (starts the profiler if CPU_PROF). */
    async begin() {
      const st = await request("stats", { gc: true });
      if (process.env.CPU_PROF) await request("profile", { start: true });
      return st;
    },
    /** Server stats at the end of a measured CPU phase. */
    async end() {
      const st = await request("stats", { gc: false });
      if (process.env.CPU_PROF) await request("profile", { start: false, file: join(process.env.CPU_PROF, `${tag}.cpuprofile`) });
      return st;
    },
    stats: (gc = false) => request("stats", { gc }),
    broadcast: (k, batch) => request("broadcast", { k, payload: NEWS_PAYLOAD, batch }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ cmd: "exit" });
        await withTimeout(exited, `${kind} server exit`, 10000).catch(() => child.kill("SIGKILL"));
      }
      children.delete(child);
    },
  };
}

// ---------------------------------------------------------------- clients

function connectOne(url, setup) {
  return new Promise((resolve, reject) => {
    const s = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
    liveClients.add(s);
    if (setup) setup(s);
    s.once("connect", () => resolve(s));
    s.once("connect_error", (err) => reject(err));
  });
}

/** Connects n clients, at most `window` handshakes in flight at a time. */
async function connectMany(url, n, window, setup) {
  const sockets = [];
  let started = 0;
  const worker = async () => {
    while (started < n) {
      started++;
      sockets.push(await connectOne(url, setup));
    }
  };
  await withTimeout(Promise.all(Array.from({ length: Math.min(window, n) }, worker)), `connecting ${n} clients`);
  return sockets;
}

/** Closes the clients and waits until the server has let go of every socket. */
async function closeAll(server, sockets) {
  for (const s of sockets) { s.disconnect(); liveClients.delete(s); }
  const deadline = Date.now() + 30000;
  while ((await server.stats()).sockets > 0) {
    if (Date.now() > deadline) throw new Error(`${server.kind}: sockets still open after the clients closed`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------- scenarios

/** Runs `total` acks with ECHO_IN_FLIGHT outstanding per client. */
function echoLoad(sockets, total) {
  return new Promise((resolve, reject) => {
    let issued = 0;
    let done = 0;
    const pump = (s) => {
      if (issued >= total) return;
      issued++;
      s.emit("echo", ECHO_PAYLOAD, (reply) => {
        if (!reply || reply.ts !== ECHO_PAYLOAD.ts) { reject(new Error("bad echo")); return; }
        if (++done === total) resolve();
        else pump(s);
      });
    };
    for (let i = 0; i < ECHO_IN_FLIGHT; i++) for (const s of sockets) pump(s);
  });
}

/** Share of the phase's CPU spent in the kernel (syscalls: mostly socket writes). */
const sysShare = (before, after) => `${Math.round((100 * (after.sys - before.sys)) / (after.cpu - before.cpu))}% system`;

/** K io.emit calls to every client, `batch` of them per event-loop turn of the server. */
function broadcastScenario(batch) {
  return {
    unit: `µs CPU / delivery`,
    async run(server) {
      let received = 0;
      let target = 0;
      let onAll = null;
      const counts = new Map();
      const setup = (s) => {
        counts.set(s, 0);
        s.on("news", () => {
          counts.set(s, counts.get(s) + 1);
          if (++received === target && onAll) onAll();
        });
      };
      const sockets = await connectMany(server.url, BCAST_CLIENTS, CONN_WINDOW, setup);
      const round = async (k, what) => {
        received = 0;
        target = k * sockets.length;
        for (const s of sockets) counts.set(s, 0);
        const all = new Promise((resolve) => { onAll = resolve; });
        await withTimeout(Promise.all([server.broadcast(k, batch), all]), what);
        for (const s of sockets) if (counts.get(s) !== k) throw new Error(`a client got ${counts.get(s)} of ${k}`);
      };
      await round(Math.max(2, Math.round(BCAST_K / 5)), "broadcast warm-up");
      const before = await server.begin();
      await round(BCAST_K, "broadcast");
      const after = await server.end();
      await closeAll(server, sockets);
      return { value: (after.cpu - before.cpu) / (BCAST_K * sockets.length), extra: sysShare(before, after) };
    },
  };
}

const scenarios = {
  echo: {
    unit: "µs CPU / ack",
    async run(server) {
      const sockets = await connectMany(server.url, ECHO_CLIENTS, CONN_WINDOW);
      await withTimeout(echoLoad(sockets, Math.round(ECHO_ACKS / 5)), "echo warm-up");
      const before = await server.begin();
      await withTimeout(echoLoad(sockets, ECHO_ACKS), "echo");
      const after = await server.end();
      await closeAll(server, sockets);
      return { value: (after.cpu - before.cpu) / ECHO_ACKS, extra: sysShare(before, after) };
    },
  },
  broadcast: broadcastScenario(BCAST_BATCH),
  broadcast10: broadcastScenario(10),
  connection: {
    unit: "µs CPU / connection",
    async run(server) {
      const warm = await connectMany(server.url, Math.min(200, CONN_N), CONN_WINDOW);
      await closeAll(server, warm);
      const before = await server.begin();
      const sockets = await connectMany(server.url, CONN_N, CONN_WINDOW);
      const after = await server.end();
      await closeAll(server, sockets);
      return { value: (after.cpu - before.cpu) / CONN_N, extra: sysShare(before, after) };
    },
  },
  memory: {
    unit: "KB RSS / idle connection",
    also: { heap: "KB heapUsed / idle connection" },
    async run(server) {
      // A few connections first so that lazily loaded code and one-off
      // structures are not charged to the idle connections.
      const warm = await connectMany(server.url, 50, CONN_WINDOW);
      await closeAll(server, warm);
      const before = await server.stats(true);
      const sockets = await connectMany(server.url, MEM_CLIENTS, CONN_WINDOW * 2);
      await new Promise((r) => setTimeout(r, 500)); // let the handshakes settle
      const after = await server.stats(true);
      if (after.sockets !== MEM_CLIENTS) throw new Error(`${server.kind}: ${after.sockets} of ${MEM_CLIENTS} sockets open`);
      await closeAll(server, sockets);
      const heap = (after.heapUsed - before.heapUsed) / 1024 / MEM_CLIENTS;
      return {
        value: (after.rss - before.rss) / 1024 / MEM_CLIENTS,
        extra: `heap ${heap.toFixed(2)} KB`,
        also: { heap },
      };
    },
  },
};

/** Targets for Duplex / socket.io, per row of the table. */
const GOALS = { echo: 0.65, broadcast: 0.6, broadcast10: 0.15, connection: 0.65, memory: 0.65, "memory heap": 0.5 };

// ---------------------------------------------------------------- main

const fmt = (x) => (Number.isNaN(x) ? "-" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a, b) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : "-");

/** The servers in a different order each round, so none always goes first. */
const rotated = (r) => SERVERS.map((_, i) => SERVERS[(i + r) % SERVERS.length]);

async function main() {
  console.log(
    `server bench: scale ${SCALE}, ${ROUNDS} rounds; echo ${ECHO_CLIENTS}×${ECHO_IN_FLIGHT} in flight, ${ECHO_ACKS} acks; ` +
    `broadcast ${BCAST_CLIENTS} clients × ${BCAST_K}; connection ${CONN_N}; memory ${MEM_CLIENTS} idle; node ${process.version}`,
  );
  const rows = [];
  for (const name of SCENARIOS) {
    const sc = scenarios[name];
    const results = Object.fromEntries(SERVERS.map((k) => [k, []]));
    const also = Object.fromEntries(Object.keys(sc.also ?? {}).map((key) => [key, Object.fromEntries(SERVERS.map((k) => [k, []]))]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of rotated(r)) {
        const t0 = Date.now();
        const server = await startServer(kind, `${kind}-${name}-${r + 1}`);
        try {
          const res = await sc.run(server);
          results[kind].push(res.value);
          for (const key of Object.keys(also)) also[key][kind].push(res.also[key]);
          console.log(
            `  ${name.padEnd(11)} round ${r + 1} ${LABEL[kind].padEnd(9)} ${fmt(res.value).padStart(8)} ${sc.unit}` +
            `${res.extra ? ` (${res.extra})` : ""}  [${((Date.now() - t0) / 1000).toFixed(1)} s]`,
          );
        } finally {
          await server.stop();
        }
      }
    }
    const medians = (byServer) => Object.fromEntries(Object.entries(byServer).map(([k, xs]) => [k, xs.length ? median(xs) : NaN]));
    rows.push({ name, unit: sc.unit, m: medians(results) });
    for (const key of Object.keys(also)) rows.push({ name: `${name} ${key}`, unit: sc.also[key], m: medians(also[key]) });
  }

  console.log("");
  const header = ["scenario", "duplex", "socket.io", "ws", "duplex / socket.io", "ws / socket.io", "goal", ""];
  const lines = rows.map(({ name, unit, m }) => {
    const r = m.duplex / m.socketio;
    const goal = GOALS[name];
    return [
      `${name} (${unit})`,
      fmt(m.duplex ?? NaN),
      fmt(m.socketio ?? NaN),
      fmt(m.ws ?? NaN),
      ratio(m.duplex, m.socketio),
      ratio(m.ws, m.socketio),
      goal === undefined ? "" : `≤ ${goal}`,
      goal === undefined || !Number.isFinite(r) ? "" : r <= goal ? "met" : "NOT met",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const out = (cells) => console.log(`| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`);
  out(header);
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const l of lines) out(l);
  console.log("medians of the rounds; ratios of medians of the same run (lower is better)");
}

main().then(
  () => { killAll(); process.exit(0); },
  (err) => { console.error(err); killAll(); process.exit(1); },
);
