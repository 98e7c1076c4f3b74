#!/usr/bin/env node
// One Duplex node of the notification backend. Users authenticate with a
// token in the handshake's auth; each joins the room of their user id and
// gets what waited in their inbox. PORT, NODE_NAME, REDIS_URL.
"use strict";
const http = require("node:http");
const { runProcess, verify, room, connectRedis, createServer, drainInbox } = require("./lib");

async function main() {
  const name = process.env.NODE_NAME ?? "node";
  const redis = await connectRedis(name);
  const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
  const io = createServer(httpServer, redis);
  io.of("/").adapter.on("error", (err) => console.error(`[${name}] adapter: ${err.message}`));

  io.use((socket, next) => {
    const userId = verify(socket.handshake.auth.token);
    if (!userId) return next(Object.assign(new Error("unauthorized"), { data: { hint: "GET /token?userId=… on the API" } }));
    socket.data.userId = userId;
    next();
  });

  io.on("connection", async (socket) => {
    const { userId } = socket.data;
    socket.emit("welcome", { node: name, recovered: socket.recovered });
    if (!socket.recovered) socket.join(room(userId));
    for (const notification of await drainInbox(redis, userId)) socket.emit("notification", notification);
  });

  httpServer.listen(Number(process.env.PORT ?? 3101), process.env.HOST ?? "127.0.0.1", () => {
    const port = httpServer.address().port;
    console.log(`[${name}] Duplex node on http://127.0.0.1:${port}`);
    process.send?.({ ready: name, port });
  });
  return { io, redis };
}

runProcess(main);
