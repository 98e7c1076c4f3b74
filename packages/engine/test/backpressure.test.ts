import WebSocket from "ws";
import type { EngineSocket } from "@duplex/engine";
import { within } from "../../../test-support/timing";
import { httpRequest, once, pollingHandshake, startEngine, type Harness } from "./helpers";

/**
 * `bufferedAmount` and the slow-consumer policy at the engine level, with real
 * sockets: what a session holds for a polling client that does not poll
 * (queued packets, counted exactly) and for a WebSocket client that does not
 * read (its socket's buffer too), and how it ends.
 */

const LIMIT = 32 * 1024;

let h: Harness;
afterEach(() => h.close());

test("polling, no poll waiting: bufferedAmount is the queued packets' bytes; a poll takes them and it is 0 again", async () => {
  h = await startEngine({ maxBackpressure: LIMIT });
  const connection = once<[EngineSocket]>(h.engine, "connection");
  const { sid } = await pollingHandshake(h.port);
  const [session] = await connection;
  expect(session.bufferedAmount).toBe(0);
  session.send("hello"); // "4hello"
  session.send(Buffer.from([1, 2, 3]));
  expect(session.bufferedAmount).toBe(6 + 4);
  expect(session.congested).toBe(false);

  const poll = await httpRequest(h.port, `/engine.io/?EIO=4&transport=polling&sid=${sid}`);
  expect(poll.body).toBe("4hello\x1ebAQID");
  expect(session.bufferedAmount).toBe(0);
});

test("polling, no poll: over the limit one turn later it is congested, and a queue grown by the limit again closes it with 'slow consumer'", async () => {
  h = await startEngine({ maxBackpressure: LIMIT, backpressureTimeout: 60_000 });
  const connection = once<[EngineSocket]>(h.engine, "connection");
  const { sid } = await pollingHandshake(h.port);
  const [session] = await connection;
  const events: Array<[boolean, number]> = [];
  session.on("backpressure", (congested, amount) => events.push([congested, amount]));
  const closed = once<[string, string]>(session, "close");

  const chunk = "y".repeat(1023); // 1 KiB with the type byte
  for (let i = 0; i < 40; i++) session.send(chunk);
  expect(session.bufferedAmount).toBe(40 * 1024);
  expect(events).toEqual([]); // a burst: not congested before the next turn
  await new Promise((r) => setImmediate(r));
  expect(events).toEqual([[true, 40 * 1024]]);
  // Its base is 40 KiB: it may hold up to 40 + 32 KiB.
  for (let i = 0; i < 32; i++) session.send(chunk);
  expect(session.readyState).toBe("open");
  session.send(chunk);
  const [reason, description] = await within(closed, 1000, "close");
  expect(reason).toBe("slow consumer");
  expect(description).toBe(`${72 * 1024} bytes buffered for the client, maxBackpressure (${LIMIT}) more than the ${40 * 1024} it held once congested`);
  expect(session.bufferedAmount).toBe(0);

  const poll = await httpRequest(h.port, `/engine.io/?EIO=4&transport=polling&sid=${sid}`);
  expect(poll.status).toBe(400);
});

test("websocket client that stops reading: bufferedAmount includes the socket's buffer, and the connection is cut at the close", async () => {
  h = await startEngine({ maxBackpressure: LIMIT, backpressureTimeout: 60_000, transports: ["websocket"] });
  const connection = once<[EngineSocket]>(h.engine, "connection");
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket`);
  ws.on("error", () => {});
  const clientClosed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
  const opened = once(ws, "open");
  const [session] = await connection;
  await opened;
  ws.pause(); // the raw TCP socket stops reading (ws ignores pause() before "open")

  const chunk = "z".repeat(16 * 1024);
  let seenInSocket = 0;
  const closed = once<[string, string]>(session, "close");
  await new Promise<void>((resolve) => {
    const turn = () => {
      if (session.readyState !== "open") return resolve();
      for (let i = 0; i < 8; i++) session.send(chunk);
      // After a turn's flush, what is left beyond the queue sits in the socket.
      seenInSocket = Math.max(seenInSocket, session.bufferedAmount);
      setImmediate(turn);
    };
    turn();
  });
  const [reason, description] = await closed;
  expect(reason).toBe("slow consumer");
  expect(description).toMatch(/maxBackpressure \(32768\) more than the \d+ it held once congested/);
  expect(seenInSocket).toBeGreaterThan(LIMIT);
  // "abort": the server destroyed the socket; the client sees the end once it reads again.
  ws.resume();
  await within(clientClosed, 5000, "the client's close");
});
