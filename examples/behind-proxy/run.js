#!/usr/bin/env node
// One Duplex server behind two nginx configurations, one that blocks
// WebSocket and one that passes it, and a client through each (with default
// options, and asking for WebSocket first), printing which transport it ends
// on and that messages flow. Run: node examples/behind-proxy/run.js
// Needs nginx (apt-get install -y nginx); all its files go to a temp dir.
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require("node:fs");
const http = require("node:http");
const net = require("node:net");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { Server } = require("@duplex/server");
const { io } = require("@duplex/client");

function nginxBinary() {
  for (const bin of ["/usr/sbin/nginx", "/usr/bin/nginx"]) if (spawnSync(bin, ["-v"]).status === 0) return bin;
  throw new Error("nginx not found: apt-get install -y nginx");
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 250; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, "127.0.0.1", () => (c.destroy(), resolve(true)));
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function startNginx(servers) {
  const dir = mkdtempSync(join(tmpdir(), "duplex-behind-proxy-"));
  const conf = `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${servers.join("\n")}
}`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  const child = spawn(nginxBinary(), ["-c", join(dir, "nginx.conf"), "-p", `${dir}/`, "-e", join(dir, "error.log"), "-g", "daemon off;"], {
    stdio: "ignore",
  });
  return {
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill("SIGQUIT");
      }),
  };
}

function fill(file, port, upstream) {
  return readFileSync(join(__dirname, file), "utf8").replaceAll("{{PORT}}", String(port)).replaceAll("{{UPSTREAM}}", upstream);
}

/** Connects through `port`, waits for the transport to settle, checks an ack round trip. */
async function tryClient(label, port, opts) {
  const socket = io(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, ...opts });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  const engine = socket.io.engine;
  // A default client opens on polling and tries the upgrade: give it the time to succeed or fail.
  if (engine.transport.name === "polling" && engine.upgrades.length > 0) {
    await new Promise((resolve) => {
      const done = () => resolve();
      engine.once("upgrade", done);
      engine.once("upgradeError", done);
      setTimeout(done, 3000);
    });
  }
  const answer = await socket.timeout(5000).emitWithAck("echo", label);
  const transport = socket.io.engine.transport.name;
  console.log(`${label.padEnd(44)} -> ${transport.padEnd(9)} (ack: ${answer.echo} via ${answer.serverTransport})`);
  socket.disconnect();
  return transport;
}

async function main() {
  const httpServer = http.createServer();
  const ioServer = new Server(httpServer, { pingInterval: 10000 });
  ioServer.on("connection", (socket) => {
    socket.on("echo", (value, ack) => ack({ echo: value, serverTransport: socket.conn.transport.name }));
  });
  await new Promise((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const upstream = `http://127.0.0.1:${httpServer.address().port}`;
  const blocking = await freePort();
  const passing = await freePort();
  const nginx = await startNginx([fill("blocking.conf", blocking, upstream), fill("passing.conf", passing, upstream)]);
  const results = {};
  try {
    await waitForPort(blocking);
    await waitForPort(passing);
    console.log(`Duplex server ${upstream}; nginx blocking WebSocket on :${blocking}, passing it on :${passing}\n`);
    results.blockingDefault = await tryClient("blocking proxy, default options", blocking, {});
    results.blockingWsFirst = await tryClient('blocking proxy, transports ["websocket","polling"]', blocking, {
      transports: ["websocket", "polling"],
      retryWebSocket: true,
    });
    results.passingDefault = await tryClient("passing proxy, default options", passing, {});
    results.passingWsFirst = await tryClient('passing proxy, transports ["websocket","polling"]', passing, {
      transports: ["websocket", "polling"],
    });
    console.log("\nBehind the blocking proxy the client stays connected over long-polling;");
    console.log("behind the passing one it ends on WebSocket. Same code, same server.");
  } finally {
    await nginx.stop();
    await ioServer.close();
  }
  return results;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
module.exports = { main };
