import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import type { CloseReason, EngineSocket } from "@duplex/engine";
import { httpRequest, startEngine, type Harness } from "./helpers";

/**
 * A peer that vanishes without a TCP close (it stops reading and answering)
 * is found by the heartbeat alone. Real timers and real sockets throughout:
 * Jest's fake timers once hid a heartbeat that never timed out after the
 * first pong, because they re-arm a cleared timer on `refresh()` and Node
 * does not.
 */

const PING_INTERVAL = 200;
const PING_TIMEOUT = 100;
const DEADLINE = PING_INTERVAL + PING_TIMEOUT;
// Timers never fire early; how late they fire depends on the machine's load.
const EARLY = 5;
const LATE = 50;

let h: Harness;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await h.close();
});

/** What the server saw of one session: its pongs and its end, timed. */
interface Watch {
  socket: EngineSocket;
  /** When the session opened, then when each pong arrived. */
  lastPongAt: number;
  pongs: number;
  closed: Promise<{ reason: CloseReason; at: number }>;
}

async function start(): Promise<void> {
  h = await startEngine({ pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT, upgradeTimeout: 10_000 });
}

function nextSession(): Promise<Watch> {
  return new Promise((resolve) =>
    h.engine.once("connection", (socket: EngineSocket) => {
      const watch: Watch = {
        socket,
        lastPongAt: performance.now(),
        pongs: 0,
        closed: new Promise((done) => socket.once("close", (reason) => done({ reason, at: performance.now() }))),
      };
      socket.on("heartbeat", () => {
        watch.pongs++;
        watch.lastPongAt = performance.now();
      });
      resolve(watch);
    }),
  );
}

/** A raw WebSocket peer that answers `answers` pings, then stops reading and answering, without closing. */
function websocketPeer(answers: number, url = `ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket`): WebSocket {
  const ws = new WebSocket(url);
  let answered = 0;
  ws.on("message", (data) => {
    if (String(data) !== "2") return;
    if (answered < answers) {
      answered++;
      ws.send("3");
    } else {
      ws.pause();
    }
  });
  ws.on("error", () => {});
  cleanups.push(() => ws.terminate());
  return ws;
}

/** A raw polling peer that answers `answers` pings, then sends no request at all. */
async function pollingPeer(answers: number): Promise<string> {
  const open = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
  const sid = JSON.parse(open.body.slice(1)).sid as string;
  const path = `/engine.io/?EIO=4&transport=polling&sid=${sid}`;
  void (async () => {
    let answered = 0;
    while (answered < answers) {
      const poll = await httpRequest(h.port, path);
      if (poll.status !== 200) return;
      if (poll.body.split("\x1e").includes("2")) {
        answered++;
        await httpRequest(h.port, path, { method: "POST", body: "3" });
      }
    }
  })().catch(() => {});
  return path;
}

/** The session closed with "ping timeout" after `pongs` pongs, pingInterval + pingTimeout after the last one. */
async function expectDroppedOnTime(watch: Watch, pongs: number): Promise<number> {
  const { reason, at } = await watch.closed;
  expect(reason).toBe("ping timeout");
  expect(watch.pongs).toBe(pongs);
  const detectedAfter = at - watch.lastPongAt;
  expect(detectedAfter).toBeGreaterThanOrEqual(DEADLINE - EARLY);
  expect(detectedAfter).toBeLessThanOrEqual(DEADLINE + LATE);
  return detectedAfter;
}

async function expectPingTimeout(watch: Watch, pongs: number): Promise<number> {
  const detectedAfter = await expectDroppedOnTime(watch, pongs);
  expect(h.engine.clientsCount).toBe(0);
  return detectedAfter;
}

describe.each(["websocket", "polling"] as const)("over %s", (transport) => {
  async function peer(answers: number): Promise<Watch> {
    const session = nextSession();
    if (transport === "websocket") websocketPeer(answers);
    else await pollingPeer(answers);
    return session;
  }

  test("a peer that answers three pings and then goes silent is dropped pingInterval + pingTimeout after its last pong", async () => {
    await start();
    await expectPingTimeout(await peer(3), 3);
  });

  test("a peer that never answers is dropped pingInterval + pingTimeout after the open packet", async () => {
    await start();
    await expectPingTimeout(await peer(0), 0);
  });

  // The sessions' heartbeats share one timer per delay: each must still be timed from its own pongs.
  test("peers opened at different times are each dropped pingInterval + pingTimeout after their own last pong", async () => {
    await start();
    const keeper = await peer(Infinity);
    const silent: Array<{ watch: Watch; answers: number }> = [];
    for (const answers of [2, 0, 1, 3]) {
      silent.push({ watch: await peer(answers), answers });
      await new Promise((resolve) => setTimeout(resolve, 70));
    }
    for (const { watch, answers } of silent) await expectDroppedOnTime(watch, answers);
    expect(keeper.socket.readyState).toBe("open");
    expect(keeper.pongs).toBeGreaterThanOrEqual(3);
    expect(h.engine.clientsCount).toBe(1);
  });

  test("a peer that keeps answering stays connected for 20 intervals", async () => {
    await start();
    const watch = await peer(Infinity);
    let closed = false;
    void watch.closed.then(() => (closed = true));
    await new Promise<void>((resolve) => {
      watch.socket.on("heartbeat", () => {
        if (watch.pongs === 20) resolve();
      });
    });
    expect(closed).toBe(false);
    expect(watch.socket.readyState).toBe("open");
  });
});

test("during an upgrade: a peer that probed a WebSocket and then went silent is dropped with 'ping timeout'", async () => {
  await start();
  const session = nextSession();
  const path = await pollingPeer(2);
  const watch = await session;
  await new Promise<void>((resolve) => {
    watch.socket.on("heartbeat", () => {
      if (watch.pongs === 2) resolve();
    });
  });
  // Probe the WebSocket, then neither send `5` nor poll again; upgradeTimeout is far away.
  const ws = websocketPeer(0, `ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket&sid=${path.split("sid=")[1]}`);
  await new Promise((resolve) => ws.once("open", resolve));
  const probed = new Promise((resolve) => ws.once("message", resolve));
  ws.send("2probe");
  expect(String(await probed)).toBe("3probe");
  expect(watch.socket.upgrading).toBe(true);
  await expectPingTimeout(watch, 2);
});

test("during an upgrade: pongs over polling keep the session while the probe waits", async () => {
  await start();
  const session = nextSession();
  const path = await pollingPeer(Infinity);
  const watch = await session;
  const ws = websocketPeer(0, `ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket&sid=${path.split("sid=")[1]}`);
  await new Promise((resolve) => ws.once("open", resolve));
  expect(watch.socket.upgrading).toBe(true);
  await new Promise<void>((resolve) => {
    watch.socket.on("heartbeat", () => {
      if (watch.pongs === 5) resolve();
    });
  });
  expect(watch.socket.readyState).toBe("open");
  expect(watch.socket.upgrading).toBe(true);
});
