#!/usr/bin/env node
// Serves the WebSocket-vs-Duplex comparison as a page: the browser itself runs
// the four conversations against a plain WebSocket server and a Duplex server.
// Run: node examples/websocket-vs-duplex/page.js   then open http://localhost:3001
"use strict";
const http = require("node:http");
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const WebSocket = require("ws");
const { Server } = require("@duplex/server");

const bundle = join(__dirname, "../../packages/client/dist/duplex.min.js");

/** Starts the page's server on `port` (0: a free one); resolves with the port and a `close()`. */
function startPage(port = Number(process.env.PORT ?? 3001), host = process.env.HOST) {
const server = http.createServer((req, res) => {
  if (req.url === "/" || req.url === "/index.html") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(readFileSync(join(__dirname, "page.html")));
  } else if (req.url === "/duplex.min.js") {
    res.writeHead(200, { "Content-Type": "text/javascript" }).end(readFileSync(bundle));
  } else {
    res.writeHead(404).end();
  }
});
// The Duplex server under /socket.io/, the plain one under /plain.
const io = new Server(server, { pingInterval: 1000, pingTimeout: 500, connectTimeout: 3000 });
io.on("connection", (socket) => socket.on("hello", (name, ack) => ack(`hi ${name}`)));
const plain = new WebSocket.Server({ noServer: true });
plain.on("connection", (ws) => ws.on("message", (m) => ws.send(`echo: ${m}`)));
server.on("upgrade", (req, socket, head) => {
  if (req.url?.startsWith("/plain")) plain.handleUpgrade(req, socket, head, (ws) => plain.emit("connection", ws, req));
});

return new Promise((resolve) =>
  server.listen(port, host, () =>
    resolve({
      port: server.address().port,
      close: async () => {
        plain.close();
        await io.close();
      },
    }),
  ),
);
}

module.exports = { startPage };

if (require.main === module) {
  startPage().then((page) => {
    console.log(`WebSocket vs Duplex page on http://localhost:${page.port}`);
    for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => page.close().then(() => process.exit(0)));
  });
}
