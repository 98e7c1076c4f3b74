#!/usr/bin/env node
// Starts the whole notification backend with one command: a redis-server if
// none answers at REDIS_URL, two Duplex nodes, the HTTP API and the worker.
//   node examples/notifications/start.js
// Ports: API 3100, nodes 3101 and 3102 (PORT_BASE moves them; 0 picks free ports).
"use strict";
const { fork, spawn } = require("node:child_process");
const net = require("node:net");
const { join } = require("node:path");
const { QUEUE } = require("./lib");

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Whether a Redis answers PING at host:port. */
function redisAnswers(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (d) => done(d.toString().startsWith("+PONG")));
  });
}

async function ensureRedis(url, forceOwn) {
  const { hostname, port } = new URL(url);
  if (!forceOwn && (await redisAnswers(hostname, Number(port || 6379)))) return { url, stop: async () => {} };
  const own = await freePort();
  // Our own, in the foreground of a child process, stopped by its pid: nothing on disk.
  const child = spawn("redis-server", ["--port", String(own), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.once("error", (err) => console.error(`cannot start redis-server (apt-get install -y redis-server): ${err.message}`));
  for (let i = 0; i < 250 && !(await redisAnswers("127.0.0.1", own)); i++) await new Promise((r) => setTimeout(r, 20));
  console.log(`[start] ${forceOwn ? "START_REDIS=1" : `no Redis at ${url}`}: started redis-server on 127.0.0.1:${own} (pid ${child.pid})`);
  return {
    url: `redis://127.0.0.1:${own}`,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function run(script, env) {
  const child = fork(join(__dirname, script), [], { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ready = new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
  return { child, ready };
}

/**
 * Starts everything; resolves with the ports and a `stop()`. `portBase` 0
 * picks free ports (what the test does); `ownRedis` always starts a redis-server.
 */
async function start({ portBase = Number(process.env.PORT_BASE ?? 3100), ownRedis = process.env.START_REDIS === "1" } = {}) {
  const redis = await ensureRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", ownRedis);
  const port = (offset) => (portBase === 0 ? 0 : portBase + offset);
  const env = { REDIS_URL: redis.url };
  const procs = [
    run("api.js", { ...env, PORT: port(0) }),
    run("node.js", { ...env, PORT: port(1), NODE_NAME: "node-a" }),
    run("node.js", { ...env, PORT: port(2), NODE_NAME: "node-b" }),
    run("worker.js", env),
  ];
  const stop = async () => {
    await Promise.all(
      procs.map(
        ({ child }) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", resolve);
            child.kill("SIGTERM");
          }),
      ),
    );
    await redis.stop();
  };
  try {
    const [api, a, b] = await Promise.all(procs.map((p) => p.ready));
    return { redisUrl: redis.url, api: api.port, nodes: [a.port, b.port], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The commands printed once the backend is up, each working from the
 * repository root (where the README runs start.js), with the ports and the
 * Redis actually in use.
 */
function hints({ api, nodes, redisUrl }) {
  const job = JSON.stringify({ userId: "alice", message: "from the worker" });
  const notify = JSON.stringify({ userId: "alice", message: "hello" });
  return [
    { what: "listen as alice (in another terminal)", command: `node examples/notifications/client.js alice http://127.0.0.1:${nodes[0]} http://127.0.0.1:${api}` },
    { what: "notify alice through the API", command: `curl -s -XPOST http://127.0.0.1:${api}/notify -d '${notify}'` },
    { what: "or through the worker's queue", command: `redis-cli -u ${redisUrl} LPUSH ${QUEUE} '${job}'` },
    { what: "alice's token, for a client of your own", command: `curl -s "http://127.0.0.1:${api}/token?userId=alice"` },
  ];
}

module.exports = { start, hints };

if (require.main === module) {
  start()
    .then((s) => {
      const lines = hints({ api: s.api, nodes: s.nodes, redisUrl: s.redisUrl }).map(({ what, command }) => `  # ${what}\n  ${command}`);
      console.log(`\nNotification backend up: API on :${s.api}, nodes on :${s.nodes.join(" and :")}. From the repository root:\n${lines.join("\n")}\nCtrl-C stops everything.`);
      const bye = () => s.stop().then(() => process.exit(0));
      process.on("SIGINT", bye);
      process.on("SIGTERM", bye);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
