// Child process for bench/dead-peers.bench.js: one Socket.IO-compatible server,
// Duplex or socket.io, with a short heartbeat, broadcasting 1 KB to every
// client 20 times a second. It records, per session, the last pong and the
// close, and reports them with the heap over IPC:
//   { cmd: "stats" } -> { sockets, heapUsed, closes: [{ reason, afterLastPong }] }
// Usage (by the parent): node --expose-gc bench/servers/dead-peers-server.js duplex|socketio PING_INTERVAL PING_TIMEOUT
"use strict";
const { createServer } = require("node:http");
const { performance } = require("node:perf_hooks");
const { serverModule } = require("../support.js");

const [kind, pingInterval, pingTimeout] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const { Server } = serverModule(kind);

const httpServer = createServer();
const io = new Server(httpServer, { pingInterval, pingTimeout, perMessageDeflate: false });
const closes = [];
const PAYLOAD = "x".repeat(1024);

io.on("connection", (socket) => {
  let lastPongAt = performance.now();
  socket.conn.on("heartbeat", () => (lastPongAt = performance.now()));
  socket.on("disconnect", (reason) => closes.push({ reason, afterLastPong: performance.now() - lastPongAt }));
});
setInterval(() => io.emit("tick", PAYLOAD), 50);

process.on("message", (msg) => {
  if (msg.cmd === "stats") {
    global.gc();
    process.send({ sockets: io.of("/").sockets.size, heapUsed: process.memoryUsage().heapUsed, closes });
  }
});
httpServer.listen(0, "127.0.0.1", () => process.send({ port: httpServer.address().port }));
