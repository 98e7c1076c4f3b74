// What one idle connection keeps on the heap, by object kind: a heap snapshot
// of the server before and after N socket.io-client connections (made from a
// child process, so the clients are not in the snapshot), summed by
// constructor (or type) name and divided by N.
// Usage: node --expose-gc bench/servers/heap-diff.js duplex|socketio|ws [N=1000] [TOP=30]
"use strict";
const { createServer } = require("node:http");
const { fork } = require("node:child_process");
const v8 = require("node:v8");
const { serverModule } = require("../support.js");

if (process.argv[2] === "--clients") {
  // Child: connects N clients to the URL, says "connected", stays idle until killed.
  const { io: connect } = require("socket.io-client");
  const [, , , url, count] = process.argv;
  let started = 0;
  let connected = 0;
  const one = () => {
    if (started === Number(count)) return;
    started++;
    const s = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
    s.once("connect", () => (++connected === Number(count) ? process.send("connected") : one()));
  };
  for (let i = 0; i < 20; i++) one();
  return;
}

const [kind = "duplex", n = "1000", top = "30"] = process.argv.slice(2);
const { Server } = serverModule(kind);
if (typeof global.gc !== "function") throw new Error("run with --expose-gc");

/** Self size and count of the snapshot's objects, by "type:name" (constructor name for objects). */
function summary() {
  global.gc();
  global.gc();
  const snapshot = JSON.parse(readStream(v8.getHeapSnapshot()));
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
  const width = fields.length;
  const at = { type: fields.indexOf("type"), name: fields.indexOf("name"), size: fields.indexOf("self_size") };
  const byKind = new Map();
  const nodes = snapshot.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + at.type]];
    const name = type === "object" || type === "closure" || type === "native" ? snapshot.strings[nodes[i + at.name]] : "";
    const key = `${type}${name ? `: ${name}` : ""}`;
    const entry = byKind.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += nodes[i + at.size];
    byKind.set(key, entry);
  }
  return byKind;
}

function readStream(stream) {
  const chunks = [];
  let chunk;
  while ((chunk = stream.read()) !== null) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const httpServer = createServer();
const io = new Server(httpServer, { perMessageDeflate: false });
io.on("connection", (socket) => socket.on("echo", (d, ack) => ack(d)));
httpServer.listen(0, "127.0.0.1", async () => {
  const url = `http://127.0.0.1:${httpServer.address().port}`;
  // A few connections first, so that lazily made one-off structures are not charged to the idle ones.
  const warm = fork(__filename, ["--clients", url, "20"]);
  await new Promise((resolve) => warm.once("message", resolve));
  warm.kill();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const before = summary();
  const clients = fork(__filename, ["--clients", url, n]);
  await new Promise((resolve) => clients.once("message", resolve));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const after = summary();
  clients.kill();
  const rows = [];
  let count = 0;
  let size = 0;
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, size: 0 };
    const row = { key, count: (a.count - b.count) / Number(n), size: (a.size - b.size) / Number(n) };
    count += row.count;
    size += row.size;
    rows.push(row);
  }
  console.log(`${kind}: ${count.toFixed(1)} objects, ${size.toFixed(0)} B of heap per idle connection (${n} connections)`);
  for (const row of rows.sort((x, y) => y.size - x.size).slice(0, Number(top))) {
    console.log(`${row.size.toFixed(0).padStart(7)} B ${row.count.toFixed(2).padStart(7)}×  ${row.key}`);
  }
  io.close();
  process.exit(0);
});
