/**
 * The Node client behind a real nginx (issue 5). Two server blocks proxy to
 * one Duplex server:
 * - "blocking": `proxy_pass` alone. nginx speaks HTTP/1.0 upstream and drops
 *   the hop-by-hop `Upgrade`/`Connection` headers, so plain HTTP (polling)
 *   passes and every WebSocket handshake fails: the proxy that blocks
 *   WebSocket. The client must end up connected over polling, whichever
 *   transport it tries first.
 * - "websocket": the same plus the three lines nginx needs to pass a
 *   WebSocket (TOOLCHAIN.md); the client must end up on WebSocket.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { io, type ClientOptions, type Socket } from "@duplex/client";
import { forgetWebSocketFailures } from "@duplex/engine/client";
import type { Socket as ServerSocket } from "@duplex/server";
import { startDuplex, type DuplexServer } from "../support/duplex";
import { nginxConf, startNginx, type Nginx } from "../../../../test-support/nginx";
import { freePort } from "../../../../test-support/net";
import { until } from "../../../../test-support/until";

// The server pings every 500 ms, well inside proxy_read_timeout (5 s): a
// long-poll GET is answered (by a ping) long before nginx would cut it.
const PING_INTERVAL = 500;
const PROXY_READ_TIMEOUT_S = 5;

let server: DuplexServer;
let nginx: Nginx;
const ports = { blocking: 0, websocket: 0 };
const clients: Socket[] = [];

beforeAll(async () => {
  server = await startDuplex(0, { pingInterval: PING_INTERVAL, pingTimeout: 1000 });
  server.io.on("connection", (socket: ServerSocket) => {
    // The ack says which transport the server sees the session on.
    socket.on("echo", (value: unknown, ack: (r: unknown) => void) => ack({ echo: value, transport: socket.conn.transport.name }));
  });
  ports.blocking = await freePort();
  ports.websocket = await freePort();
  const upstream = `http://127.0.0.1:${server.port}`;
  nginx = await startNginx(
    (dir) =>
      nginxConf(
        dir,
        `
  log_format probe '$server_port $status "$request"';
  proxy_read_timeout ${PROXY_READ_TIMEOUT_S}s;
  server {
    listen 127.0.0.1:${ports.blocking};
    access_log ${dir}/blocking.log probe;
    location / {
      proxy_pass ${upstream};
    }
  }
  server {
    listen 127.0.0.1:${ports.websocket};
    access_log ${dir}/websocket.log probe;
    location / {
      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
    }
  }`,
      ),
    [ports.blocking, ports.websocket],
  );
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.close();
  await nginx?.stop();
});

beforeEach(() => {
  // The engine client remembers, per endpoint, that WebSocket failed, and
  // would then not try it at all: each case must make the attempt itself.
  forgetWebSocketFailures();
});

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

/** A client through the proxy on `port`, tagged so its requests can be found in the access log. */
function open(port: number, tag: string, opts: ClientOptions = {}): Socket {
  const socket = io(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, query: { tag }, ...opts });
  clients.push(socket);
  return socket;
}

function connected(socket: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err: Error) => reject(new Error(`connect_error through nginx: ${err.message}`)));
  });
}

const connect = (port: number, tag: string, opts: ClientOptions = {}) => connected(open(port, tag, opts));

/** Settles with the engine's upgrade verdict: the transport name on "upgrade", the error on "upgradeError". */
function upgradeVerdict(socket: Socket): Promise<string | Error> {
  const engine = socket.io.engine!;
  return new Promise((resolve) => {
    engine.once("upgrade", (t: { name: string }) => resolve(t.name));
    engine.once("upgradeError", (err: Error) => resolve(err));
  });
}

/** The access-log lines of the requests made by the client tagged `tag`: `<status> <transport>`. */
function requests(log: "blocking" | "websocket", tag: string): string[] {
  let text = "";
  try {
    text = readFileSync(join(nginx.dir, `${log}.log`), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.includes(`tag=${tag}&`) || line.includes(`tag=${tag} `))
    .map((line) => `${line.split(" ")[1]} ${/transport=(\w+)/.exec(line)?.[1]}`);
}

const engineOf = (socket: Socket) => socket.io.engine!;

describe("nginx without the Upgrade headers (WebSocket blocked)", () => {
  test("default transports: opens on polling, the upgrade probe fails, stays on polling and exchanges messages", async () => {
    const socket = open(ports.blocking, "default");
    // Listening from the start: the probe may fail before "connect".
    const verdict = upgradeVerdict(socket);
    await connected(socket);
    expect(await verdict).toBeInstanceOf(Error);
    expect(engineOf(socket).transport.name).toBe("polling");
    expect(await socket.timeout(5000).emitWithAck("echo", "through nginx")).toEqual({ echo: "through nginx", transport: "polling" });
    // nginx answered the WebSocket attempt with something other than 101.
    const ws = requests("blocking", "default").filter((r) => r.endsWith("websocket"));
    expect(ws.length).toBeGreaterThan(0);
    expect(ws.every((r) => !r.startsWith("101"))).toBe(true);
  });

  test('transports ["websocket", "polling"]: the WebSocket fails, falls back to polling in the same attempt, exchanges messages', async () => {
    const socket = await connect(ports.blocking, "wsfirst", { transports: ["websocket", "polling"] });
    expect(engineOf(socket).transport.name).toBe("polling");
    expect(await socket.timeout(5000).emitWithAck("echo", { n: 1 })).toEqual({ echo: { n: 1 }, transport: "polling" });
    // Its first request was the WebSocket handshake, refused; everything after went over polling.
    await until(() => requests("blocking", "wsfirst").length >= 2, 5000, "wsfirst requests in the access log");
    const log = requests("blocking", "wsfirst");
    expect(log[0]).toMatch(/^(?!101)\d{3} websocket$/);
    expect(log.slice(1).every((r) => r.endsWith("polling"))).toBe(true);
  });

  test("long-polling through nginx outlives several heartbeats without a disconnect", async () => {
    const socket = await connect(ports.blocking, "heartbeat");
    const engine = engineOf(socket);
    const id = socket.id;
    let disconnected = false;
    socket.on("disconnect", () => (disconnected = true));
    await new Promise<void>((resolve) => {
      let pings = 0;
      engine.on("ping", () => ++pings === 4 && resolve());
    });
    expect(disconnected).toBe(false);
    expect(socket.connected).toBe(true);
    expect(socket.id).toBe(id);
    expect(engine.transport.name).toBe("polling");
    expect(await socket.timeout(5000).emitWithAck("echo", "still here")).toEqual({ echo: "still here", transport: "polling" });
  });
});

describe("nginx with proxy_http_version 1.1 and the Upgrade headers", () => {
  test("default transports: upgrades to websocket and exchanges messages", async () => {
    const socket = open(ports.websocket, "upgrade");
    const verdict = upgradeVerdict(socket);
    await connected(socket);
    expect(await verdict).toBe("websocket");
    expect(engineOf(socket).transport.name).toBe("websocket");
    expect(await socket.timeout(5000).emitWithAck("echo", "ws")).toEqual({ echo: "ws", transport: "websocket" });
  });

  test('transports ["websocket", "polling"]: opens directly on websocket', async () => {
    const socket = await connect(ports.websocket, "direct", { transports: ["websocket", "polling"] });
    expect(engineOf(socket).transport.name).toBe("websocket");
    expect(await socket.timeout(5000).emitWithAck("echo", [1, 2, 3])).toEqual({ echo: [1, 2, 3], transport: "websocket" });
    socket.disconnect();
    // nginx logs a proxied WebSocket when it ends, with status 101; no polling request was made.
    await until(() => requests("websocket", "direct").length > 0, 5000, "the WebSocket in the access log");
    expect(requests("websocket", "direct")).toEqual(["101 websocket"]);
  });
});

describe("closing a polling session through the proxy (regression)", () => {
  test("the server sees the client's close packet ('transport close'), not a dropped poll", async () => {
    const { Socket: EngineClient } = await import("@duplex/engine/client");
    const connected = new Promise<import("@duplex/engine").EngineSocket>((resolve) => server.io.engine.once("connection", resolve));
    // Close while a poll is pending at the server: that is when the order of abort and close packet shows.
    const polling = new Promise<void>((resolve) => {
      const onRequest = (req: import("node:http").IncomingMessage) => {
        if (req.method === "GET" && req.url?.includes("sid=")) {
          server.http.off("request", onRequest);
          resolve();
        }
      };
      server.http.on("request", onRequest);
    });
    const engine = new EngineClient(`http://127.0.0.1:${ports.blocking}`, { path: "/socket.io", transports: ["polling"] });
    await new Promise<void>((resolve) => engine.on("open", () => resolve()));
    const session = await connected;
    await polling;
    const closed = new Promise<[string, string | undefined]>((resolve) => session.once("close", (r, d) => resolve([r, d])));
    engine.close();
    expect(await closed).toEqual(["transport close", "client sent a close packet"]);
  });
});
