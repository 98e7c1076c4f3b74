import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
// Loaded before the fake timers are installed: useNativeTimers keeps what was there then.
import { Socket } from "@duplex/engine/client";

const opened = (socket: Socket) => new Promise<void>((resolve) => socket.once("open", () => resolve()));

test("useNativeTimers: the heartbeat watchdog runs on real timers while fake ones are installed", async () => {
  // An Engine.IO server that opens the session and then never pings: the client must give up after 100 + 100 ms.
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => wss.once("listening", resolve));
  wss.on("connection", (ws) => ws.send('0{"sid":"s","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":1000000}'));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
  const sockets: Socket[] = [];
  try {
    const native = new Socket(url, { transports: ["websocket"], useNativeTimers: true });
    const faked = new Socket(url, { transports: ["websocket"] });
    sockets.push(native, faked);
    await Promise.all([opened(native), opened(faked)]);
    const reason = await new Promise((resolve) => native.once("close", resolve));
    expect(reason).toBe("ping timeout");
    // The other one's watchdog waits on the fake clock, which nobody advances.
    expect(faked.readyState).toBe("open");
  } finally {
    jest.useRealTimers();
    for (const socket of sockets) socket.close();
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});
