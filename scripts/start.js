#!/usr/bin/env node
// `npm start`: installs the workspace, builds it, and starts the chat demo
// (examples/chat/server.js), saying what it is doing at each step, since the
// install and the build print little for about 20 seconds.
//
//   npm start               the chat on http://localhost:3000
//   PORT=3001 npm start     on another port (HOST too, e.g. HOST=127.0.0.1)
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const { readFileSync } = require("node:fs");
const net = require("node:net");
const { join } = require("node:path");
const { portInUseMessage } = require("../examples/chat/port-in-use.js");

const root = join(__dirname, "..");
// The pinned pnpm ("pnpm@10.34.9"), as `npm run setup` runs it.
const { packageManager } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST;

/** Resolves with the error code when `port` cannot be bound, undefined when it can. */
function probePort() {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", (err) => resolve(err.code ?? "ERROR"));
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
}

function step(message, command, args) {
  console.log(message);
  // npm and npx are .cmd files on Windows, which only a shell starts.
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  if (result.status !== 0) {
    console.error(`\`${[command, ...args].join(" ")}\` failed (exit code ${result.status}); see its output above`);
    process.exit(result.status ?? 1);
  }
}

async function start() {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number (0-65535), got "${process.env.PORT}"`);
    process.exit(1);
  }
  // Checked before the ~20 s of install and build, not after.
  if ((await probePort()) === "EADDRINUSE") {
    console.error(portInUseMessage(port));
    process.exit(1);
  }
  // pnpm's own output stays visible: a first install downloads for a while.
  step("installing dependencies (pnpm install)…", "npx", ["-y", packageManager, "install"]);
  step("building packages (TypeScript and the browser bundle, about 20 s)…", "npm", ["run", "--silent", "build"]);
  console.log(`starting the chat on http://localhost:${port}…`);
  const chat = spawn(process.execPath, [join(root, "examples/chat/server.js")], { cwd: root, stdio: "inherit" });
  // Ctrl-C reaches the chat directly (same process group); a SIGTERM sent to
  // this process alone is passed on.
  process.on("SIGTERM", () => chat.kill("SIGTERM"));
  process.on("SIGINT", () => {});
  chat.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
}

start();
