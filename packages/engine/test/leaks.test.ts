/**
 * Opens and closes many sessions over real sockets and checks that the
 * server lets go of everything: sessions, heartbeat/upgrade/close timers, and
 * listeners on the HTTP server.
 *
 * Timers are counted with process.getActiveResourcesInfo(), which lists every
 * ref'd Timeout of the process; the server's upgrade and close timers are
 * ref'd, so one left behind per session shows up as +N. Heartbeats hold no
 * timer of their own: they wait in the server's two heartbeat queues, which
 * hold one timer each while anything waits in them. A heartbeat left behind
 * would show here as +1 or +2 only, within SLACK; that a stopped heartbeat
 * leaves its queue, and that an empty queue holds no timer, is checked in
 * src/heartbeat.test.ts and src/timer-queue.test.ts.
 */
import { request, type ClientRequest } from "node:http";
import WebSocket from "ws";
import { Socket as ClientSocket } from "engine.io-client";
import type { CloseReason, EngineSocket } from "@duplex/engine";
import { once, pollingHandshake, startEngine, type Harness } from "./helpers";

const SESSIONS = 1000;
const BATCH = 100;
/** Timers the process may hold after the run that are not per session (jest, http internals). */
const SLACK = 5;

let h: Harness | undefined;
/** Everything a test opened, closed in afterEach whatever happened. */
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await h?.close();
  h = undefined;
});

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

function httpListeners(): Record<string, number> {
  const server = h!.http;
  return {
    request: server.listenerCount("request"),
    upgrade: server.listenerCount("upgrade"),
    close: server.listenerCount("close"),
    connection: server.listenerCount("connection"),
  };
}

/** Resolves once `condition()` holds, checking every few ms; gives up (quietly) after `ms`. */
async function settle(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** How session `i` ends: by the client (gracefully or by dropping its connection) or by the server. */
type Ending = "client close" | "client drop" | "server close";

function endingOf(i: number): Ending {
  const k = i % 10;
  if (k < 4) return "client close";
  if (k < 5) return "client drop";
  return "server close";
}

interface Open {
  socket: EngineSocket;
  /** Ends the session the planned way; resolves with the server's close reason once both sides are done. */
  end(): Promise<CloseReason>;
}

/**
 * Tracks the engine's sessions by sid, and a tally of the reasons they closed with.
 */
function track(): { sockets: Map<string, EngineSocket>; reasons: Record<string, number> } {
  const sockets = new Map<string, EngineSocket>();
  const reasons: Record<string, number> = {};
  h!.engine.on("connection", (socket) => {
    sockets.set(socket.id, socket);
    socket.once("close", (reason) => {
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      sockets.delete(socket.id);
    });
  });
  return { sockets, reasons };
}

/** A session through the real engine.io-client, ended by the client or by the server. */
async function openClient(
  transports: Array<"polling" | "websocket"> | undefined,
  sockets: Map<string, EngineSocket>,
  ending: "client close" | "server close",
): Promise<Open> {
  const client = new ClientSocket(`http://127.0.0.1:${h!.port}`, transports ? { transports } : {});
  cleanups.push(() => client.close());
  await once(client, "open");
  const socket = sockets.get(client.id)!;
  return {
    socket,
    end: async () => {
      const serverClosed = once<[CloseReason]>(socket, "close");
      const clientClosed = once<[string]>(client, "close");
      if (ending === "client close") client.close();
      else socket.close();
      const [[reason], [clientReason]] = await Promise.all([serverClosed, clientClosed]);
      expect(clientReason).toBe(ending === "client close" ? "forced close" : "transport close");
      return reason;
    },
  };
}

/** A polling session by hand whose client vanishes: its pending poll's connection is destroyed. */
async function openDroppedPolling(sockets: Map<string, EngineSocket>): Promise<Open> {
  const { sid } = await pollingHandshake(h!.port);
  const socket = sockets.get(sid)!;
  const poll: ClientRequest = request({
    host: "127.0.0.1",
    port: h!.port,
    path: `/engine.io/?EIO=4&transport=polling&sid=${sid}`,
    agent: false,
  });
  poll.on("error", () => {}); // the drop is the point
  poll.end();
  cleanups.push(() => poll.destroy());
  // The poll is pending once the transport can write.
  await settle(() => socket.transport.writable);
  expect(socket.transport.writable).toBe(true);
  return {
    socket,
    end: async () => {
      const closed = once<[CloseReason]>(socket, "close");
      poll.destroy();
      return (await closed)[0];
    },
  };
}

/** A raw WebSocket session whose client vanishes: its TCP connection is destroyed without a close frame. */
async function openDroppedWebSocket(sockets: Map<string, EngineSocket>): Promise<Open> {
  const ws = new WebSocket(`ws://127.0.0.1:${h!.port}/engine.io/?EIO=4&transport=websocket`);
  ws.on("error", () => {});
  cleanups.push(() => ws.terminate());
  const [first] = await once<[WebSocket.RawData]>(ws, "message");
  const sid = (JSON.parse(String(first).slice(1)) as { sid: string }).sid;
  const socket = sockets.get(sid)!;
  return {
    socket,
    end: async () => {
      const closed = once<[CloseReason]>(socket, "close");
      ws.terminate();
      return (await closed)[0];
    },
  };
}

type UpgradeEnding = "client close" | "server close" | "client close mid-upgrade" | "server close mid-upgrade";

/**
 * A session through the real engine.io-client with its default transports:
 * polling, then the upgrade to WebSocket. Ended after the upgrade, or while
 * it is under way (the close is armed on the "upgrading" event of one side).
 */
async function openUpgrading(sockets: Map<string, EngineSocket>, ending: UpgradeEnding): Promise<Open> {
  const client = new ClientSocket(`http://127.0.0.1:${h!.port}`);
  cleanups.push(() => client.close());
  const clientUpgraded = once(client, "upgrade");
  await once(client, "open");
  // The probe's WebSocket handshake needs a round trip: nothing of the upgrade has happened yet.
  const socket = sockets.get(client.id)!;
  const serverClosed = once<[CloseReason]>(socket, "close");
  const clientClosed = once<[string]>(client, "close");
  if (ending === "server close mid-upgrade") socket.once("upgrading", () => socket.close());
  if (ending === "client close mid-upgrade") client.once("upgrading", () => client.close());
  return {
    socket,
    end: async () => {
      if (ending === "client close" || ending === "server close") {
        await clientUpgraded;
        if (socket.transport.name !== "websocket") await once(socket, "upgrade");
        if (ending === "client close") client.close();
        else socket.close();
      }
      const [[reason], [clientReason]] = await Promise.all([serverClosed, clientClosed]);
      expect(clientReason).toBe(ending.startsWith("client") ? "forced close" : "transport close");
      return reason;
    },
  };
}

/**
 * Runs SESSIONS sessions in batches of BATCH: each batch is opened at once,
 * then ended at once. Returns the timer count seen while the first batch was open.
 */
async function run(open: (i: number) => Promise<Open>): Promise<number> {
  let peak = -1;
  for (let start = 0; start < SESSIONS; start += BATCH) {
    const batch = await Promise.all(Array.from({ length: BATCH }, (_, j) => open(start + j)));
    for (const { socket } of batch) expect(socket.readyState).toBe("open");
    if (peak < 0) {
      peak = activeTimers();
      expect(h!.engine.clientsCount).toBe(BATCH);
    }
    await Promise.all(batch.map((s) => s.end()));
    cleanups.length = 0; // this batch is closed: nothing of it is left to clean up
  }
  return peak;
}

async function expectNothingLeft(baseline: { timers: number; listeners: Record<string, number> }, peak?: number) {
  // The measure sees the server's timers: with a batch open there were more
  // (the heartbeat queues', and per session the transport's).
  if (peak !== undefined) expect(peak).toBeGreaterThan(baseline.timers);

  expect(h!.engine.clientsCount).toBe(0);
  expect(h!.engine.sessions.size).toBe(0);
  // ws's closing-handshake timers go when the TCP connections are gone: give them a moment.
  await settle(() => activeTimers() <= baseline.timers + SLACK);
  expect(activeTimers()).toBeLessThanOrEqual(baseline.timers + SLACK);
  expect(httpListeners()).toEqual(baseline.listeners);
}

async function begin() {
  h = await startEngine();
  const tracked = track();
  const baseline = { timers: activeTimers(), listeners: httpListeners() };
  return { ...tracked, baseline };
}

describe("no leaks after many sessions", () => {
  test(`${SESSIONS} polling sessions: closed by client, dropped by client, closed by server`, async () => {
    const { sockets, reasons, baseline } = await begin();
    const peak = await run((i) => {
      const ending = endingOf(i);
      return ending === "client drop" ? openDroppedPolling(sockets) : openClient(["polling"], sockets, ending);
    });
    await expectNothingLeft(baseline, peak);
    expect(reasons).toEqual({
      "transport close": SESSIONS * 0.4, // the client's close packet
      "transport error": SESSIONS * 0.1, // the pending poll's connection went away
      "forced close": SESSIONS * 0.5, // socket.close()
    });
  });

  test(`${SESSIONS} WebSocket sessions: closed by client, dropped by client, closed by server`, async () => {
    const { sockets, reasons, baseline } = await begin();
    const peak = await run((i) => {
      const ending = endingOf(i);
      return ending === "client drop" ? openDroppedWebSocket(sockets) : openClient(["websocket"], sockets, ending);
    });
    await expectNothingLeft(baseline, peak);
    expect(reasons).toEqual({
      "transport close": SESSIONS * 0.5, // a close frame, or the TCP connection gone
      "forced close": SESSIONS * 0.5,
    });
  });

  test("400 upgraded sessions, closed after the upgrade or in the middle of it, by either side", async () => {
    const { sockets, reasons, baseline } = await begin();
    const endings: UpgradeEnding[] = ["client close", "server close", "client close mid-upgrade", "server close mid-upgrade"];
    const N = 400;
    const closedOver: Record<string, number> = {};
    for (let start = 0; start < N; start += BATCH) {
      const batch = await Promise.all(
        Array.from({ length: BATCH }, (_, j) => openUpgrading(sockets, endings[(start + j) % endings.length])),
      );
      await Promise.all(
        batch.map(async ({ socket, end }, j) => {
          await end();
          const key = `${endings[(start + j) % endings.length]} over ${socket.transport.name}`;
          closedOver[key] = (closedOver[key] ?? 0) + 1;
        }),
      );
      cleanups.length = 0;
    }
    await expectNothingLeft(baseline);
    expect(reasons).toEqual({ "transport close": N / 2, "forced close": N / 2 });
    // A client that closes while upgrading waits for the upgrade to finish first; a server
    // that closes while the probe is under way may close over polling (the transport then current).
    const perEnding = N / endings.length;
    expect(closedOver["client close over websocket"]).toBe(perEnding);
    expect(closedOver["server close over websocket"]).toBe(perEnding);
    expect(closedOver["client close mid-upgrade over websocket"]).toBe(perEnding);
    expect(
      (closedOver["server close mid-upgrade over polling"] ?? 0) + (closedOver["server close mid-upgrade over websocket"] ?? 0),
    ).toBe(perEnding);
  });
});
