// Child process for bench/redis-adapter.bench.js: one server node with its
// Redis adapter, either Duplex + @duplex/redis-adapter or socket.io 4.8 +
// @socket.io/redis-adapter 8.3, both on node-redis 6.3.1 clients, listening on
// 127.0.0.1 port 0. Tells the parent its port over IPC, then answers:
//   { id, cmd: "stats" }                 -> { id, cpu (µs user+system), sockets, servers }
//   { id, cmd: "broadcast", k, payload } -> { id } once k io.emit("news") calls are made
//   { cmd: "exit" }
// Usage (by the parent): node bench/servers/redis-node.js duplex|socketio <redis url>
"use strict";
const { createServer } = require("node:http");
const { join } = require("node:path");

const [kind, redisUrl] = process.argv.slice(2);
const { createClient } = require(join(__dirname, "../../packages/redis-adapter/node_modules/redis"));
if (!process.send) throw new Error("must be started by bench/redis-adapter.bench.js (needs an IPC channel)");

async function main() {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  pub.on("error", (err) => console.error(`${kind} pub:`, err.message));
  sub.on("error", (err) => console.error(`${kind} sub:`, err.message));
  await Promise.all([pub.connect(), sub.connect()]);
  let io;
  const httpServer = createServer();
  // Identical options for both; heartbeats on the same period.
  const OPTIONS = { perMessageDeflate: false };
  if (kind === "duplex") {
    const { Server } = require("../../packages/server/dist/index.js");
    const { createAdapter } = require("../../packages/redis-adapter/dist/index.js");
    io = new Server(httpServer, { ...OPTIONS, adapter: createAdapter(pub, sub, { key: "bench-duplex", heartbeatInterval: 5000 }) });
  } else if (kind === "socketio") {
    const { Server } = require("socket.io");
    const { createAdapter } = require("@socket.io/redis-adapter");
    io = new Server(httpServer, OPTIONS);
    io.adapter(createAdapter(pub, sub, { key: "bench-socketio" }));
  } else {
    throw new Error(`unknown server kind ${kind}`);
  }
  await new Promise((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  process.on("message", async (msg) => {
    if (msg.cmd === "exit") {
      io.close();
      await Promise.allSettled([pub.quit(), sub.quit()]);
      process.exit(0);
    }
    if (msg.cmd === "stats") {
      const cpu = process.cpuUsage();
      const servers = await io.of("/").adapter.serverCount();
      process.send({ id: msg.id, cpu: cpu.user + cpu.system, sockets: io.of("/").sockets.size, servers });
      return;
    }
    if (msg.cmd === "broadcast") {
      let sent = 0;
      const step = () => {
        io.emit("news", msg.payload);
        if (++sent < msg.k) setImmediate(step);
        else process.send({ id: msg.id });
      };
      step();
    }
  });
  process.on("disconnect", () => process.exit(0));
  process.send({ cmd: "ready", port: httpServer.address().port });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
