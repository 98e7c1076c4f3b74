// setupPrimary()'s wait for a sid that no worker has announced yet
// (unknownSidWait), with real timers and real TCP connections. The worker's
// announcement travels over IPC and races the client, which after the
// handshake sends its first poll (GET) and its CONNECT (POST) at once: both
// can reach the primary before the announcement does. Here the primary runs
// in the test process and a stand-in worker announces the sid through
// cluster's "message" event, as a real worker's IPC message arrives.
import cluster, { type Worker } from "node:cluster";
import { connect, type Server as NetServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { setupPrimary } from "@duplex/redis-adapter";
import { quiet, stopwatch, within } from "../../../test-support/timing";

const UNKNOWN_SID_WAIT = 500;
const LATE = 3000;

let primary: NetServer;
let clientSockets: Socket[] = [];
let listenersBefore: Array<(...args: unknown[]) => void>;

/** A worker as the primary sees it: the sockets it was handed, in order. */
function standInWorker(): { worker: Worker; handed: Socket[]; handedAll(n: number): Promise<void> } {
  const handed: Socket[] = [];
  let onHanded = () => {};
  const worker = {
    isConnected: () => true,
    send(_msg: unknown, socket: Socket, callback?: (err: Error | null) => void) {
      handed.push(socket);
      callback?.(null);
      onHanded();
      return true;
    },
  } as unknown as Worker;
  const handedAll = (n: number) =>
    new Promise<void>((resolve) => {
      onHanded = () => handed.length >= n && resolve();
      onHanded();
    });
  return { worker, handed, handedAll };
}

/** A TCP connection that sends one polling request for `sid`; `closed` resolves when the primary drops it. */
function request(port: number, sid: string, method = "GET"): { socket: Socket; closed: Promise<void> } {
  const socket = connect(port, "127.0.0.1", () => {
    socket.write(`${method} /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n`);
  });
  socket.on("error", () => undefined);
  clientSockets.push(socket);
  return { socket, closed: new Promise((resolve) => socket.once("close", () => resolve())) };
}

beforeEach(async () => {
  listenersBefore = cluster.listeners("message") as Array<(...args: unknown[]) => void>;
  primary = setupPrimary({ unknownSidWait: UNKNOWN_SID_WAIT });
  await new Promise<void>((resolve) => primary.listen(0, "127.0.0.1", resolve));
});

afterEach(async () => {
  for (const socket of clientSockets) socket.destroy();
  clientSockets = [];
  // setupPrimary() listens on the process-wide cluster object: leave it as it was.
  for (const listener of cluster.listeners("message")) if (!listenersBefore.includes(listener as never)) cluster.off("message", listener as never);
  await new Promise<void>((resolve) => primary.close(() => resolve()));
});

function port(): number {
  return (primary.address() as AddressInfo).port;
}

test("two requests for a sid announced late both go to its worker", async () => {
  const { worker, handed, handedAll } = standInWorker();
  const poll = request(port(), "late-sid", "GET");
  const post = request(port(), "late-sid", "POST");
  let dropped = 0;
  void poll.closed.then(() => dropped++);
  void post.closed.then(() => dropped++);
  // Nothing announces that the primary has read both request lines: give it a moment (well within the wait).
  await quiet(100);
  cluster.emit("message", worker, { type: "duplex:sticky:own", sid: "late-sid" });
  await within(handedAll(2), LATE, "both requests handed to the owner");
  expect(handed).toHaveLength(2);
  // and neither is handed elsewhere (here: dropped, as no other worker exists) when the wait runs out
  await quiet(UNKNOWN_SID_WAIT);
  expect(dropped).toBe(0);
  expect(handed).toHaveLength(2);
  for (const socket of handed) socket.destroy();
});

test("a request for a sid never announced goes round-robin after unknownSidWait, not before", async () => {
  // No worker exists in this process, so round-robin finds none and the primary drops the connection.
  const clock = stopwatch();
  const { closed } = request(port(), "unknown-sid");
  await within(closed, UNKNOWN_SID_WAIT + LATE, "the connection is handed on (dropped)");
  expect(clock.ms()).toBeGreaterThanOrEqual(UNKNOWN_SID_WAIT - 5);
});

test("a request for an announced sid goes to its worker at once", async () => {
  const { worker, handedAll } = standInWorker();
  cluster.emit("message", worker, { type: "duplex:sticky:own", sid: "known-sid" });
  const clock = stopwatch();
  request(port(), "known-sid");
  await within(handedAll(1), LATE, "the request handed to the owner");
  expect(clock.ms()).toBeLessThan(UNKNOWN_SID_WAIT);
});

describe("workers that forward requests announce their tag", () => {
  const TAG = "wOrKeR-1";

  test("a sid starting with a worker's tag goes to it at once, before the sid itself is announced", async () => {
    const { worker, handedAll } = standInWorker();
    cluster.emit("message", worker, { type: "duplex:sticky:own", sid: `${TAG}first`, tag: TAG });
    const clock = stopwatch();
    request(port(), `${TAG}second`);
    await within(handedAll(1), LATE, "the request handed to the tag's worker");
    expect(clock.ms()).toBeLessThan(UNKNOWN_SID_WAIT);
  });

  test("a sid whose tag is no worker's goes round-robin at once, not after unknownSidWait", async () => {
    const { worker } = standInWorker();
    cluster.emit("message", worker, { type: "duplex:sticky:own", sid: `${TAG}first`, tag: TAG });
    // No worker exists in this process, so round-robin finds none and the primary drops the connection.
    const clock = stopwatch();
    const { closed } = request(port(), "elsewhr-another-machine");
    await within(closed, LATE, "the connection is handed on (dropped)");
    expect(clock.ms()).toBeLessThan(UNKNOWN_SID_WAIT);
  });
});
