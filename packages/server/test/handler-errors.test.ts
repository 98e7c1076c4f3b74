import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Server as SocketIoServer } from "socket.io";
import { Server } from "@duplex/server";
import { startServer, once, type ServerHarness } from "./helpers";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const run = promisify(execFile);
const fixture = join(__dirname, "fixtures", "throwing-connection-handler.js");
const duplexDist = join(__dirname, "..", "dist", "index.js");

async function surfaced(serverModule: string, middleware: string): Promise<{ kind: string; message?: string }> {
  const { stdout } = await run(process.execPath, [fixture, serverModule, require.resolve("socket.io-client"), middleware], {
    timeout: 20000,
  });
  return JSON.parse(stdout.trim().split("\n").pop() as string);
}

describe("an exception thrown in a connection handler", () => {
  it.each(["none", "sync", "promise"])("surfaces as uncaughtException, as in socket.io (middleware: %s)", async (middleware) => {
    const [reference, duplex] = await Promise.all([
      surfaced(require.resolve("socket.io"), middleware),
      surfaced(duplexDist, middleware),
    ]);
    expect(reference).toEqual({ kind: "uncaughtException", message: "boom" });
    expect(duplex).toEqual(reference);
  });
});

/**
 * Polls a raw Engine.IO session by hand, so that two Socket.IO packets travel
 * in one payload: `42["bye"]` (whose handler disconnects the socket) and
 * `42["after"]`.
 */
async function eventsAfterDisconnect(url: string, sessions: () => number): Promise<{ body: string; next: string; stillOpen: boolean }> {
  const base = `${url}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const sid = JSON.parse(open.slice(1)).sid as string;
  const session = `${base}&sid=${sid}`;
  await fetch(session, { method: "POST", body: "40" });
  await (await fetch(session)).text(); // 40{"sid":…}
  await fetch(session, { method: "POST", body: '42["bye"]\u001e42["after"]' });
  const body = await (await fetch(session)).text();
  // An open session's next poll carries the server's ping (pingInterval is
  // short); a session closed for a protocol violation answers with a close.
  const next = await (await fetch(session)).text();
  const pong = await fetch(session, { method: "POST", body: "3" });
  await pong.text();
  return { body, next, stillOpen: pong.status === 200 && sessions() === 1 };
}

describe("an event that arrives after its socket was disconnected", () => {
  let h: ServerHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  function handlers(io: Server | SocketIoServer, dispatched: string[]): void {
    (io as Server).on("connection", (socket) => {
      socket.on("bye", () => {
        dispatched.push("bye");
        socket.disconnect();
      });
      socket.on("after", () => dispatched.push("after"));
    });
  }

  it("is not dispatched, and the session stays open, as in socket.io", async () => {
    const refHttp = createServer();
    const ref = new SocketIoServer(refHttp, { pingInterval: 300, pingTimeout: 10000 });
    await new Promise<void>((resolve) => refHttp.listen(0, "127.0.0.1", resolve));
    const refDispatched: string[] = [];
    handlers(ref, refDispatched);
    const reference = await eventsAfterDisconnect(`http://127.0.0.1:${(refHttp.address() as AddressInfo).port}`, () => ref.engine.clientsCount);
    refHttp.closeAllConnections();
    await new Promise<void>((resolve) => ref.close(() => resolve()));

    h = await startServer({ pingInterval: 300, pingTimeout: 10000 });
    const dispatched: string[] = [];
    handlers(h.io, dispatched);
    const duplex = await eventsAfterDisconnect(h.url, () => h!.io.engine.clientsCount);

    expect(refDispatched).toEqual(["bye"]);
    expect(reference).toEqual({ body: "41", next: "2", stillOpen: true });
    expect(dispatched).toEqual(refDispatched);
    expect(duplex).toEqual(reference);
  });

  it("a socket middleware that calls next() after the disconnect does not dispatch", async () => {
    h = await startServer();
    const dispatched: string[] = [];
    let reached: (next: () => void) => void = () => undefined;
    const middlewareReached = new Promise<() => void>((resolve) => (reached = resolve));
    h.io.on("connection", (socket) => {
      socket.use((_event, next) => reached(next));
      socket.on("late", () => dispatched.push("late"));
    });
    const client = h.client();
    await once(client, "connect");
    const serverSocket = [...h.io.sockets.sockets.values()][0];
    client.emit("late");
    const release = await middlewareReached;
    const disconnected = once(serverSocket!, "disconnect");
    client.disconnect();
    await disconnected;
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(dispatched).toEqual([]);
  });
});
