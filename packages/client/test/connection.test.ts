import { createServer as createHttp } from "node:http";
import { createServer as createNet, type Socket as NetSocket } from "node:net";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { Manager as OfficialManager } from "socket.io-client";
import { io, Manager, type Socket } from "@duplex/client";
import { SERVERS, client, closeAll, collect, connected, onCleanup, once, startServer, track, type AnyServer, type Harness } from "./helpers";

/** Connection lifecycle: disconnect reasons, Manager events, reconnection, recovery, errors. */
afterEach(closeAll);

const FAST = { reconnection: true, reconnectionDelay: 20, reconnectionDelayMax: 50 };

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const srv = createNet();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

describe.each(SERVERS)("against the %s server", (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startServer(kind, { pingInterval: 200, pingTimeout: 1000 });
  });

  async function pair(opts = {}): Promise<[Socket, AnyServer]> {
    const serverSide = once<[AnyServer]>(h.io, "connection");
    const socket = client(h.url, opts);
    await connected(socket);
    return [socket, (await serverSide)[0]];
  }

  test('"io server disconnect": the server disconnects the socket; no reconnection', async () => {
    const [socket, s] = await pair(FAST);
    const reason = once<[string]>(socket, "disconnect");
    s.disconnect();
    expect(await reason).toEqual(["io server disconnect"]);
    expect(socket.active).toBe(false);
    expect(socket.connected).toBe(false);
    expect(socket.id).toBeUndefined();
  });

  test('"io client disconnect": the server sees "client namespace disconnect"', async () => {
    const [socket, s] = await pair(FAST);
    const serverReason = once<[string]>(s, "disconnect");
    const events: unknown[] = [];
    socket.on("disconnect", (r: string) => events.push(r));
    socket.disconnect();
    expect(events).toEqual(["io client disconnect"]);
    expect(await serverReason).toEqual(["client namespace disconnect"]);
    expect(socket.active).toBe(false);
  });

  test.each(["polling", "websocket"] as const)('"transport close" over %s: the server closes the engine socket; the client reconnects', async (transport) => {
    const [socket, s] = await pair({ ...FAST, transports: [transport] });
    const firstId = socket.id;
    const reason = once<[string]>(socket, "disconnect");
    s.conn.close();
    expect(await reason).toEqual(["transport close"]);
    expect(socket.active).toBe(true);
    await once(socket, "connect");
    expect(socket.id).not.toBe(firstId);
  });

  test('Manager events: "open", "ping", "close"; socket "connect"/"disconnect" and their order', async () => {
    const socket = client(h.url, { autoConnect: false });
    const log: string[] = [];
    socket.io.on("open", () => log.push("open"));
    socket.io.on("close", (r: string) => log.push(`close:${r}`));
    socket.on("connect", () => log.push("connect"));
    socket.on("disconnect", (r: string) => log.push(`disconnect:${r}`));
    const ping = once(socket.io, "ping");
    socket.connect();
    await connected(socket);
    await ping;
    socket.disconnect();
    // As socket.io-client: the manager closes (no namespace left) before the socket reports.
    expect(log).toEqual(["open", "connect", "close:forced close", "disconnect:io client disconnect"]);
    expect(socket.io.engine!.readyState).not.toBe("open");
  });

  test("reconnection after the server restarts on the same port", async () => {
    const socket = client(h.url, FAST);
    await connected(socket);
    const log: string[] = [];
    socket.io.on("reconnect_attempt", (n: number) => log.push(`attempt:${n}`));
    socket.io.on("reconnect", (n: number) => log.push(`reconnect:${n}`));
    const reason = once<[string]>(socket, "disconnect");
    await h.close();
    expect(["transport close", "transport error"]).toContain((await reason)[0]);
    await once(socket.io, "reconnect_attempt");
    const h2 = await startServer(kind, {}, h.port);
    const [s] = await Promise.all([once<[AnyServer]>(h2.io, "connection"), once(socket, "connect")]).then(([a]) => a);
    expect(socket.id).toBe(s.id);
    expect(socket.connected).toBe(true);
    const last = log[log.length - 1];
    expect(last).toMatch(/^reconnect:\d+$/);
    expect(log[0]).toBe("attempt:1");
    // The attempt count reported by "reconnect" is the one of the last attempt.
    expect(log).toContain(`attempt:${last.split(":")[1]}`);
  });

  test("connection state recovery: same id, recovered, the packets missed meanwhile in order", async () => {
    await h.close();
    h = await startServer(kind, { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } });
    const [socket, s] = await pair({ ...FAST, transports: ["websocket"] });
    const got = collect<unknown>(4);
    socket.on("news", got.fn);
    expect(socket.recovered).toBe(false);
    const id = socket.id;
    // The client resumes from the offset of the last packet it got: socket.io needs one.
    h.io.emit("news", 0);
    await once(socket, "news");

    const down = once<[string]>(socket, "disconnect");
    const serverDown = once(s, "disconnect");
    s.conn.close(); // cut the transport from the server side
    expect(await down).toEqual(["transport close"]);
    await serverDown;
    h.io.emit("news", 1);
    h.io.emit("news", 2);
    h.io.emit("news", 3);

    await once(socket, "connect");
    expect(socket.recovered).toBe(true);
    expect(socket.id).toBe(id);
    expect(await got.done).toEqual([0, 1, 2, 3]);
  });

  test("connection state recovery after the client closes its own engine (socket.io.engine.close())", async () => {
    await h.close();
    h = await startServer(kind, { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } });
    const [socket, s] = await pair({ ...FAST, transports: ["websocket"] });
    const id = socket.id;
    const got = collect<unknown>(3);
    socket.on("news", got.fn);
    h.io.emit("news", "before");
    await once(socket, "news");
    const serverDown = once(s, "disconnect");
    socket.io.engine!.close();
    await serverDown;
    h.io.emit("news", "a");
    h.io.emit("news", "b");
    await once(socket, "connect");
    expect(socket.recovered).toBe(true);
    expect(socket.id).toBe(id);
    expect(await got.done).toEqual(["before", "a", "b"]);
  });

  test("without recovery on the server: recovered stays false and the id changes", async () => {
    const [socket, s] = await pair({ ...FAST, transports: ["websocket"] });
    const id = socket.id;
    s.conn.close();
    await once(socket, "connect");
    expect(socket.recovered).toBe(false);
    expect(socket.id).not.toBe(id);
  });

  test("auth callback runs again on reconnection", async () => {
    let calls = 0;
    const seen: unknown[] = [];
    h.io.on("connection", (s: AnyServer) => seen.push(s.handshake.auth));
    const first = once<[AnyServer]>(h.io, "connection");
    // WebSocket only: a socket.io 4.8.4 server whose session is closed during the upgrade probe keeps
    // the process alive ~30 s (socket.io-client does the same to it), which jest reports as an open handle.
    const socket = client(h.url, { ...FAST, transports: ["websocket"], auth: (cb) => cb({ n: ++calls }) });
    await connected(socket);
    (await first)[0].conn.close();
    await once(socket, "disconnect");
    await once(socket, "connect");
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe("errors before connecting", () => {
  test('reconnectionAttempts exhausted: "reconnect_attempt", "reconnect_error" each time, then "reconnect_failed"', async () => {
    const port = await freePort();
    const socket = client(`http://127.0.0.1:${port}`, { ...FAST, reconnectionAttempts: 2 });
    const log: string[] = [];
    socket.io.on("error", () => log.push("error"));
    socket.io.on("reconnect_attempt", (n: number) => log.push(`attempt:${n}`));
    socket.io.on("reconnect_error", () => log.push("reconnect_error"));
    socket.on("connect_error", () => log.push("connect_error"));
    await once(socket.io, "reconnect_failed");
    // The socket's "error" listener was there first: connect_error, then ours.
    expect(log).toEqual([
      "connect_error",
      "error",
      "attempt:1",
      "connect_error",
      "error",
      "reconnect_error",
      "attempt:2",
      "connect_error",
      "error",
      "reconnect_error",
    ]);
    expect(socket.connected).toBe(false);
  });

  test('timeout: a server that accepts TCP and never answers gives connect_error "timeout"', async () => {
    const held: NetSocket[] = [];
    const srv = createNet((c) => held.push(c));
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    onCleanup(() => {
      for (const c of held) c.destroy();
      return new Promise<void>((resolve) => srv.close(() => resolve()));
    });
    const t0 = Date.now();
    const socket = client(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`, { timeout: 300 });
    const [err] = await once<[Error]>(socket, "connect_error");
    expect(err.message).toBe("timeout");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(held.length).toBeGreaterThan(0);
  });

  test("a plain ws WebSocketServer: connect_error with code NOT_ENGINE_IO within 5 s", async () => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise((resolve) => wss.once("listening", resolve));
    onCleanup(() => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    });
    const t0 = Date.now();
    const socket = track(io(`http://127.0.0.1:${(wss.address() as AddressInfo).port}`));
    const [err] = await once<[Error & { code?: string }]>(socket, "connect_error");
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test("a plain HTTP server answering 404: connect_error with code NOT_ENGINE_IO within 5 s", async () => {
    const srv = createHttp((_req, res) => res.writeHead(404).end("Not Found"));
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    onCleanup(() => {
      srv.closeAllConnections();
      return new Promise<void>((resolve) => srv.close(() => resolve()));
    });
    const t0 = Date.now();
    const socket = track(io(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`));
    const [err] = await once<[Error & { code?: string }]>(socket, "connect_error");
    expect(err.code).toBe("NOT_ENGINE_IO");
    expect(err.message).toMatch(/404/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe("defaults", () => {
  test("the Manager's defaults are socket.io-client 4.8's", () => {
    const ours = new Manager("http://127.0.0.1:1", { autoConnect: false });
    const ref = new OfficialManager("http://127.0.0.1:1", { autoConnect: false });
    expect(ours.reconnection()).toBe(ref.reconnection());
    expect(ours.reconnection()).toBe(true);
    expect(ours.reconnectionAttempts()).toBe(ref.reconnectionAttempts());
    expect(ours.reconnectionAttempts()).toBe(Infinity);
    expect(ours.reconnectionDelay()).toBe(ref.reconnectionDelay());
    expect(ours.reconnectionDelay()).toBe(1000);
    expect(ours.reconnectionDelayMax()).toBe(ref.reconnectionDelayMax());
    expect(ours.reconnectionDelayMax()).toBe(5000);
    expect(ours.randomizationFactor()).toBe(ref.randomizationFactor());
    expect(ours.randomizationFactor()).toBe(0.5);
    expect(ours.timeout()).toBe(ref.timeout());
    expect(ours.timeout()).toBe(20000);
    expect(ours.opts.path).toBe(ref.opts.path);
    expect(ours.opts.path).toBe("/socket.io");
    expect(ours.engine).toBeUndefined();
  });

  test("0 and falsy values mean the default, as in socket.io-client", () => {
    const opts = { autoConnect: false, reconnectionAttempts: 0, reconnectionDelay: 0, reconnectionDelayMax: 0, randomizationFactor: 0, timeout: 0 };
    const ours = new Manager("http://127.0.0.1:1", opts);
    const ref = new OfficialManager("http://127.0.0.1:1", opts);
    for (const k of ["reconnectionAttempts", "reconnectionDelay", "reconnectionDelayMax", "randomizationFactor", "timeout"] as const) {
      expect([k, ours[k]()]).toEqual([k, ref[k]()]);
    }
  });

  test("setters chain and change the behaviour", () => {
    const m = new Manager("http://127.0.0.1:1", { autoConnect: false });
    expect(m.reconnection(false).reconnectionAttempts(3).reconnectionDelay(10).reconnectionDelayMax(20).randomizationFactor(0).timeout(50)).toBe(m);
    expect([m.reconnection(), m.reconnectionAttempts(), m.reconnectionDelay(), m.reconnectionDelayMax(), m.randomizationFactor(), m.timeout()]).toEqual([
      false, 3, 10, 20, 0, 50,
    ]);
  });

  test("autoConnect: io() connects at once by default", async () => {
    const h = await startServer("duplex");
    const socket = track(io(h.url, { forceNew: true }));
    expect(socket.active).toBe(true);
    expect(socket.io.engine).toBeDefined();
    await connected(socket);
  });
});
