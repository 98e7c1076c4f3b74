import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { Clock } from "@duplex/engine/client";
import { startEngine, type Harness } from "../helpers";
import { client, closeClients, next, opened } from "./helpers";

/** A clock whose timers run only when a test fires them; clearTimeout really clears. */
class ManualClock {
  now = 0;
  timers = new Map<number, { fn: () => void; at: number }>();
  #id = 0;
  clock: Clock = {
    now: () => this.now,
    setTimeout: (fn, ms) => (this.timers.set(++this.#id, { fn, at: this.now + ms }), this.#id),
    clearTimeout: (t) => void this.timers.delete(t as number),
  };

  /** The one pending timer (the watchdog, once open: the WebSocket's deadlines are cleared by then). */
  only(): [number, { fn: () => void; at: number }] {
    expect(this.timers.size).toBe(1);
    return [...this.timers][0];
  }

  /** Moves the clock to `at` and runs the pending timer. */
  fire(at: number): void {
    const [key, t] = this.only();
    this.timers.delete(key);
    this.now = at;
    t.fn();
  }
}

describe("the watchdog, on an injected clock (pingInterval 100 + pingTimeout 50)", () => {
  let srv: Awaited<ReturnType<typeof fakeV4>>;
  let server: WebSocket;
  afterEach(async () => {
    closeClients();
    await srv.close();
  });

  async function open(c: ManualClock) {
    srv = await fakeV4((ws) => (server = ws));
    return opened(client(srv.url, { transports: ["websocket"], clock: c.clock }));
  }

  test("fires after the allowed silence, not before: one timer, re-armed for what is left", async () => {
    const c = new ManualClock();
    const s = await open(c);
    expect(c.only()[1].at).toBe(150);
    c.fire(149);
    expect(s.readyState).toBe("open");
    expect(c.only()[1].at).toBe(150); // re-armed for the 1 ms left
    const closed = next(s, "close");
    c.fire(150);
    const [reason, err] = await closed;
    expect(reason).toBe("ping timeout");
    expect(err?.code).toBe("PING_TIMEOUT");
  });

  test("every packet pushes the deadline back, with one timer", async () => {
    const c = new ManualClock();
    const s = await open(c);
    for (const at of [100, 200, 300]) {
      c.now = at;
      const got = next(s, "message");
      server.send("4m");
      await got;
      expect(c.timers.size).toBe(1);
    }
    c.fire(150); // early: the last packet came at 300
    expect(c.only()[1].at).toBe(450);
    c.fire(449);
    expect(s.readyState).toBe("open");
    const closed = next(s, "close");
    c.fire(450);
    expect((await closed)[0]).toBe("ping timeout");
  });

  test("closing stops it", async () => {
    const c = new ManualClock();
    const s = await open(c);
    expect(c.timers.size).toBe(1);
    s.close();
    expect(c.timers.size).toBe(0);
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
      // The server sends its next ping only after a pong, so eight pings prove
      // eight answers; the 500 ms for each pong keeps a loaded machine from
      // timing out (60 ms did, now and then).
      h = await startEngine({ pingInterval: 30, pingTimeout: 500 });
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
