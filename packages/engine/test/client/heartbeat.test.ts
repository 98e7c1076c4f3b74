import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { Watchdog } from "../../src/client/heartbeat";
import type { Clock } from "@duplex/engine/client";
import { startEngine, type Harness } from "../helpers";
import { client, closeClients, next, opened } from "./helpers";

describe("Watchdog (jest fake timers)", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test("fires after the allowed silence, not before", () => {
    const fired = jest.fn();
    const w = new Watchdog(fired);
    w.start(1000);
    jest.advanceTimersByTime(999);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  test("every feed() pushes the deadline back, with one timer", () => {
    const fired = jest.fn();
    const w = new Watchdog(fired);
    w.start(1000);
    for (let i = 0; i < 10; i++) {
      jest.advanceTimersByTime(600);
      w.feed();
    }
    expect(fired).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(999);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  test("stop() and restart", () => {
    const fired = jest.fn();
    const w = new Watchdog(fired);
    w.start(100);
    w.stop();
    jest.advanceTimersByTime(1000);
    expect(fired).not.toHaveBeenCalled();
    w.start(100);
    w.start(500); // a restart replaces the timer
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(499);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  test("an injected clock", () => {
    let now = 0;
    const timers: { fn: () => void; at: number }[] = [];
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => timers.push({ fn, at: now + ms }),
      clearTimeout: () => {},
    };
    const fired = jest.fn();
    const w = new Watchdog(fired, clock);
    w.start(100);
    now = 50;
    w.feed();
    now = 100;
    timers.shift()!.fn(); // fires early: re-arms for the 50 ms left
    expect(fired).not.toHaveBeenCalled();
    expect(timers[0].at).toBe(150);
    now = 150;
    timers.shift()!.fn();
    expect(fired).toHaveBeenCalledTimes(1);
  });
});

/** A fake Engine.IO v4 server over WebSocket that opens the session and then does what `then` says. */
async function fakeV4(then: (ws: WebSocket) => void, ping = { interval: 100, timeout: 50 }): Promise<{ url: string; close(): Promise<void>; frames: string[] }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => wss.once("listening", resolve));
  const frames: string[] = [];
  wss.on("connection", (ws) => {
    ws.on("message", (d) => frames.push(String(d)));
    ws.send(`0${JSON.stringify({ sid: "s1", upgrades: [], pingInterval: ping.interval, pingTimeout: ping.timeout, maxPayload: 1e6 })}`);
    then(ws);
  });
  return {
    url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    frames,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}

describe("heartbeat over real sockets", () => {
  let close: () => Promise<void> = async () => {};
  afterEach(async () => {
    closeClients();
    await close();
  });

  test("a server that never pings: 'ping timeout' after pingInterval + pingTimeout", async () => {
    const srv = await fakeV4(() => {});
    close = srv.close;
    const s = await opened(client(srv.url, { transports: ["websocket"] }));
    const t0 = Date.now();
    const [reason, err] = await next(s, "close");
    expect(reason).toBe("ping timeout");
    expect(err?.code).toBe("PING_TIMEOUT");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(s.readyState).toBe("closed");
  });

  test("a server that pings then stops: the client answered each ping, then times out", async () => {
    let pings = 0;
    const srv = await fakeV4((ws) => {
      const t = setInterval(() => {
        if (++pings > 3) return clearInterval(t);
        ws.send("2");
      }, 80);
      ws.on("close", () => clearInterval(t));
    });
    close = srv.close;
    const s = await opened(client(srv.url, { transports: ["websocket"] }));
    let clientPings = 0;
    s.on("ping", () => clientPings++);
    const [reason] = await next(s, "close");
    expect(reason).toBe("ping timeout");
    expect(clientPings).toBe(3);
    expect(srv.frames).toEqual(["3", "3", "3"]);
  });

  test("any packet resets the watchdog: messages alone keep the session alive", async () => {
    const srv = await fakeV4((ws) => {
      let n = 0;
      const t = setInterval(() => (++n <= 8 ? ws.send(`4m${n}`) : clearInterval(t)), 60);
      ws.on("close", () => clearInterval(t));
    });
    close = srv.close;
    const s = await opened(client(srv.url, { transports: ["websocket"] }));
    const got: unknown[] = [];
    s.on("message", (d) => got.push(d));
    const [reason] = await next(s, "close");
    // 8 messages 60 ms apart span 480 ms, over three times the 150 ms allowed silence
    expect(got).toHaveLength(8);
    expect(reason).toBe("ping timeout");
  });

  describe("with the Duplex engine", () => {
    let h: Harness;
    afterEach(() => h.close());

    test("short ping interval: the client answers and stays open over many pings", async () => {
      h = await startEngine({ pingInterval: 30, pingTimeout: 60 });
      close = async () => {};
      let serverClosed = "";
      h.engine.on("connection", (ss) => ss.on("close", (r) => (serverClosed = r)));
      const s = await opened(client(`http://127.0.0.1:${h.port}`));
      let pings = 0;
      await new Promise<void>((resolve) => s.on("ping", () => ++pings === 8 && resolve()));
      expect(s.readyState).toBe("open");
      expect(serverClosed).toBe("");
    });
  });
});
