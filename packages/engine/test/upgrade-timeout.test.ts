import { connect } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import type { EngineSocket } from "@duplex/engine";
import { quiet, stopwatch, within } from "../../../test-support/timing";
import { httpRequest, nextFrame, opened, openPollingSession, startEngine, type Harness, type PollingSession } from "./helpers";

/**
 * The engine's one-shot timers, with real timers and real sockets:
 * upgradeTimeout, the polling transport's closeTimeout and
 * destroyUpgradeTimeout. Each test waits for the event the timer causes and
 * checks it came neither early nor never; fake timers cannot show the
 * second (a timer that a fake clock fires may never fire in Node).
 */

const UPGRADE_TIMEOUT = 300;
const CLOSE_TIMEOUT = 300;
const DESTROY_UPGRADE_TIMEOUT = 300;
/** The test measures from its own side of the socket, a little after the server armed the timer. */
const EARLY = 100;
/** How late an event may come on a loaded machine and still count. */
const LATE = 3000;

let h: Harness;
afterEach(() => h.close());

async function openPolling(): Promise<PollingSession> {
  h = await startEngine({ upgradeTimeout: UPGRADE_TIMEOUT, closeTimeout: CLOSE_TIMEOUT, destroyUpgradeTimeout: DESTROY_UPGRADE_TIMEOUT });
  return openPollingSession(h);
}

function closed(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => ws.once("close", () => resolve()));
}

/** The session is still usable over polling: a message from the server arrives on a poll. */
async function stillPolling(s: PollingSession): Promise<void> {
  expect(s.socket.readyState).toBe("open");
  expect(s.socket.upgrading).toBe(false);
  expect(s.socket.transport.name).toBe("polling");
  s.socket.send("still here");
  expect((await httpRequest(h.port, s.pollPath)).body).toBe("4still here");
}

describe("upgradeTimeout", () => {
  test("a probe answered but never followed by `5`: the WebSocket is dropped after upgradeTimeout, the session stays on polling", async () => {
    const s = await openPolling();
    const ws = new WebSocket(s.wsUrl);
    const gone = closed(ws);
    await opened(ws);
    const clock = stopwatch();
    ws.send("2probe");
    expect(await nextFrame(ws)).toBe("3probe");
    await within(gone, UPGRADE_TIMEOUT + LATE, "the server closes the probing WebSocket");
    expect(clock.ms()).toBeGreaterThanOrEqual(UPGRADE_TIMEOUT - EARLY);
    await stillPolling(s);
  });

  test("a WebSocket that never probes is dropped after upgradeTimeout, the session stays on polling", async () => {
    const s = await openPolling();
    const ws = new WebSocket(s.wsUrl);
    const gone = closed(ws);
    await opened(ws);
    const clock = stopwatch();
    expect(s.socket.upgrading).toBe(true);
    await within(gone, UPGRADE_TIMEOUT + LATE, "the server closes the silent WebSocket");
    expect(clock.ms()).toBeGreaterThanOrEqual(UPGRADE_TIMEOUT - EARLY);
    await stillPolling(s);
  });

  test("after a failed attempt, a new one gets its own upgradeTimeout and can complete", async () => {
    const s = await openPolling();
    const first = new WebSocket(s.wsUrl);
    const firstGone = closed(first);
    await opened(first);
    await within(firstGone, UPGRADE_TIMEOUT + LATE, "the first attempt is dropped");

    const second = new WebSocket(s.wsUrl);
    await opened(second);
    second.send("2probe");
    expect(await nextFrame(second)).toBe("3probe");
    const upgraded = new Promise((resolve) => s.socket.once("upgrade", resolve));
    second.send("5");
    await within(upgraded, LATE, "the second attempt completes");
    expect(s.socket.transport.name).toBe("websocket");
    second.close();
  });

  test("an upgrade completed in time is not undone when upgradeTimeout passes", async () => {
    const s = await openPolling();
    const ws = new WebSocket(s.wsUrl);
    await opened(ws);
    ws.send("2probe");
    await nextFrame(ws);
    const upgraded = new Promise((resolve) => s.socket.once("upgrade", resolve));
    ws.send("5");
    await upgraded;
    let wsClosed = false;
    ws.once("close", () => (wsClosed = true));
    await quiet(UPGRADE_TIMEOUT + 200);
    expect(wsClosed).toBe(false);
    expect(s.socket.readyState).toBe("open");
    expect(s.socket.transport.name).toBe("websocket");
    const echoed = nextFrame(ws);
    s.socket.send("over ws");
    expect(await echoed).toBe("4over ws");
    ws.close();
  });
});

describe("polling closeTimeout", () => {
  test("socket.close() with no poll to carry the close packet ends the session after closeTimeout", async () => {
    const s = await openPolling();
    const ended = new Promise<string>((resolve) => s.socket.once("close", (reason: string) => resolve(reason)));
    const clock = stopwatch();
    s.socket.close();
    expect(await within(ended, CLOSE_TIMEOUT + LATE, "the session closes without a poll")).toBe("forced close");
    expect(clock.ms()).toBeGreaterThanOrEqual(CLOSE_TIMEOUT - 5);
    expect(h.engine.clientsCount).toBe(0);
    expect((await httpRequest(h.port, s.pollPath)).status).toBe(400);
  });

  test("a poll that comes within closeTimeout takes the close packet", async () => {
    const s = await openPolling();
    const ended = new Promise<string>((resolve) => s.socket.once("close", (reason: string) => resolve(reason)));
    s.socket.close();
    await quiet(CLOSE_TIMEOUT / 3);
    expect(s.socket.readyState).not.toBe("closed");
    // As engine.io 6.6: a close that waited for its poll goes out after a noop.
    expect((await httpRequest(h.port, s.pollPath)).body).toBe("6\x1e1");
    expect(await ended).toBe("forced close");
  });
});

describe("socket.close() with packets still buffered on polling", () => {
  test("a client that never polls again: the session still ends, by the heartbeat, not left open", async () => {
    h = await startEngine({ pingInterval: 200, pingTimeout: 200, closeTimeout: 60_000 });
    const connected = new Promise<EngineSocket>((resolve) => h.engine.once("connection", resolve));
    await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
    const socket = await connected;
    // No poll is pending: the packet waits in the buffer, and close() waits for it to be written.
    socket.send("never taken");
    const ended = new Promise<string>((resolve) => socket.once("close", (reason: string) => resolve(reason)));
    socket.close();
    // closeTimeout (60 s here) never starts: the transport is only asked to close once the buffer is written.
    expect(await within(ended, 200 + 200 + LATE, "the session ends")).toBe("ping timeout");
    expect(h.engine.clientsCount).toBe(0);
  });
});

describe("destroyUpgradeTimeout", () => {
  /** A raw WebSocket handshake to `path`; resolves with the ms until the server ended the TCP connection, and what it wrote. */
  function foreignUpgrade(port: number, path: string): Promise<{ ms: number; received: string }> {
    return new Promise((resolve, reject) => {
      const clock = stopwatch();
      let received = "";
      const socket = connect(port, "127.0.0.1", () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        );
      });
      socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
      socket.on("error", reject);
      socket.once("close", () => resolve({ ms: clock.ms(), received }));
    });
  }

  test("an upgrade to another path that nobody answers is ended after destroyUpgradeTimeout", async () => {
    h = await startEngine({ destroyUpgradeTimeout: DESTROY_UPGRADE_TIMEOUT });
    const { ms, received } = await within(foreignUpgrade(h.port, "/elsewhere"), DESTROY_UPGRADE_TIMEOUT + LATE, "the foreign upgrade is ended");
    expect(received).toBe("");
    expect(ms).toBeGreaterThanOrEqual(DESTROY_UPGRADE_TIMEOUT - 5);
  });

  test("an upgrade to another path that another listener answers is left alone", async () => {
    h = await startEngine({ destroyUpgradeTimeout: DESTROY_UPGRADE_TIMEOUT });
    const other = new WebSocketServer({ noServer: true });
    h.http.on("upgrade", (req, socket, head) => {
      if (req.url === "/elsewhere") other.handleUpgrade(req, socket, head, (ws) => ws.send("hello from elsewhere"));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/elsewhere`);
    let wsClosed = false;
    ws.once("close", () => (wsClosed = true));
    expect(await nextFrame(ws)).toBe("hello from elsewhere");
    await quiet(DESTROY_UPGRADE_TIMEOUT + 200);
    expect(wsClosed).toBe(false);
    ws.close();
    await closed(ws);
    other.close();
  });
});
