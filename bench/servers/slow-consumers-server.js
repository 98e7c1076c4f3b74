// Child process for bench/slow-consumers.bench.js: one Socket.IO-compatible
// server, Duplex or socket.io, with its default options. Clients that connect
// with ?role=stuck get RATE bytes per second of events (MESSAGE bytes each,
// not volatile) from the moment they join; every client may send "ping" with
// an ack. It reports over IPC, after a full GC:
//   { cmd: "stats" } -> { sockets, heapUsed, arrayBuffers, codeSpace, held, fullest, stuck: [{ transport, closedAfter, reason, description, maxBuffered, sent }] }
// codeSpace is the heap's code space (compiled code, part of heapUsed); held
// is what the server holds at that moment for the stuck clients still open;
// fullest is the largest heap sample taken while they held the most
// ({ heapUsed, arrayBuffers, held }, see sampleWhenFullest).
// Usage (by the parent): node --expose-gc bench/servers/slow-consumers-server.js duplex|socketio RATE MESSAGE
"use strict";
const { createServer } = require("node:http");
const { performance } = require("node:perf_hooks");
const v8 = require("node:v8");
const { serverModule } = require("../support.js");

const [kind, rate, messageSize] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const { Server } = serverModule(kind);

const httpServer = createServer();
const io = new Server(httpServer, { perMessageDeflate: false, httpCompression: false });
const PAYLOAD = "x".repeat(messageSize - 20);

/**
 * Bytes the server holds for a socket's client: Duplex says it
 * (`conn.bufferedAmount`); for socket.io, the engine's write buffer (its
 * packets' data) plus the WebSocket's own `bufferedAmount`.
 */
function buffered(socket) {
  const conn = socket.conn;
  if (kind === "duplex") return conn.bufferedAmount;
  let bytes = 0;
  for (const packet of conn.writeBuffer) bytes += typeof packet.data === "string" ? packet.data.length + 1 : 1;
  const ws = conn.transport.socket;
  return bytes + (ws && typeof ws.bufferedAmount === "number" ? ws.bufferedAmount : 0);
}

/** Stuck clients being streamed to, and the record of each. */
const streams = [];
const stuck = [];

/** What the server holds now for the stuck clients still open. */
function heldForStuck() {
  let held = 0;
  for (const { socket } of streams) if (socket.connected) held += buffered(socket);
  return held;
}

io.on("connection", (socket) => {
  socket.on("ping", (ack) => typeof ack === "function" && ack());
  if (socket.handshake.query.role !== "stuck") return;
  const record = { transport: socket.conn.transport.name, closedAfter: null, reason: null, description: null, maxBuffered: 0, sent: 0 };
  stuck.push(record);
  const stream = { socket, record, startedAt: performance.now() };
  streams.push(stream);
  socket.on("disconnect", (reason, description) => {
    record.closedAfter = performance.now() - stream.startedAt;
    record.reason = reason;
    record.description = description === undefined ? null : String(description && description.message ? description.message : description);
    streams.splice(streams.indexOf(stream), 1);
  });
});

// Every 10 ms, each stuck client gets what is due at RATE bytes per second,
// but no more than 50 ms worth at once: a late timer on a loaded machine
// makes the stream fall behind (the record says what was sent) rather than
// send a burst of a second's worth in one turn.
setInterval(() => {
  const now = performance.now();
  for (const { socket, record, startedAt } of [...streams]) {
    const due = Math.min(Math.floor(((now - startedAt) / 1000) * rate), record.sent + rate / 20);
    while (record.sent < due && socket.connected) {
      socket.emit("data", PAYLOAD);
      record.sent += messageSize;
    }
    if (socket.connected) record.maxBuffered = Math.max(record.maxBuffered, buffered(socket));
  }
  sampleWhenFullest();
}, 10);

/**
 * What the stuck clients cost the heap is largest just before they are
 * closed, a moment a few turns wide that periodic samples miss. So the heap
 * is also sampled (after a full GC) each time what the server holds for them
 * has grown by a quarter since the last such sample: a handful of samples
 * for a bounded buffer, a few dozen for one that grows to hundreds of MB.
 */
/**
 * Two full GCs: memory that only the first one's finalizers release (the
 * backing stores of Buffers of a socket just destroyed, say) is gone before
 * the sample is read.
 */
function fullGc() {
  global.gc();
  global.gc();
}

let fullest = null;
let sampleAbove = 64 * 1024;
function sampleWhenFullest() {
  const held = heldForStuck();
  if (held < sampleAbove) return;
  fullGc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  if (fullest === null || heapUsed + arrayBuffers > fullest.heapUsed + fullest.arrayBuffers) fullest = { heapUsed, arrayBuffers, held };
  sampleAbove = held * 1.25;
}

process.on("message", (msg) => {
  if (msg.cmd === "stats") {
    fullGc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    const codeSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === "code_space").space_used_size;
    const held = heldForStuck();
    process.send({ sockets: io.of("/").sockets.size, heapUsed, arrayBuffers, codeSpace, held, fullest, stuck });
  }
});
httpServer.listen(0, "127.0.0.1", () => process.send({ port: httpServer.address().port }));
