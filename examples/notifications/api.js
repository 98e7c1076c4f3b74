#!/usr/bin/env node
// The HTTP API of the notification backend:
//   POST /notify {"userId": "…", "message": "…"}  → {delivered: "live" | "inbox", notification}
//   GET  /token?userId=…                          → {token} (the demo's stand-in for a login)
// It holds no client connection: it publishes through the Redis adapter. PORT, REDIS_URL.
"use strict";
const http = require("node:http");
const { runProcess, tokenFor, connectRedis, createServer, publish } = require("./lib");

const MAX_BODY = 16 * 1024;

function json(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}

async function main() {
  const redis = await connectRedis("api");
  // A Duplex server with no HTTP server of its own: only its adapter is used.
  const io = createServer(undefined, redis);

  const httpServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://api");
    if (req.method === "GET" && url.pathname === "/token") {
      const userId = url.searchParams.get("userId");
      return userId ? json(res, 200, { token: tokenFor(userId) }) : json(res, 400, { error: "userId is required" });
    }
    if (req.method !== "POST" || url.pathname !== "/notify") return json(res, 404, { error: "POST /notify or GET /token" });
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => {
      body += chunk;
      if (body.length > MAX_BODY) req.destroy();
    });
    req.on("end", async () => {
      try {
        json(res, 200, await publish(io, redis, JSON.parse(body)));
      } catch (err) {
        json(res, 400, { error: err.message });
      }
    });
  });
  httpServer.listen(Number(process.env.PORT ?? 3100), process.env.HOST ?? "127.0.0.1", () => {
    const port = httpServer.address().port;
    console.log(`[api] POST http://127.0.0.1:${port}/notify {"userId","message"}; GET /token?userId=…`);
    process.send?.({ ready: "api", port });
  });
  return { io, redis, extra: () => httpServer.close() };
}

runProcess(main);
