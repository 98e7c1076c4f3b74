#!/usr/bin/env node
// Connects as one user and prints the notifications they receive, as an app
// would: it asks the API for the user's token, then connects to a node.
//   node examples/notifications/client.js alice
//   node examples/notifications/client.js alice http://127.0.0.1:3102 http://127.0.0.1:3100
// Arguments: the user id, the node's URL (default :3101), the API's URL (default :3100).
"use strict";
const { io } = require("@duplex/client");

async function main() {
  const [userId, nodeUrl = "http://127.0.0.1:3101", apiUrl = "http://127.0.0.1:3100"] = process.argv.slice(2);
  if (!userId) {
    console.error("usage: node examples/notifications/client.js <userId> [node URL] [API URL]");
    process.exit(2);
  }
  let token;
  try {
    const res = await fetch(`${apiUrl}/token?userId=${encodeURIComponent(userId)}`);
    ({ token } = await res.json());
  } catch (err) {
    console.error(`no token from the API at ${apiUrl} (${err.cause?.code ?? err.message}): is \`node examples/notifications/start.js\` running?`);
    process.exit(1);
  }
  const socket = io(nodeUrl, { auth: { token } });
  socket.on("welcome", ({ node, recovered }) => {
    console.log(`[${userId}] connected to ${node} at ${nodeUrl}${recovered ? " (session recovered)" : ""}; waiting for notifications (Ctrl-C stops)`);
  });
  socket.on("notification", (notification) => console.log(`[${userId}] notification: ${notification.message}`));
  socket.on("connect_error", (err) => console.error(`[${userId}] cannot connect to ${nodeUrl}: ${err.message}`));
  socket.on("disconnect", (reason) => console.log(`[${userId}] disconnected (${reason}); reconnecting`));
  const stop = () => {
    socket.disconnect();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main();
