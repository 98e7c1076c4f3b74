import type { CloseReason, EngineSocket } from "@duplex/engine";
import { httpRequest, startEngine, type Harness } from "./helpers";

// Only the engine's timers are faked; sockets and the event loop stay real.
beforeEach(() => jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] }));
afterEach(() => jest.useRealTimers());

let h: Harness;
afterEach(() => h.close());

async function open(): Promise<{ socket: EngineSocket; path: string }> {
  h = await startEngine({ pingInterval: 1000, pingTimeout: 500 });
  const connected = new Promise<EngineSocket>((resolve) => h.engine.once("connection", resolve));
  const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
  const sid = JSON.parse(res.body.slice(1)).sid as string;
  return { socket: await connected, path: `/engine.io/?EIO=4&transport=polling&sid=${sid}` };
}

test("the server pings every pingInterval; a pong keeps the session and emits 'heartbeat'", async () => {
  const { socket, path } = await open();
  let beats = 0;
  socket.on("heartbeat", () => beats++);
  for (let i = 0; i < 3; i++) {
    jest.advanceTimersByTime(1000);
    expect((await httpRequest(h.port, path)).body).toBe("2");
    jest.advanceTimersByTime(400);
    await httpRequest(h.port, path, { method: "POST", body: "3" });
  }
  expect(beats).toBe(3);
  expect(socket.readyState).toBe("open");
});

test("a peer that stops answering is dropped with 'ping timeout' after pingInterval + pingTimeout", async () => {
  const { socket, path } = await open();
  const reasons: CloseReason[] = [];
  socket.on("close", (r) => reasons.push(r));
  jest.advanceTimersByTime(1000);
  expect((await httpRequest(h.port, path)).body).toBe("2");
  jest.advanceTimersByTime(499);
  expect(reasons).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(reasons).toEqual(["ping timeout"]);
  expect(h.engine.clientsCount).toBe(0);
  expect((await httpRequest(h.port, path)).status).toBe(400);
});
