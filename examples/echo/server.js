#!/usr/bin/env node
// Echo demo: an HTTP server on PORT (3000) with the Duplex engine attached.
// The page speaks Engine.IO v4 by hand over a WebSocket, so every packet on
// the wire is visible: 0 open, 2 ping, 3 pong, 4 message.
"use strict";
const { createServer } = require("node:http");
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { attach } = require("@duplex/engine");
const { portInUseMessage } = require("../chat/port-in-use.js");

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
const page = readFileSync(join(__dirname, "index.html"));

const http = createServer((req, res) => {
  if (req.url === "/" || req.url === "/index.html") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page);
  } else {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
  }
});

const engine = attach(http, { pingInterval: 10000, pingTimeout: 5000 });
engine.on("connection", (socket) => {
  console.log(`[${socket.id}] open over ${socket.transport.name}`);
  socket.send(`welcome, your session id is ${socket.id}`);
  socket.on("message", (data) => socket.send(typeof data === "string" ? `echo: ${data}` : data));
  socket.on("upgrade", (t) => console.log(`[${socket.id}] upgraded to ${t.name}`));
  socket.on("close", (reason) => console.log(`[${socket.id}] closed: ${reason}`));
});
engine.on("connection_error", (err) => console.log(`refused ${err.req.url}: ${err.code} ${err.message}`));

// A taken or forbidden port is one line and exit code 1, not a stack trace.
http.once("error", (err) => {
  if (err.code === "EADDRINUSE") console.error(portInUseMessage(port));
  else console.error(`the echo demo could not start: ${err.message}`);
  process.exit(1);
});
http.listen(port, host, () => console.log(`Duplex echo demo on http://localhost:${port}`));

function shutdown() {
  engine.close();
  http.close(() => process.exit(0));
  http.closeAllConnections();
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
