// Child process for bench/server.bench.js: one Socket.IO-compatible server,
// Duplex, socket.io, or the bare `ws` floor (raw-ws.js), started the same way
// (new Server(httpServer) with the same options, listening on 127.0.0.1 port 0). It tells the parent
// its port over IPC, then answers requests:
//   { id, cmd: "stats", gc }      -> { id, cpu (µs user+system), sys (µs system), rss, heapUsed, sockets }
//   { id, cmd: "broadcast", k, payload, batch } -> { id } once k io.emit("news") calls are made
//   { id, cmd: "profile", start|stop, file }  -> { id } (V8 CPU profile of one phase)
//   { id, cmd: "exit" }           -> exits (lets --cpu-prof write its profile)
// Usage (by the parent): node --expose-gc bench/servers/server.js duplex|socketio|ws
"use strict";
const { createServer } = require("node:http");
const { serverModule } = require("../support.js");

const kind = process.argv[2];
const { Server } = serverModule(kind);

if (typeof global.gc !== "function") throw new Error("run with --expose-gc");
if (!process.send) throw new Error("must be started by bench/server.bench.js (needs an IPC channel)");

// Identical for both: everything default; perMessageDeflate is already false by
// default in both, spelled out so the comparison cannot silently change.
const OPTIONS = { perMessageDeflate: false };

const httpServer = createServer();
const io = new Server(httpServer, OPTIONS);
const nsp = io.of("/");

io.on("connection", (socket) => {
  socket.on("echo", (d, ack) => ack(d));
});

function fullGc() {
  global.gc();
  global.gc();
}

function broadcast(k, payload, batch, done) {
  let sent = 0;
  const step = () => {
    const end = Math.min(k, sent + batch);
    for (; sent < end; sent++) io.emit("news", payload);
    if (sent < k) setImmediate(step);
    else done();
  };
  step();
}

// CPU profile of one measured phase (CPU_PROF=dir in the parent): the
// inspector's profiler, so connecting the clients is left out.
let session = null;
function profile(msg, reply) {
  const inspector = require("node:inspector");
  if (msg.start) {
    session = new inspector.Session();
    session.connect();
    session.post("Profiler.enable", () => session.post("Profiler.start", () => reply()));
    return;
  }
  session.post("Profiler.stop", (err, res) => {
    if (err) throw err;
    const fs = require("node:fs");
    fs.mkdirSync(require("node:path").dirname(msg.file), { recursive: true });
    fs.writeFileSync(msg.file, JSON.stringify(res.profile));
    session.disconnect();
    session = null;
    reply();
  });
}

process.on("message", (msg) => {
  switch (msg.cmd) {
    case "stats": {
      if (msg.gc) fullGc();
      const c = process.cpuUsage();
      const m = process.memoryUsage();
      process.send({ id: msg.id, cpu: c.user + c.system, sys: c.system, rss: m.rss, heapUsed: m.heapUsed, sockets: nsp.sockets.size });
      break;
    }
    case "broadcast":
      broadcast(msg.k, msg.payload, msg.batch, () => process.send({ id: msg.id }));
      break;
    case "profile":
      profile(msg, () => process.send({ id: msg.id }));
      break;
    case "exit":
      io.close();
      process.exit(0);
      break;
    default:
      process.send({ id: msg.id, error: `unknown command ${msg.cmd}` });
  }
});

// The parent going away (normally or not) must never leave this process behind.
process.on("disconnect", () => process.exit(0));
// An IPC send failing (EPIPE) also means the parent is gone.
process.on("error", () => process.exit(0));

httpServer.listen(0, "127.0.0.1", () => {
  process.send({ cmd: "ready", port: httpServer.address().port });
});
