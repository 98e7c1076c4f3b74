// Dead peers: clients that answer the first ping and then vanish without a TCP
// close (they stop reading and sending; the connection stays open), while the
// server broadcasts 1 KB to everyone 20 times a second. A server must drop
// each one pingInterval + pingTimeout after its last pong, and the memory held
// for them must go with them.
//
// Duplex and socket.io 4.8, each in its own child process
// (bench/servers/dead-peers-server.js), the same raw clients against both:
// half over WebSocket, half over HTTP long-polling.
//
// Usage: npx tsc -b && node bench/run.js dead-peers      (or: pnpm bench dead-peers)
//   CLIENTS=40 PING_INTERVAL=1000 PING_TIMEOUT=500
"use strict";
const { fork } = require("node:child_process");
const { join } = require("node:path");
const WebSocket = require("ws");
const { request, askStats } = require("./support.js");

const CLIENTS = Number(process.env.CLIENTS || 40);
const PING_INTERVAL = Number(process.env.PING_INTERVAL || 1000);
const PING_TIMEOUT = Number(process.env.PING_TIMEOUT || 500);
const DEADLINE = PING_INTERVAL + PING_TIMEOUT;
const SERVERS = (process.env.SERVERS || "duplex,socketio").split(",");
const LABEL = { duplex: "duplex", socketio: "socket.io" };

/** Answers the first ping over WebSocket, then stops reading. */
function silentWebSocket(port) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    ws.on("error", () => {});
    ws.on("message", (data) => {
      const text = String(data);
      if (text.startsWith("0{")) ws.send("40");
      if (text.startsWith("40")) resolve(ws);
      if (text === "2") {
        ws.send("3");
        ws.pause();
      }
    });
  });
}

/** Answers the first ping over polling, then sends no more requests. */
async function silentPolling(port) {
  const open = await request(port, "/socket.io/?EIO=4&transport=polling");
  const sid = JSON.parse(open.body.slice(1)).sid;
  const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  await request(port, path, "POST", "40");
  for (;;) {
    const poll = await request(port, path);
    if (poll.status !== 200) return;
    if (poll.body.split("\x1e").includes("2")) {
      await request(port, path, "POST", "3");
      return;
    }
  }
}

function quantiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { min: sorted[0], median: at(0.5), max: sorted[sorted.length - 1] };
}

async function run(kind) {
  const child = fork(join(__dirname, "servers", "dead-peers-server.js"), [kind, PING_INTERVAL, PING_TIMEOUT], {
    execArgv: ["--expose-gc"],
  });
  const { port } = await new Promise((resolve) => child.once("message", resolve));
  const before = await askStats(child);
  const sockets = [];
  const connects = [];
  for (let i = 0; i < CLIENTS; i++) {
    if (i % 2 === 0) connects.push(silentWebSocket(port).then((ws) => sockets.push(ws)));
    else connects.push(silentPolling(port));
  }
  await Promise.all(connects);
  // Every client answered its first ping by about PING_INTERVAL; give the
  // heartbeat three deadlines to find them all.
  const started = Date.now();
  let peakHeap = 0;
  let after;
  while (Date.now() - started < PING_INTERVAL + 3 * DEADLINE) {
    await new Promise((r) => setTimeout(r, 250));
    after = await askStats(child);
    peakHeap = Math.max(peakHeap, after.heapUsed);
  }
  for (const ws of sockets) ws.terminate();
  child.kill("SIGKILL");
  const timeouts = after.closes.filter((c) => c.reason === "ping timeout").map((c) => c.afterLastPong);
  return {
    server: LABEL[kind],
    left: after.sockets,
    dropped: timeouts.length,
    detection: timeouts.length ? quantiles(timeouts) : null,
    heapBefore: before.heapUsed,
    heapPeak: peakHeap,
    heapAfter: after.heapUsed,
  };
}

(async () => {
  console.log(`${CLIENTS} silent clients (half websocket, half polling), 1 KB broadcast 20/s,`);
  console.log(`pingInterval ${PING_INTERVAL} ms, pingTimeout ${PING_TIMEOUT} ms: deadline ${DEADLINE} ms after the last pong\n`);
  const mb = (n) => (n / 1048576).toFixed(1);
  const ms = (n) => n.toFixed(0);
  console.log("| server | dropped (ping timeout) | still connected | detection after last pong min / median / max (ms) | heap before / peak / after (MB) |");
  console.log("|---|---|---|---|---|");
  for (const kind of SERVERS) {
    const r = await run(kind);
    const d = r.detection ? `${ms(r.detection.min)} / ${ms(r.detection.median)} / ${ms(r.detection.max)}` : "none";
    console.log(`| ${r.server} | ${r.dropped} of ${CLIENTS} | ${r.left} | ${d} | ${mb(r.heapBefore)} / ${mb(r.heapPeak)} / ${mb(r.heapAfter)} |`);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
