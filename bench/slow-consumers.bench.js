// Slow consumers: one WebSocket client that stops reading (its TCP socket is
// paused) and one polling client that stops polling, while the server sends
// each of them 5 MB/s of events (1 KB each, not volatile), and 1,000 normal
// clients send an acked "ping" once a second. Measured: what the server keeps
// (heap and buffers after a full GC, sampled twice a second, and the bytes it
// holds for each stuck client), when and why the stuck clients are closed,
// and the normal clients' ack round trip (p50 / p99), first for BASELINE
// seconds without stuck clients, then for DURATION seconds with them.
//
// Duplex (default options: maxBackpressure 128 KiB, backpressureTimeout
// 10 s) and socket.io 4.8, each in its own child process
// (bench/servers/slow-consumers-server.js), the same clients against both.
//
// Usage: npx tsc -b && node bench/run.js slow-consumers      (or: pnpm bench slow-consumers)
//   CLIENTS=1000 DURATION=30 BASELINE=10 RATE=5000000 MESSAGE=1024 SERVERS=duplex,socketio
//   STUCK=0: a control run, no stuck clients in the second phase either, to
//   see how much the latency figures move between phases on their own.
"use strict";
const { fork } = require("node:child_process");
const { join } = require("node:path");
const { performance } = require("node:perf_hooks");
const WebSocket = require("ws");
const { request, askStats, percentile, sleep } = require("./support.js");

const CLIENTS = Number(process.env.CLIENTS || 1000);
const DURATION = Number(process.env.DURATION || 30);
const BASELINE = Number(process.env.BASELINE || 10);
const RATE = Number(process.env.RATE || 5_000_000);
const MESSAGE = Number(process.env.MESSAGE || 1024);
const SERVERS = (process.env.SERVERS || "duplex,socketio").split(",");
const STUCK = process.env.STUCK !== "0";
const TRACE = process.env.TRACE === "1";
const LABEL = { duplex: "duplex", socketio: "socket.io" };

/** Joins "/" over WebSocket, then pauses its TCP socket: it reads nothing more. */
function stuckWebSocket(port) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&role=stuck`);
    ws.on("error", () => {});
    ws.on("message", (data) => {
      const text = String(data);
      if (text.startsWith("0{")) ws.send("40");
      if (text.startsWith("40")) {
        ws.pause();
        resolve(ws);
      }
    });
  });
}

/** Joins "/" over polling, takes the CONNECT answer, and never polls again. */
async function stuckPolling(port) {
  const open = await request(port, "/socket.io/?EIO=4&transport=polling&role=stuck");
  const sid = JSON.parse(open.body.slice(1)).sid;
  const path = `/socket.io/?EIO=4&transport=polling&role=stuck&sid=${sid}`;
  await request(port, path, "POST", "40");
  await request(port, path);
}

/**
 * A normal client: joins "/" over WebSocket and answers pings; `ping(onAck)`
 * sends an event with an ack id and calls back with the round trip. Raw
 * frames rather than socket.io-client, so that 1,000 of them fit in this
 * process without its own event loop skewing the figures.
 */
function normalClient(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    const pending = new Map();
    let nextId = 0;
    const client = {
      ws,
      pending,
      ping(onAck) {
        const id = nextId++;
        pending.set(id, { sentAt: performance.now(), onAck });
        ws.send(`42${id}["ping"]`);
      },
    };
    ws.on("error", reject);
    ws.on("message", (data) => {
      const text = String(data);
      if (text === "2") ws.send("3");
      else if (text.startsWith("0{")) ws.send("40");
      else if (text.startsWith("40")) resolve(client);
      else if (text.startsWith("43")) {
        const id = Number(text.slice(2, text.indexOf("[")));
        const entry = pending.get(id);
        pending.delete(id);
        if (entry) entry.onAck(performance.now() - entry.sentAt);
      }
    });
  });
}

async function run(kind) {
  const child = fork(join(__dirname, "servers", "slow-consumers-server.js"), [kind, RATE, MESSAGE], { execArgv: ["--expose-gc"] });
  const { port } = await new Promise((resolve) => child.once("message", resolve));

  // The normal clients, connected 50 at a time.
  const clients = [];
  for (let i = 0; i < CLIENTS; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(CLIENTS, i + 50); j++) batch.push(normalClient(port));
    clients.push(...(await Promise.all(batch)));
  }

  // Each sends an acked ping once a second, at its own phase.
  let samples = [];
  const record = (rtt) => samples.push(rtt);
  const timers = clients.map((client, i) =>
    setTimeout(function ping() {
      client.ping(record);
      timers[i] = setTimeout(ping, 1000);
    }, Math.random() * 1000),
  );

  // Heap after a full GC: twice a second for the first 5 s (a stuck client's
  // buffer is largest early), then every 5 s, so that GCs of a large heap
  // do not dominate the latency figures.
  const watch = async (seconds) => {
    let peak = null;
    const start = Date.now();
    while (Date.now() < start + seconds * 1000) {
      await sleep(Date.now() - start < 5000 ? 500 : 5000);
      const s = await askStats(child);
      if (TRACE) console.log(`${LABEL[kind]} t=${((Date.now() - start) / 1000).toFixed(1)} s heap ${(s.heapUsed / 1e6).toFixed(3)} MB, buffers ${(s.arrayBuffers / 1e6).toFixed(3)} MB, code ${(s.codeSpace / 1e6).toFixed(3)} MB, held ${(s.held / 1e6).toFixed(3)} MB`);
      if (peak === null || s.heapUsed + s.arrayBuffers > peak.heapUsed + peak.arrayBuffers) peak = s;
    }
    return peak;
  };
  const latency = () => {
    const sorted = samples.sort((a, b) => a - b);
    samples = [];
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), count: sorted.length };
  };

  await sleep(1000); // every client has pinged once
  samples = [];
  const before = await askStats(child);
  const baselinePeak = await watch(BASELINE);
  const without = latency();

  const ws = STUCK ? await stuckWebSocket(port) : null;
  if (STUCK) await stuckPolling(port);
  const periodicPeak = await watch(DURATION);
  const after = await askStats(child);
  const total = (s) => s.heapUsed + s.arrayBuffers;
  const loadedPeak = after.fullest !== null && total(after.fullest) > total(periodicPeak) ? after.fullest : periodicPeak;

  for (const t of timers) clearTimeout(t);
  await sleep(1000); // the last pings are answered before the clients leave
  const withStuck = latency();
  let unanswered = 0;
  for (const c of clients) unanswered += c.pending.size;
  for (const c of clients) c.ws.terminate();
  ws?.terminate();
  child.kill("SIGKILL");
  return { server: LABEL[kind], before, baselinePeak, loadedPeak, after, without, withStuck, unanswered };
}

(async () => {
  const MB = (n) => (n / 1048576).toFixed(1);
  const KB = (n) => (n / 1024).toFixed(0);
  const ms = (n) => (n === undefined ? "-" : n.toFixed(1));
  console.log(`${CLIENTS} clients sending an acked ping each second${STUCK ? "; then one stuck WebSocket and one stuck polling client" : ""}`);
  if (STUCK) console.log(`sent ${(RATE / 1e6).toFixed(1)} MB/s each in ${MESSAGE}-byte events for ${DURATION} s (baseline ${BASELINE} s before)\n`);
  else console.log(`control run: no stuck clients in the second phase (${DURATION} s) either\n`);
  const rows = [];
  for (const kind of SERVERS) rows.push(await run(kind));

  console.log("| server | heap+buffers before | peak without stuck | peak with stuck | growth (peak with − peak without) | held for the stuck clients at that peak | after |");
  console.log("|---|---|---|---|---|---|---|");
  const total = (s) => s.heapUsed + s.arrayBuffers;
  for (const r of rows) {
    const growth = total(r.loadedPeak) - total(r.baselinePeak);
    console.log(`| ${r.server} | ${MB(total(r.before))} MB | ${MB(total(r.baselinePeak))} MB | ${MB(total(r.loadedPeak))} MB | ${MB(growth)} MB | ${KB(r.loadedPeak.held)} KiB | ${MB(total(r.after))} MB |`);
  }
  console.log("\n| server | stuck client | closed after | reason | most held for it | sent to it |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    for (const s of r.after.stuck) {
      const closed = s.closedAfter === null ? `not within ${DURATION} s` : `${(s.closedAfter / 1000).toFixed(2)} s`;
      const why = s.reason === null ? "-" : `${s.reason}${s.description ? ` (${s.description})` : ""}`;
      console.log(`| ${r.server} | ${s.transport} | ${closed} | ${why} | ${KB(s.maxBuffered)} KiB | ${MB(s.sent)} MB |`);
    }
  }
  console.log("\n| server | ack p50 / p99 without stuck (ms) | ack p50 / p99 with stuck (ms) | acks measured | unanswered |");
  console.log("|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.server} | ${ms(r.without.p50)} / ${ms(r.without.p99)} | ${ms(r.withStuck.p50)} / ${ms(r.withStuck.p99)} | ${r.without.count} + ${r.withStuck.count} | ${r.unanswered} |`,
    );
  }
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
