"use strict";
// The one line printed when a demo's port is taken, by examples/chat/server.js,
// examples/echo/server.js and the root `npm start` (scripts/start.js, which
// checks before building).

/** @param {number} port */
function portInUseMessage(port) {
  return `port ${port} is in use: start on another one with PORT=${port + 1} npm start`;
}

module.exports = { portInUseMessage };
