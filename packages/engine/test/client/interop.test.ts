import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { client, closeClients, collect, next, opened } from "./helpers";

/**
 * Against the official engine.io 6.6 server: the copy socket.io 4.8.4 ships
 * with (resolved from socket.io's own node_modules), attached to a plain
 * HTTP server at /engine.io/.
 */
const enginePath = require.resolve("engine.io", { paths: [require.resolve("socket.io")] });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineIo = require(enginePath) as {
  attach(http: Server, opts?: Record<string, unknown>): OfficialServer;
};
interface OfficialSocket {
  transport: { name: string };
  send(d: unknown): void;
  on(ev: "message", fn: (d: string | Buffer) => void): void;
  on(ev: "upgrade", fn: () => void): void;
}
interface OfficialServer {
  on(ev: "connection", fn: (s: OfficialSocket) => void): void;
  close(): void;
}

let http: Server;
let engine: OfficialServer;
let url: string;

beforeEach(async () => {
  http = createServer();
  engine = engineIo.attach(http, { pingInterval: 200, pingTimeout: 200 });
  engine.on("connection", (s) => s.on("message", (d) => s.send(d)));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterEach(async () => {
  closeClients();
  engine.close();
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

test("engine.io resolves to the 6.6 line", () => {
  const pkg = join(enginePath.slice(0, enginePath.lastIndexOf("/build/")), "package.json");
  const { version } = JSON.parse(readFileSync(pkg, "utf8")) as { version: string };
  expect(version).toMatch(/^6\.6\./);
});

test.each([["polling"], ["websocket"]] as const)("%s only: text and binary echo", async (name) => {
  const s = await opened(client(url, { transports: [name] }));
  expect(s.transport.name).toBe(name);
  const echoes = collect(s, "message", 2);
  s.send("héllo");
  s.send(new Uint8Array([0, 1, 255]));
  const [text, bin] = await echoes;
  expect(text).toBe("héllo");
  expect([...(bin as Buffer)]).toEqual([0, 1, 255]);
});

test("upgrade, 1000 messages in order across it, and the heartbeat answered", async () => {
  const s = client(url);
  await opened(s);
  const N = 1000;
  const echoes = collect(s, "message", N);
  const via = new Set<string>();
  s.on("message", () => via.add(s.transport.name));
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      s.send(`m${i++}`);
      if (i < N) setImmediate(tick);
      else resolve();
    };
    tick();
  });
  expect(await echoes).toEqual(Array.from({ length: N }, (_, k) => `m${k}`));
  expect(s.transport.name).toBe("websocket");
  expect([...via].sort()).toEqual(["polling", "websocket"]);
  // pingInterval 200: the session outlives two pings
  await next(s, "ping");
  await next(s, "ping");
  expect(s.readyState).toBe("open");
});

test("rememberUpgrade against engine.io: the second client opens over WebSocket at once", async () => {
  const first = client(url);
  await next(first, "upgrade");
  const second = await opened(client(url, { rememberUpgrade: true }));
  expect(second.transport.name).toBe("websocket");
});
