import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Socket as OfficialSocket } from "engine.io-client";
import { io as officialIo } from "socket.io-client";
import { Socket } from "@duplex/engine/client";
import { io, Manager } from "@duplex/client";

/**
 * packetCreate, flush, drain and heartbeat, recorded side by side from the
 * Duplex engine client and engine.io-client 6.6.8 on the same engine.io
 * server (the one socket.io 4.8.4 ships), which echoes each message: the
 * same events in the same order with the same packets.
 */
type Recorder = { on(event: string, fn: (...args: unknown[]) => void): unknown; send(data: string): unknown };

function record(socket: Recorder): { log: string[]; pinged: Promise<void> } {
  const log: string[] = [];
  let pinged!: () => void;
  const done = new Promise<void>((resolve) => (pinged = resolve));
  let sawPing = false;
  for (const event of ["packetCreate", "flush", "drain", "heartbeat", "ping", "open", "upgrade", "close", "message"]) {
    socket.on(event, (packet?: unknown) => {
      const p = packet as { type?: string; data?: unknown } | undefined;
      log.push(p?.type ? `${event} ${p.type}${p.data === undefined ? "" : " " + String(p.data)}` : event);
      if (event === "ping") sawPing = true;
      // The pong has left: the exchange is complete.
      if (event === "drain" && sawPing) pinged();
    });
  }
  socket.on("open", () => socket.send("hello"));
  return { log, pinged: done };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const engine = require(require.resolve("engine.io", { paths: [require.resolve("socket.io")] })) as {
  attach(http: ReturnType<typeof createServer>, opts: object): {
    on(event: "connection", fn: (conn: { on(event: "message", fn: (data: string) => void): void; send(data: string): void }) => void): void;
    close(): void;
  };
};

let http: ReturnType<typeof createServer>;
let server: ReturnType<typeof engine.attach>;
let url: string;

beforeAll(async () => {
  http = createServer();
  // The first ping comes a second after the open: long enough that the first write's
  // "drain" precedes it in both clients even on a loaded machine.
  server = engine.attach(http, { path: "/socket.io/", pingInterval: 1000, pingTimeout: 2000 });
  server.on("connection", (conn) => conn.on("message", (data) => conn.send(data)));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

test.each([[["websocket"]], [["polling"]], [["polling", "websocket"]]])("transports %j: the same events as engine.io-client, in the same order", async (transports) => {
  const transport = transports.join(",");
  const opts = { path: "/socket.io", transports: transports as ["websocket"] };
  const duplex = new Socket(url, opts);
  const official = new OfficialSocket(url, opts);
  try {
    const ours = record(duplex);
    const theirs = record(official as unknown as Recorder);
    await Promise.all([ours.pinged, theirs.pinged]);
    if (transport === "websocket") expect(ours.log).toEqual(theirs.log);
    else {
      // Over polling, whether the POST's "ok" or the GET carrying the echo comes back first, and
      // how the server batches packets in a poll (noops during the upgrade), is the network's race
      // in both clients: the write path keeps its order; heartbeats come with what arrives.
      const writePath = (log: string[]) => log.filter((line) => !/^(heartbeat|message)/.test(line));
      expect(writePath(ours.log)).toEqual(writePath(theirs.log));
      expect(ours.log.indexOf("heartbeat")).toBe(0);
    }
    // What the log holds, so that an empty or trivial log cannot pass.
    expect(ours.log).toEqual(expect.arrayContaining(["heartbeat", "open", "packetCreate message hello", "flush", "drain", "message", "ping", "packetCreate pong"]));
  } finally {
    duplex.close();
    official.close();
  }
});

test("hasListeners on Socket and Manager, as socket.io-client's component-emitter answers", () => {
  const ours = io(url, { autoConnect: false, forceNew: true });
  const theirs = officialIo(url, { autoConnect: false, forceNew: true });
  const answers = (socket: typeof ours | typeof theirs) => {
    const listener = () => undefined;
    const manager = socket.io as unknown as Manager;
    const seen = [socket.hasListeners("news"), manager.hasListeners("reconnect")];
    socket.on("news", listener);
    manager.on("reconnect", listener);
    seen.push(socket.hasListeners("news"), manager.hasListeners("reconnect"));
    socket.off("news", listener);
    manager.off("reconnect", listener);
    seen.push(socket.hasListeners("news"), manager.hasListeners("reconnect"));
    return seen;
  };
  expect(answers(ours)).toEqual([false, false, true, true, false, false]);
  expect(answers(ours)).toEqual(answers(theirs));
});
