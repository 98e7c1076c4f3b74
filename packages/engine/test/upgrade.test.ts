import WebSocket from "ws";
import type { EngineSocket } from "@duplex/engine";
import { httpRequest, nextFrame, opened, openPollingSession, pendingPoll, startEngine, type Harness, type PollingSession } from "./helpers";

let h: Harness;
afterEach(() => h.close());

async function openPolling(opts = {}): Promise<PollingSession> {
  h = await startEngine(opts);
  return openPollingSession(h);
}

describe("upgrade from polling to websocket", () => {
  test("probe, noop on the pending poll, 5 switches; buffered packets follow over the WebSocket", async () => {
    const s = await openPolling();
    const events: string[] = [];
    s.socket.on("upgrading", (t) => events.push(`upgrading:${t.name}`));
    s.socket.on("upgrade", (t) => events.push(`upgrade:${t.name}`));
    const { response: poll } = await pendingPoll(h, s.pollPath);

    const ws = new WebSocket(s.wsUrl);
    await opened(ws);
    expect(s.socket.upgrading).toBe(true);
    ws.send("2probe");
    expect(await nextFrame(ws)).toBe("3probe");
    // the pending poll is released so the client can pause polling
    expect((await poll).body).toBe("6");
    expect(events).toEqual(["upgrading:websocket"]);

    // written while the client is between paused polling and `5`: it must wait for the WebSocket
    s.socket.send("in between");
    const after = nextFrame(ws);
    ws.send("5");
    expect(await after).toBe("4in between");
    expect(events).toEqual(["upgrading:websocket", "upgrade:websocket"]);
    expect(s.socket.transport.name).toBe("websocket");
    expect(s.socket.upgrading).toBe(false);

    // the session goes on over the WebSocket
    const got = new Promise((resolve) => s.socket.once("message", resolve));
    ws.send("4over ws");
    expect(await got).toBe("over ws");
    ws.close();
  });

  test("a poll that arrives after the probe is answered at once with a noop", async () => {
    const s = await openPolling();
    const ws = new WebSocket(s.wsUrl);
    await opened(ws);
    ws.send("2probe");
    expect(await nextFrame(ws)).toBe("3probe");
    expect((await httpRequest(h.port, s.pollPath)).body).toBe("6");
    ws.close();
  });

  test("after the switch, HTTP requests naming the sid are refused; a further WebSocket is opened and closed", async () => {
    const s = await openPolling();
    const ws = new WebSocket(s.wsUrl);
    await opened(ws);
    ws.send("2probe");
    await nextFrame(ws);
    const upgraded = new Promise((resolve) => s.socket.once("upgrade", resolve));
    ws.send("5");
    await upgraded;

    const get = await httpRequest(h.port, s.pollPath);
    expect(get.status).toBe(400);
    expect(JSON.parse(get.body)).toEqual({ code: 3, message: "Bad request" });
    const post = await httpRequest(h.port, s.pollPath, { method: "POST", body: "4sneaky" });
    expect(post.status).toBe(400);

    // As engine.io: the handshake completes, then a close frame without status code (duplicate-websocket.test.ts).
    const second = new WebSocket(s.wsUrl);
    expect(await new Promise<number>((resolve) => second.once("close", resolve))).toBe(1005);
    expect(s.socket.readyState).toBe("open");
    ws.close();
  });

  test("a second WebSocket while one is probing is opened and closed; the probe goes on", async () => {
    const s = await openPolling();
    const ws = new WebSocket(s.wsUrl);
    await opened(ws);
    const second = new WebSocket(s.wsUrl);
    expect(await new Promise<number>((resolve) => second.once("close", resolve))).toBe(1005);
    expect(s.socket.upgrading).toBe(true);
    ws.close();
  });

  test("a wrong packet instead of the probe cancels the upgrade; the session stays on polling", async () => {
    const s = await openPolling();
    const ws = new WebSocket(s.wsUrl);
    await opened(ws);
    const wsGone = new Promise((resolve) => ws.once("close", resolve));
    ws.send("4not a probe");
    await wsGone;
    expect(s.socket.upgrading).toBe(false);
    expect(s.socket.transport.name).toBe("polling");
    s.socket.send("still here");
    expect((await httpRequest(h.port, s.pollPath)).body).toBe("4still here");
  });

  test("`5` without a probe first cancels the upgrade", async () => {
    const s = await openPolling();
    const ws = new WebSocket(s.wsUrl);
    await opened(ws);
    const wsGone = new Promise((resolve) => ws.once("close", resolve));
    ws.send("5");
    await wsGone;
    expect(s.socket.transport.name).toBe("polling");
  });

  test("the probing WebSocket closing leaves the session on polling", async () => {
    const s = await openPolling();
    const ws = new WebSocket(s.wsUrl);
    await opened(ws);
    ws.send("2probe");
    await nextFrame(ws);
    ws.terminate();
    await new Promise<void>((resolve) => {
      const check = () => (s.socket.upgrading ? setImmediate(check) : resolve());
      check();
    });
    expect(s.socket.readyState).toBe("open");
    expect(s.socket.transport.name).toBe("polling");
  });

  test("closing the session during an upgrade closes the probing WebSocket too", async () => {
    const s = await openPolling();
    const ws = new WebSocket(s.wsUrl);
    await opened(ws);
    const wsGone = new Promise((resolve) => ws.once("close", resolve));
    s.socket.close(true);
    await wsGone;
    expect(h.engine.clientsCount).toBe(0);
  });

  test("allowUpgrades: false advertises no upgrades and refuses them", async () => {
    const s = await openPolling({ allowUpgrades: false });
    const ws = new WebSocket(s.wsUrl);
    const status = await new Promise<number>((resolve) => ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(400);
    const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
    expect(JSON.parse(res.body.slice(1)).upgrades).toEqual([]);
  });
});
