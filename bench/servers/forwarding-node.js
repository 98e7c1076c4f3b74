// Child process for bench/forwarding.bench.js: one server node on 127.0.0.1
// `port` with its Redis adapter: Duplex + @duplex/redis-adapter (with or
// without forwardRequests) or socket.io 4.8 + @socket.io/redis-adapter 8.3,
// on node-redis 6.3.1 clients. Every socket answers "echo" with its argument.
// Tells the parent it is ready over IPC; { cmd: "cpu" } is answered with
// { cmd: "cpu", cpu } (µs user + system so far); { cmd: "exit" } ends it.
// Usage (by the parent): node bench/servers/forwarding-node.js duplex|duplex-forward|socketio <redis url> <port>
"use strict";
const { createServer } = require("node:http");
const { join } = require("node:path");

const [kind, redisUrl, port] = process.argv.slice(2);
const { createClient } = require(join(__dirname, "../../packages/redis-adapter/node_modules/redis"));
if (!process.send) throw new Error("must be started by bench/forwarding.bench.js (needs an IPC channel)");

async function main() {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  pub.on("error", (err) => console.error(`${kind} pub:`, err.message));
  sub.on("error", (err) => console.error(`${kind} sub:`, err.message));
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = createServer();
  let io;
  if (kind === "duplex" || kind === "duplex-forward") {
    const { Server } = require("../../packages/server/dist/index.js");
    const { createAdapter } = require("../../packages/redis-adapter/dist/index.js");
    const forwardRequests = kind === "duplex-forward" ? { address: `http://127.0.0.1:${port}` } : undefined;
    io = new Server(httpServer, { adapter: createAdapter(pub, sub, { key: `bench-${kind}`, heartbeatInterval: 5000, forwardRequests }) });
  } else if (kind === "socketio") {
    const { Server } = require("socket.io");
    const { createAdapter } = require("@socket.io/redis-adapter");
    io = new Server(httpServer);
    io.adapter(createAdapter(pub, sub, { key: "bench-socketio" }));
  } else {
    throw new Error(`unknown server kind ${kind}`);
  }
  io.on("connection", (socket) => socket.on("echo", (x, ack) => ack(x)));
  await new Promise((resolve) => httpServer.listen(Number(port), "127.0.0.1", resolve));
  process.on("message", async (msg) => {
    if (msg.cmd === "cpu") {
      const cpu = process.cpuUsage();
      process.send({ cmd: "cpu", cpu: cpu.user + cpu.system });
      return;
    }
    if (msg.cmd !== "exit") return;
    io.close();
    await Promise.allSettled([pub.quit(), sub.quit()]);
    process.exit(0);
  });
  process.on("disconnect", () => process.exit(0));
  process.send({ cmd: "ready" });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
