// The floor for bench/server.bench.js: a bare `ws` server that speaks just
// enough Engine.IO v4 / Socket.IO v5, by hand, for socket.io-client to
// connect, emit with acks and receive broadcasts. It does the same work as
// the real servers (handshake, open packet, CONNECT answer, JSON decode and
// encode of each event, one encode per broadcast written to every client) and
// nothing else: no rooms, no middlewares, no buffering, no upgrade, and one
// ping timer for all connections rather than a heartbeat per session.
//
// It has the interface of the Server class of Duplex and socket.io that
// bench/servers/server.js uses: new RawWsServer(httpServer, options),
// io.of("/").sockets.size, io.on("connection", (socket) => socket.on("echo", …)),
// io.emit(event, payload), io.close().
"use strict";
const { randomBytes } = require("node:crypto");
const { WebSocketServer } = require("ws");

const PING_INTERVAL = 25000;
const PING_TIMEOUT = 20000;
const MAX_PAYLOAD = 1e6;
const PATH = "/socket.io/";
const TEXT = { binary: false };

/** One client: its WebSocket and its event handlers. */
class RawSocket {
  constructor(ws, id) {
    this.ws = ws;
    this.id = id;
    this.handlers = new Map();
  }

  on(event, handler) {
    this.handlers.set(event, handler);
    return this;
  }

  /** A Socket.IO packet from an Engine.IO message: CONNECT ("0") or EVENT ("2", maybe with an ack id). */
  onPacket(text) {
    if (text.charCodeAt(0) === 0x30) {
      this.ws.send(`40{"sid":"${this.id}"}`);
      return this.server.onConnect(this);
    }
    if (text.charCodeAt(0) !== 0x32) return;
    const start = text.indexOf("[");
    const ackId = start > 1 ? Number(text.slice(1, start)) : undefined;
    const [event, ...args] = JSON.parse(text.slice(start));
    const handler = this.handlers.get(event);
    if (handler === undefined) return;
    if (ackId !== undefined) args.push((...reply) => this.ws.send(`43${ackId}${JSON.stringify(reply)}`));
    handler(...args);
  }
}

class RawWsServer {
  constructor(httpServer, options = {}) {
    this.sockets = new Map();
    this.connectionHandler = () => {};
    this.wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: options.perMessageDeflate ?? false, maxPayload: MAX_PAYLOAD });
    httpServer.on("upgrade", (req, socket, head) => {
      if (!req.url.startsWith(PATH)) return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onWebSocket(ws));
    });
    this.pinger = setInterval(() => {
      for (const socket of this.sockets.values()) socket.ws.send("2");
    }, PING_INTERVAL);
  }

  onWebSocket(ws) {
    const socket = new RawSocket(ws, randomBytes(15).toString("base64url"));
    socket.server = this;
    ws.send(`0{"sid":"${randomBytes(15).toString("base64url")}","upgrades":[],"pingInterval":${PING_INTERVAL},"pingTimeout":${PING_TIMEOUT},"maxPayload":${MAX_PAYLOAD}}`);
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      // Engine.IO "4" (message) carries a Socket.IO packet; "3" (pong) needs nothing.
      if (text.charCodeAt(0) === 0x34) socket.onPacket(text.slice(1));
    });
    ws.on("close", () => this.sockets.delete(socket.id));
  }

  onConnect(socket) {
    this.sockets.set(socket.id, socket);
    this.connectionHandler(socket);
  }

  on(event, handler) {
    if (event === "connection") this.connectionHandler = handler;
    return this;
  }

  of() {
    return this;
  }

  /** Encodes once, then the same bytes to every client (as a text frame). */
  emit(event, ...args) {
    const message = Buffer.from(`42${JSON.stringify([event, ...args])}`);
    for (const socket of this.sockets.values()) socket.ws.send(message, TEXT);
  }

  close() {
    clearInterval(this.pinger);
    for (const socket of this.sockets.values()) socket.ws.terminate();
  }
}

module.exports = { Server: RawWsServer };
