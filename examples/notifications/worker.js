#!/usr/bin/env node
// A worker that publishes notifications from a Redis queue: anything can
// `LPUSH notifications:queue '{"userId":"…","message":"…"}'` (a cron job, another
// service) and the user gets it, live or in their inbox. REDIS_URL.
"use strict";
const { connectRedis, createServer, publish, QUEUE } = require("./lib");

async function main() {
  const redis = await connectRedis("worker");
  const io = createServer(undefined, redis);
  // A blocking pop needs a connection of its own.
  const jobs = redis.pub.duplicate();
  jobs.on("error", (err) => console.error(`[worker] redis: ${err.message}`));
  await jobs.connect();
  let running = true;
  const stop = async () => {
    running = false;
    await io.close();
    await Promise.allSettled([redis.pub.quit(), redis.sub.quit(), jobs.disconnect()]);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.log(`[worker] publishing jobs from ${QUEUE}`);
  process.send?.({ ready: "worker" });
  while (running) {
    const job = await jobs.brPop(QUEUE, 1).catch(() => null);
    if (!job) continue;
    try {
      const result = await publish(io, redis, JSON.parse(job.element));
      console.log(`[worker] ${result.notification.userId}: ${result.delivered}`);
    } catch (err) {
      console.error(`[worker] bad job ${job.element}: ${err.message}`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
