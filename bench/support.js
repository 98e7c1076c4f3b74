// Helpers the benchmarks share: timing, ports, a throwaway redis-server,
// statistics, HTTP requests, the children's stats over IPC, and the server
// module each benchmark compares.
"use strict";
const { spawnSync } = require("node:child_process");
const { existsSync, mkdtempSync, readFileSync, rmSync } = require("node:fs");
const http = require("node:http");
const { createServer } = require("node:net");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` once `ms` have passed. */
function withTimeout(promise, what, ms) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a redis-server of its own on a free port (nothing kept on disk);
 * pushes its stop onto `cleanups`. Resolves with its URL.
 */
async function startRedis(cleanups) {
  const dir = mkdtempSync(join(tmpdir(), "duplex-bench-redis-"));
  const port = await freePort();
  const pidfile = join(dir, "redis.pid");
  const started = spawnSync("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidfile, "--dir", dir]);
  if (started.status !== 0) throw new Error(`redis-server: ${started.stderr}`);
  for (let i = 0; i < 500 && !existsSync(pidfile); i++) await sleep(10);
  const pid = Number(readFileSync(pidfile, "utf8"));
  cleanups.push(() => {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return `redis://127.0.0.1:${port}`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? sorted[middle - 0.5] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The `q` quantile (0 to 1) of ascending `sorted`. */
function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** One HTTP request on a connection of its own; resolves with the status and the body as text. */
function request(port, path, method = "GET", body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Asks a benchmark's server child for its stats ({ cmd: "stats" }) and resolves with its answer. */
function askStats(child) {
  return new Promise((resolve) => {
    child.once("message", resolve);
    child.send({ cmd: "stats" });
  });
}

/**
 * The module whose `Server` a benchmark runs: "duplex" (this repository's
 * build), "socketio" (socket.io 4.8) or "ws" (bench/servers/raw-ws.js, the
 * same work by hand on a bare `ws` server).
 */
function serverModule(kind) {
  if (kind === "duplex") return require("../packages/server/dist/index.js");
  if (kind === "socketio") return require("socket.io");
  if (kind === "ws") return require("./servers/raw-ws.js");
  throw new Error(`unknown server kind ${kind}`);
}

module.exports = { sleep, withTimeout, freePort, startRedis, median, percentile, request, askStats, serverModule };
