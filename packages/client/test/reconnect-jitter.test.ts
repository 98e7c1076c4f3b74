import { createServer as createNet } from "node:net";
import type { AddressInfo } from "node:net";
import { io, type Socket } from "@duplex/client";

/**
 * Reconnection delays carry socket.io-client's jitter (randomizationFactor,
 * default 0.5), drawn anew for every attempt: attempt n waits
 * reconnectionDelay × 2^n × (1 ± up to 0.5), capped at reconnectionDelayMax.
 * Clients that lost the same server at the same moment must not come back
 * in lockstep.
 */
const MANAGERS = 40;
const ATTEMPTS = 4;
const MIN = 100;
const MAX = 400;
/** Timers fire late on a loaded machine, never early: the upper bounds get this much room. */
const LATE = 150;

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

async function refusedPort(): Promise<number> {
  const server = createNet();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test(`${MANAGERS} clients of a refused port: every attempt's delay is jittered within its bounds, and the clients drift apart`, async () => {
  const url = `http://127.0.0.1:${await refusedPort()}`;
  /** Per client, when each attempt started (the initial connect first). */
  const starts: number[][] = [];
  const done: Promise<void>[] = [];
  for (let i = 0; i < MANAGERS; i++) {
    const times = [Date.now()];
    starts.push(times);
    const socket = io(url, { forceNew: true, transports: ["websocket"], reconnectionDelay: MIN, reconnectionDelayMax: MAX });
    sockets.push(socket);
    done.push(
      new Promise((resolve) => {
        socket.io.on("reconnect_attempt", () => {
          times.push(Date.now());
          if (times.length === ATTEMPTS + 1) {
            socket.disconnect();
            resolve();
          }
        });
      }),
    );
  }
  await Promise.all(done);

  // gaps[n][i]: client i's wait before reconnection attempt n + 1 (a refused connect fails within a few ms).
  const gaps = Array.from({ length: ATTEMPTS }, (_, n) => starts.map((times) => times[n + 1] - times[n]));
  gaps.forEach((column, n) => {
    const base = MIN * 2 ** n;
    for (const gap of column) {
      expect(gap).toBeGreaterThanOrEqual(Math.min(Math.floor(base * 0.5), MAX) - 2);
      expect(gap).toBeLessThanOrEqual(Math.min(base * 1.5, MAX) + LATE);
    }
  });
  // Drawn per attempt and per client: the first delays (50..150 ms) spread over most of their range...
  const first = gaps[0];
  expect(Math.max(...first) - Math.min(...first)).toBeGreaterThanOrEqual(50);
  // ...and a client's early delay says nothing of its next one (no client is always early).
  const alwaysEarly = starts.filter((_, i) => gaps.slice(0, 3).every((column, n) => column[i] < MIN * 2 ** n));
  expect(alwaysEarly.length).toBeLessThan(MANAGERS / 3);
});
