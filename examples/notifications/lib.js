// What the processes of the notification backend share: tokens, the Redis
// connection, and the one way a notification is published.
"use strict";
const { createHmac, randomUUID, timingSafeEqual } = require("node:crypto");
const { createClient } = require("redis");
const { Server } = require("@duplex/server");
const { createAdapter } = require("@duplex/redis-adapter");

const SECRET = process.env.TOKEN_SECRET ?? "duplex-demo-secret";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const KEY = "notifications";
/** Notifications for users with no open connection wait here, a week at most. */
const INBOX_TTL_S = 7 * 24 * 3600;
/** Jobs for the worker: JSON {userId, message}, pushed by anyone with LPUSH. */
const QUEUE = `${KEY}:queue`;

const sign = (userId) => createHmac("sha256", SECRET).update(userId).digest("base64url");

/** A token for `userId` (the demo's stand-in for a real login). */
function tokenFor(userId) {
  return `${userId}.${sign(userId)}`;
}

/** The user id a token proves, or null. */
function verify(token) {
  if (typeof token !== "string") return null;
  const dot = token.lastIndexOf(".");
  if (dot <= 0) return null;
  const userId = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(sign(userId));
  return given.length === expected.length && timingSafeEqual(given, expected) ? userId : null;
}

const room = (userId) => `user:${userId}`;
const inbox = (userId) => `${KEY}:inbox:${userId}`;

/** Connects a publishing and a subscribing Redis client; errors are logged, never thrown. */
async function connectRedis(name) {
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", (err) => console.error(`[${name}] redis: ${err.message}`));
  await Promise.all([pub.connect(), sub.connect()]);
  return { pub, sub };
}

/** A Duplex server on the shared Redis adapter (with recovery, for brief disconnections). */
function createServer(httpServer, redis) {
  return new Server(httpServer, {
    adapter: createAdapter(redis.pub, redis.sub, { key: KEY }),
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
  });
}

/**
 * Publishes one notification: to the user's room on whichever node holds
 * their connections, or into their inbox when they have none.
 */
async function publish(io, redis, { userId, message }) {
  if (typeof userId !== "string" || !userId || typeof message !== "string" || !message) {
    throw new TypeError("expected {userId, message} as non-empty strings");
  }
  const notification = { id: randomUUID(), userId, message, at: Date.now() };
  const online = await io.in(room(userId)).fetchSockets();
  if (online.length > 0) {
    io.to(room(userId)).emit("notification", notification);
    return { delivered: "live", sockets: online.length, notification };
  }
  await redis.pub.multi().rPush(inbox(userId), JSON.stringify(notification)).expire(inbox(userId), INBOX_TTL_S).exec();
  return { delivered: "inbox", notification };
}

/** Takes every waiting notification of `userId` out of the inbox, oldest first. */
async function drainInbox(redis, userId) {
  const [items] = await redis.pub.multi().lRange(inbox(userId), 0, -1).del(inbox(userId)).exec();
  return items.map((item) => JSON.parse(item));
}

/**
 * Runs `main`, and on SIGINT/SIGTERM closes what it returned (the Duplex
 * server, the Redis clients, and whatever `extra` does) before exiting.
 */
function runProcess(main) {
  main()
    .then(({ io, redis, extra }) => {
      const stop = async () => {
        await extra?.();
        await io.close();
        await Promise.allSettled([redis.pub.quit(), redis.sub.quit()]);
        process.exit(0);
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

module.exports = { runProcess, tokenFor, verify, room, connectRedis, createServer, publish, drainInbox, QUEUE, REDIS_URL };
