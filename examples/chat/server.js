#!/usr/bin/env node
// The Duplex chat: channels (rooms), nicknames, a typing indicator, delivered
// ticks from acks, the last messages on join, and the connection state and
// transport in the page. Root `npm start` runs it on http://localhost:3000.
"use strict";
const http = require("node:http");
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { randomUUID } = require("node:crypto");
const { Server } = require("@duplex/server");
const { portInUseMessage } = require("./port-in-use.js");

const CHANNELS = ["general", "random", "help"];
const HISTORY = 50;
const MAX_TEXT = 2000;

const STATIC = {
  "/": ["public/index.html", "text/html; charset=utf-8"],
  "/app.js": ["public/app.js", "text/javascript; charset=utf-8"],
  "/style.css": ["public/style.css", "text/css; charset=utf-8"],
  "/duplex.min.js": ["../../packages/client/dist/duplex.min.js", "text/javascript; charset=utf-8"],
};

/**
 * Starts the chat on `port` (0: a free one). Resolves with the server and
 * its port; `close()` stops it.
 */
function startChat({ port = 3000, host, serverOptions = {} } = {}) {
  const httpServer = http.createServer((req, res) => {
    const entry = STATIC[(req.url ?? "/").split("?")[0]];
    if (!entry) return res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    try {
      res.writeHead(200, { "Content-Type": entry[1], "Cache-Control": "no-store" }).end(readFileSync(join(__dirname, entry[0])));
    } catch {
      res.writeHead(500, { "Content-Type": "text/plain" }).end(`missing ${entry[0]}: run \`npm run build\` at the repository root`);
    }
  });
  const io = new Server(httpServer, serverOptions);
  const history = new Map(CHANNELS.map((c) => [c, []]));

  const members = (room) =>
    [...(io.sockets.adapter.rooms.get(room) ?? [])].map((id) => io.sockets.sockets.get(id)?.data.nickname).filter(Boolean);
  const presence = (room) => io.to(room).emit("presence", { room, users: members(room) });

  // A nickname is required to join: 1-24 visible characters.
  io.use((socket, next) => {
    const nickname = String(socket.handshake.auth.nickname ?? "").trim();
    if (!/^[^\s<>]{1,24}$/u.test(nickname)) {
      const err = new Error("invalid nickname");
      err.data = { hint: "1 to 24 characters, no spaces or angle brackets" };
      return next(err);
    }
    socket.data.nickname = nickname;
    socket.data.room = null;
    next();
  });

  io.on("connection", (socket) => {
    socket.emit("channels", CHANNELS);

    socket.on("join", (room, ack) => {
      if (typeof ack !== "function" || !CHANNELS.includes(room)) return;
      const previous = socket.data.room;
      if (previous && previous !== room) {
        socket.leave(previous);
        presence(previous);
      }
      socket.data.room = room;
      socket.join(room);
      ack({ room, history: history.get(room) });
      presence(room);
    });

    socket.on("message", (text, ack) => {
      const room = socket.data.room;
      if (typeof ack !== "function") return;
      if (!room || typeof text !== "string" || text.length === 0 || text.length > MAX_TEXT) {
        return ack({ ok: false, error: "not in a channel, or the message is empty or too long" });
      }
      const message = { id: randomUUID(), room, from: socket.data.nickname, text, at: Date.now() };
      const log = history.get(room);
      log.push(message);
      if (log.length > HISTORY) log.shift();
      socket.to(room).emit("message", message);
      // The ack is the "delivered" tick: the server has the message and has sent it on.
      ack({ ok: true, id: message.id, at: message.at });
    });

    socket.on("typing", (typing) => {
      const room = socket.data.room;
      if (room) socket.to(room).volatile.emit("typing", { room, nickname: socket.data.nickname, typing: typing === true });
    });

    socket.on("disconnecting", () => {
      for (const room of socket.rooms) if (room !== socket.id) setImmediate(() => presence(room));
    });
  });

  return new Promise((resolve, reject) => {
    // A taken port (EADDRINUSE) or a forbidden one (EACCES) rejects instead
    // of surfacing as an unhandled 'error' event.
    const onListenError = (err) => {
      io.close();
      reject(err);
    };
    httpServer.once("error", onListenError);
    httpServer.listen(port, host, () => {
      httpServer.off("error", onListenError);
      resolve({ io, httpServer, port: httpServer.address().port, close: () => io.close() });
    });
  });
}

module.exports = { startChat, CHANNELS };

if (require.main === module) {
  const port = Number(process.env.PORT ?? 3000);
  startChat({ port, host: process.env.HOST }).then(
    (chat) => {
      console.log(`Duplex chat on http://localhost:${chat.port} (open it in two windows)`);
      const stop = () => chat.close().then(() => process.exit(0));
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    },
    (err) => {
      if (err.code === "EADDRINUSE") console.error(portInUseMessage(port));
      else if (err.code === "EACCES") console.error(`port ${port} needs privileges: start on another one with PORT=3000 npm start`);
      else console.error(`the chat could not start: ${err.message}`);
      process.exit(1);
    },
  );
}
