#!/usr/bin/env node
// The question "why can't a Socket.IO client talk to a plain WebSocket server
// (and the other way round)?" made runnable. Starts a plain WebSocket echo
// server (`ws`) and a Duplex server on 127.0.0.1, then prints annotated
// packet traces of four conversations. Run: node examples/websocket-vs-duplex/demo.js
"use strict";
const http = require("node:http");
const WebSocket = require("ws");
const { Server } = require("@duplex/server");
const { io } = require("@duplex/client");

// Short timers so the whole demonstration takes about two seconds.
const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const CONNECT_TIMEOUT = 1000;

let t0 = Date.now();
const out = (line) => process.stdout.write(`${line}\n`);
const ms = () => String(Date.now() - t0).padStart(5);
const recv = (data, note = "") => out(`${ms()}  <- ${data}${note ? `    ${note}` : ""}`);
const sent = (data, note = "") => out(`${ms()}  -> ${data}${note ? `    ${note}` : ""}`);
const info = (text) => out(`${ms()}  .. ${text}`);

function section(title, why) {
  t0 = Date.now();
  out("");
  out(`== ${title}`);
  for (const line of why) out(`   ${line}`);
  out("");
}

/** A plain WebSocket echo server: send/onmessage, nothing else. */
function startPlainServer() {
  return new Promise((resolve) => {
    const wss = new WebSocket.Server({ host: "127.0.0.1", port: 0 }, () => resolve(wss));
    wss.on("connection", (ws) => ws.on("message", (m, isBinary) => ws.send(isBinary ? m : `echo: ${m}`)));
  });
}

/** A Duplex server with one event handler. */
function startDuplex() {
  return new Promise((resolve) => {
    const httpServer = http.createServer();
    const io = new Server(httpServer, { pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT, connectTimeout: CONNECT_TIMEOUT });
    io.on("connection", (socket) => socket.on("hello", (name, ack) => ack(`hi ${name}`)));
    httpServer.listen(0, "127.0.0.1", () => resolve({ io, httpServer, port: httpServer.address().port }));
  });
}

function describeFrame(m) {
  if (m[0] === "0") return "Engine.IO open: the session id and the heartbeat settings";
  if (m === "2") return "Engine.IO ping: answer 3 or be dropped";
  if (m.startsWith("40")) return "Socket.IO CONNECT answered: the namespace socket's id";
  if (m.startsWith("43")) return "Socket.IO ACK";
  return "";
}

async function plainWithPlain(port) {
  section("1. A plain WebSocket talks to a plain WebSocket server", [
    "One TCP connection, an HTTP Upgrade handshake (101), then frames both ways.",
    "No session, no heartbeat, no namespaces: what you send is what arrives.",
  ]);
  await new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on("upgrade", (res) => info(`HTTP ${res.statusCode} ${res.statusMessage}: the connection is now a WebSocket`));
    ws.on("open", () => {
      ws.send("hello");
      sent("hello", "ws.send()");
    });
    ws.on("message", (m) => {
      recv(String(m), "onmessage");
      ws.close();
    });
    ws.on("close", (code) => {
      info(`closed (${code})`);
      resolve();
    });
  });
}

async function duplexWithPlain(port) {
  section("2. The Duplex (Socket.IO) client against the plain WebSocket server", [
    "It opens ws://…/socket.io/?EIO=4&transport=websocket and waits for an Engine.IO",
    'open packet 0{"sid":…}. A plain server never sends one: it only echoes.',
  ]);
  await new Promise((resolve) => {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ["websocket"], reconnection: false });
    socket.on("connect_error", (err) => {
      info(`connect_error, code ${err.code}`);
      out(`         ${err.message}`);
      info("Why: the client speaks Engine.IO + Socket.IO; this server speaks bare WebSocket.");
      socket.close();
      resolve();
    });
  });
}

async function plainWithDuplex(port) {
  section("3. A plain WebSocket reaches the Duplex server and says nothing", [
    "The WebSocket handshake works, so onopen fires. But the server speaks Engine.IO:",
    `it sends its open packet, pings every ${PING_INTERVAL} ms, and closes the session after`,
    `connectTimeout (${CONNECT_TIMEOUT} ms here) because it never joins a namespace (40).`,
  ]);
  await new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    ws.on("message", (data) => {
      const m = String(data);
      recv(m, describeFrame(m));
      if (m === "2") {
        ws.send("3");
        sent("3", "pong, so the heartbeat does not drop us");
      }
    });
    ws.on("close", (code) => {
      info(`closed by the server (${code}): no namespace joined within connectTimeout`);
      resolve();
    });
  });
}

async function handSpokenProtocol(port) {
  section("4. The same plain WebSocket speaking the protocol by hand", [
    "Four rules: wait for 0{…}, send 40 to join \"/\", answer 2 with 3,",
    "and wrap each Socket.IO packet in an Engine.IO message (4).",
  ]);
  await new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    let asked = false;
    ws.on("message", (data) => {
      const m = String(data);
      recv(m, describeFrame(m));
      if (m[0] === "0") {
        ws.send("40");
        sent("40", 'Engine.IO message (4) + Socket.IO CONNECT (0) to namespace "/"');
      } else if (m.startsWith("40") && !asked) {
        asked = true;
        ws.send('421["hello","ada"]');
        sent('421["hello","ada"]', 'message (4) + EVENT (2) with ack id 1: emit("hello", "ada", ack)');
      } else if (m.startsWith("431")) {
        info("the server's handler answered the ack: it worked");
        ws.close();
      } else if (m === "2") {
        ws.send("3");
        sent("3", "pong");
      }
    });
    ws.on("close", () => resolve());
  });
}

async function main() {
  const plain = await startPlainServer();
  const duplex = await startDuplex();
  const plainPort = plain.address().port;
  out(`plain WebSocket echo server on ws://127.0.0.1:${plainPort}/`);
  out(`Duplex server on http://127.0.0.1:${duplex.port}/socket.io/`);
  out("Legend: <- received, -> sent, .. what happened; times in ms since the step began.");
  await plainWithPlain(plainPort);
  await duplexWithPlain(plainPort);
  await plainWithDuplex(duplex.port);
  await handSpokenProtocol(duplex.port);
  out("");
  out("See docs/why-not-websocket.md for the layers behind these traces.");
  plain.close();
  await duplex.io.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
