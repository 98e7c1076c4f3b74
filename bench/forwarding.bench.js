// Long-polling behind nginx: what forwardRequests costs. Three server nodes
// (child processes: bench/servers/forwarding-node.js) share a redis-server
// this bench starts; nginx (started here, every path in a temp dir) sits in
// front, either sticky (ip_hash: every bench client comes from 127.0.0.1, so
// all land on one node, each request on the node holding its session) or
// plain round-robin (each request on the next node; Duplex forwards the
// ones for another node's session). CLIENTS socket.io-client 4.8.4 clients
// on polling only each make ACKS sequential acked emits ("echo"): one POST
// carries the emit, the pending GET brings the ack back. Reported per setup
// (in one run, rounds alternate the order), over all rounds (CPU: median of
// the rounds). Few clients, so that the figures show the hops, not a 2-core
// machine's queue:
//   ack round trip p50 / p99 (ms)     client emit → ack received
//   µs server CPU / message           CPU of the three nodes during the phase / acked emits
//   Redis commands / message         every command Redis ran during the phase / acked emits
//   Redis bytes / message            Redis network bytes in + out during the phase / acked emits
// Then the hop alone: noop POSTs to the node holding the session and to one
// that forwards them, without nginx or a client library, p50 / p99.
// The forwarding adds no Redis traffic per message: nodes announce their
// address once per heartbeatInterval (5 s), a few dozen bytes.
//
// Usage: npx tsc -b && node bench/run.js forwarding
//   BENCH_SCALE=0.2   fewer clients and emits (smoke test only)
//   ROUNDS=3
"use strict";
const { fork, spawn, spawnSync } = require("node:child_process");
const { mkdtempSync, rmSync, writeFileSync } = require("node:fs");
const { connect: tcpConnect } = require("node:net");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { io: connect } = require("socket.io-client");
const { sleep, withTimeout, freePort, startRedis, median } = require("./support.js");
const { createClient } = require(join(__dirname, "../packages/redis-adapter/node_modules/redis"));

const SCALE = Number(process.env.BENCH_SCALE || 1);
const ROUNDS = Number(process.env.ROUNDS || 3);
const CLIENTS = Math.max(4, Math.round(10 * SCALE));
const ACKS = Math.max(30, Math.round(300 * SCALE));
const SETUPS = [
  { name: "duplex-sticky", server: "duplex", balance: "ip_hash;", label: "Duplex, nginx ip_hash (sticky)" },
  { name: "duplex-forward", server: "duplex-forward", balance: "", label: "Duplex + forwardRequests, nginx round-robin" },
  { name: "socketio-sticky", server: "socketio", balance: "ip_hash;", label: "socket.io 4.8, nginx ip_hash (sticky)" },
];

const cleanups = [];
process.on("exit", () => cleanups.splice(0).reverse().forEach((f) => f()));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

const PHASE_TIMEOUT_MS = 120000;
async function accepting(port) {
  for (let i = 0; i < 500; i++) {
    const ok = await new Promise((resolve) => {
      const s = tcpConnect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`nothing listens on ${port}`);
}

function nginxBinary() {
  for (const candidate of ["/usr/sbin/nginx", "/usr/bin/nginx"]) if (spawnSync(candidate, ["-v"]).status === 0) return candidate;
  throw new Error("nginx not found: apt-get install -y nginx");
}

async function startNginx(listen, ports, balance) {
  const dir = mkdtempSync(join(tmpdir(), "duplex-bench-nginx-"));
  writeFileSync(join(dir, "nginx.conf"), `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream nodes {
    ${balance}
${ports.map((p) => `    server 127.0.0.1:${p};`).join("\n")}
  }
  server {
    listen 127.0.0.1:${listen};
    location /socket.io/ {
      proxy_pass http://nodes;
      proxy_next_upstream off;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_read_timeout 60s;
    }
  }
}
`);
  const child = spawn(nginxBinary(), ["-c", join(dir, "nginx.conf"), "-p", `${dir}/`, "-e", join(dir, "error.log"), "-g", "daemon off;"], { stdio: "ignore" });
  const stop = () => {
    if (child.exitCode === null) child.kill("SIGQUIT");
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  await accepting(listen);
  return { stop };
}

async function startNode(kind, redisUrl, port) {
  const child = fork(join(__dirname, "servers", "forwarding-node.js"), [kind, redisUrl, String(port)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const kill = () => child.exitCode === null && child.kill("SIGKILL");
  cleanups.push(kill);
  await withTimeout(new Promise((resolve, reject) => {
    child.on("message", (msg) => msg.cmd === "ready" && resolve());
    child.once("exit", (code) => reject(new Error(`${kind} node exited (${code})`)));
  }), `${kind} start`, 20000);
  return {
    cpu() {
      return new Promise((resolve) => {
        child.once("message", (msg) => resolve(msg.cpu));
        child.send({ cmd: "cpu" });
      });
    },
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.send({ cmd: "exit" });
      await withTimeout(exited, "exit", 10000).catch(kill);
    },
  };
}

async function redisCounters(admin) {
  const commands = await admin.info("commandstats");
  let calls = 0;
  for (const m of commands.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) if (m[1] !== "info") calls += Number(m[2]);
  const stats = await admin.info("stats");
  const bytes = Number(/total_net_input_bytes:(\d+)/.exec(stats)[1]) + Number(/total_net_output_bytes:(\d+)/.exec(stats)[1]);
  return { calls, bytes };
}

/** The bytes that reading the counters itself moves (the INFO answers), to take off the phase's figure. */
async function counterOverhead(admin) {
  const a = await redisCounters(admin);
  const b = await redisCounters(admin);
  return b.bytes - a.bytes;
}

async function round(setup, redisUrl, admin) {
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const nodes = await Promise.all(ports.map((port) => startNode(setup.server, redisUrl, port)));
  // Let the nodes hear each other (heartbeats, forwarding addresses) before the clients come.
  await sleep(500);
  const listen = await freePort();
  const nginx = await startNginx(listen, ports, setup.balance);
  const sockets = await Promise.all(
    Array.from({ length: CLIENTS }, () => new Promise((resolve, reject) => {
      const s = connect(`http://127.0.0.1:${listen}`, { transports: ["polling"], forceNew: true, reconnection: false });
      s.once("connect", () => resolve(s));
      s.once("connect_error", reject);
    })),
  );
  const lost = { count: 0, disconnects: 0 };
  for (const s of sockets) s.on("disconnect", (reason) => reason !== "io client disconnect" && lost.disconnects++);
  const run = async (n, samples) => {
    await Promise.all(sockets.map(async (s) => {
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        if (!s.connected) break;
        try {
          await s.timeout(10000).emitWithAck("echo", i);
        } catch {
          lost.count++;
          continue;
        }
        samples?.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }));
  };
  await withTimeout(run(Math.max(5, ACKS / 10)), "warm-up", PHASE_TIMEOUT_MS);
  const samples = [];
  const overhead = await counterOverhead(admin);
  const cpuBefore = await Promise.all(nodes.map((n) => n.cpu()));
  const before = await redisCounters(admin);
  await withTimeout(run(ACKS, samples), `${setup.name} phase`, PHASE_TIMEOUT_MS);
  const after = await redisCounters(admin);
  const cpuAfter = await Promise.all(nodes.map((n) => n.cpu()));
  const cpu = cpuAfter.reduce((sum, x, i) => sum + x - cpuBefore[i], 0);
  for (const s of sockets) s.disconnect();
  nginx.stop();
  await Promise.all(nodes.map((n) => n.stop()));
  const messages = CLIENTS * ACKS;
  return { samples, cpu: cpu / (CLIENTS * ACKS), lost: lost.count, disconnects: lost.disconnects, calls: (after.calls - before.calls) / messages, bytes: Math.max(0, after.bytes - before.bytes - overhead) / messages };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** POSTs on one session, `n` sequential, to `port` over a kept-alive connection; resolves with the round trips in ms. */
async function postTimes(port, path, n, agent) {
  const { request } = require("node:http");
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, method: "POST", agent, headers: { "Content-Type": "text/plain" } }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end("6");
    });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times;
}

/**
 * The hop alone, without nginx or a Socket.IO client: two forwarding nodes,
 * one session opened on A, then noop POSTs sent straight to A and, in
 * alternating batches, to B (which forwards them to A).
 */
async function hopOnly(redisUrl) {
  const { Agent, get } = require("node:http");
  const ports = [await freePort(), await freePort()];
  const nodes = await Promise.all(ports.map((port) => startNode("duplex-forward", redisUrl, port)));
  await sleep(500);
  const open = await new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port: ports[0], path: "/socket.io/?EIO=4&transport=polling" }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(JSON.parse(body.slice(1))));
    }).on("error", reject);
  });
  const path = `/socket.io/?EIO=4&transport=polling&sid=${open.sid}`;
  const agent = new Agent({ keepAlive: true });
  const direct = [];
  const forwarded = [];
  const batch = Math.max(50, Math.round(500 * SCALE));
  await postTimes(ports[0], path, 50, agent);
  await postTimes(ports[1], path, 50, agent);
  for (let r = 0; r < 4; r++) {
    direct.push(...(await postTimes(ports[0], path, batch, agent)));
    forwarded.push(...(await postTimes(ports[1], path, batch, agent)));
  }
  agent.destroy();
  await Promise.all(nodes.map((n) => n.stop()));
  const d = direct.sort((a, b) => a - b);
  const f = forwarded.sort((a, b) => a - b);
  console.log(`\nthe hop alone (${d.length} noop POSTs each, one session on A, kept-alive connections, no nginx):`);
  console.log("| POST sent to | p50 (ms) | p99 (ms) |");
  console.log("|---|---:|---:|");
  console.log(`| A, which holds the session | ${percentile(d, 50).toFixed(2)} | ${percentile(d, 99).toFixed(2)} |`);
  console.log(`| B, which forwards it to A | ${percentile(f, 50).toFixed(2)} | ${percentile(f, 99).toFixed(2)} |`);
  console.log(`a forwarded request takes ${(percentile(f, 50) - percentile(d, 50)).toFixed(2)} ms more at p50, ${(percentile(f, 99) - percentile(d, 99)).toFixed(2)} ms at p99`);
}

async function main() {
  console.log(`forwarding bench: 3 nodes behind nginx, ${CLIENTS} polling clients × ${ACKS} sequential acked emits per round, ${ROUNDS} rounds; node ${process.version}`);
  const redisUrl = await startRedis(cleanups);
  const admin = createClient({ url: redisUrl });
  await admin.connect();
  const results = Object.fromEntries(SETUPS.map((s) => [s.name, { samples: [], cpu: [], lost: 0, calls: [], bytes: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? SETUPS : [...SETUPS].reverse();
    for (const setup of order) {
      const res = await round(setup, redisUrl, admin);
      const acc = results[setup.name];
      acc.samples.push(...res.samples);
      acc.lost += res.lost;
      acc.cpu.push(res.cpu);
      acc.calls.push(res.calls);
      acc.bytes.push(res.bytes);
      const sorted = [...res.samples].sort((a, b) => a - b);
      console.log(`  round ${r + 1} ${setup.name.padEnd(16)} p50 ${percentile(sorted, 50).toFixed(2)} ms  p99 ${percentile(sorted, 99).toFixed(2)} ms  ${res.cpu.toFixed(0)} µs server CPU/msg  ${res.calls.toFixed(3)} redis cmds/msg  ${res.bytes.toFixed(1)} redis bytes/msg  lost ${res.lost}  disconnects ${res.disconnects}`);
    }
  }
  await hopOnly(redisUrl);
  await admin.quit();
  console.log("\n| setup | ack round trip p50 (ms) | p99 (ms) | µs server CPU / message (all nodes) | Redis commands / message | Redis bytes / message | lost |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows = {};
  for (const setup of SETUPS) {
    const acc = results[setup.name];
    const sorted = acc.samples.sort((a, b) => a - b);
    rows[setup.name] = { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    console.log(`| ${setup.label} | ${rows[setup.name].p50.toFixed(2)} | ${rows[setup.name].p99.toFixed(2)} | ${median(acc.cpu).toFixed(0)} | ${mean(acc.calls).toFixed(3)} | ${mean(acc.bytes).toFixed(1)} | ${acc.lost} |`);
  }
  const added = (p) => rows["duplex-forward"][p] - rows["duplex-sticky"][p];
  console.log(`\nforwarding adds ${added("p50").toFixed(2)} ms at p50 and ${added("p99").toFixed(2)} ms at p99 to an acked emit over polling (a POST and a poll, each forwarded 2 times in 3)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
