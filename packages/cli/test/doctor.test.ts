import { execFile, execFileSync } from "node:child_process";
import { createServer, request, type IncomingMessage, type RequestListener, type Server as HttpServer } from "node:http";
import type { AddressInfo, Socket as NetSocket } from "node:net";
import { join } from "node:path";
import { Server as SocketIoServer } from "socket.io";
import { io as ioClient } from "socket.io-client";
import { WebSocketServer } from "ws";
import { Server, type ServerOptions } from "@duplex/server";
import type { Report } from "../src/report";

/**
 * `duplex doctor` run as a child process against each kind of endpoint,
 * started here on 127.0.0.1: what it says, and its exit code.
 */

const ROOT = join(__dirname, "../../..");
const BIN = join(ROOT, "packages/cli/bin/duplex.js");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function duplex(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 20000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      // Lines are wrapped for a terminal: fold white space so that sentences can be matched.
      resolve({ code, stdout: stdout.replace(/\n {4,}/g, " "), stderr });
    });
  });
}

async function doctorJson(url: string, ...args: string[]): Promise<{ code: number; report: Report }> {
  const r = await duplex("doctor", url, "--json", ...args);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

const servers: HttpServer[] = [];
const closers: Array<() => Promise<void> | void> = [];

async function listen(http: HttpServer): Promise<string> {
  servers.push(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

/** A Duplex server that counts the Engine.IO sessions it opened and saw closed. */
async function duplexServer(opts: ServerOptions = {}, other?: RequestListener) {
  const http = createServer(other);
  const io = new Server(http, opts);
  const sessions = { opened: 0, closed: 0 };
  io.engine.on("connection", (s: { on(ev: "close", f: () => void): void }) => {
    sessions.opened++;
    s.on("close", () => sessions.closed++);
  });
  closers.push(() => io.close());
  return { url: await listen(http), io, sessions };
}

/** A stand-in for a proxy without WebSocket support: it forwards HTTP, and sends WebSocket handshakes on as plain GETs (no Upgrade header), as nginx does without `proxy_http_version 1.1` and the upgrade headers. */
async function proxyWithoutWebSocket(target: string): Promise<string> {
  const t = new URL(target);
  const forward = (req: IncomingMessage, answer: (res: IncomingMessage) => void) => {
    const headers = { ...req.headers };
    delete headers.upgrade;
    delete headers.connection;
    delete headers["sec-websocket-key"];
    delete headers["sec-websocket-version"];
    const out = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers }, answer);
    req.pipe(out);
  };
  const proxy = createServer((req, res) =>
    forward(req, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    }),
  );
  proxy.on("upgrade", (req: IncomingMessage, socket: NetSocket) =>
    forward(req, (up) => {
      const chunks: Buffer[] = [];
      up.on("data", (c: Buffer) => chunks.push(c));
      up.on("end", () => {
        const body = Buffer.concat(chunks);
        socket.end(`HTTP/1.1 ${up.statusCode} ${up.statusMessage}\r\nContent-Type: ${up.headers["content-type"]}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      });
    }),
  );
  return listen(proxy);
}

let duplexMain: Awaited<ReturnType<typeof duplexServer>>;
let duplexPolling: Awaited<ReturnType<typeof duplexServer>>;
let duplexForbidden: Awaited<ReturnType<typeof duplexServer>>;
let duplexEngineIo: Awaited<ReturnType<typeof duplexServer>>;
let socketIoUrl: string;
let proxyUrl: string;
let v3Url: string;
let wsUrl: string;
let notFoundUrl: string;
let htmlUrl: string;
let nothingUrl: string;
let lostSessionUrl: string;

beforeAll(async () => {
  // The CLI runs from dist: build it (a no-op when up to date).
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: ROOT });

  duplexMain = await duplexServer();
  duplexPolling = await duplexServer({ transports: ["polling"] });
  duplexForbidden = await duplexServer({ allowRequest: (_req, cb) => cb("no", false) });
  // A server on Engine.IO's own path, whose other paths answer 404.
  duplexEngineIo = await duplexServer({ path: "/engine.io" }, (_req, res) => {
    res.writeHead(404).end();
  });
  proxyUrl = await proxyWithoutWebSocket(duplexMain.url);

  const sioHttp = createServer();
  const sio = new SocketIoServer(sioHttp);
  closers.push(() => new Promise<void>((resolve) => sio.close(() => resolve())));
  socketIoUrl = await listen(sioHttp);

  // Engine.IO v3 (Socket.IO 2.x): length-prefixed polling payloads.
  const open = '0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":5000}';
  v3Url = await listen(
    createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; charset=UTF-8" });
      res.end(`${open.length}:${open}2:40`);
    }),
  );

  // A plain WebSocket server: greets at /socket.io/, stays silent at /silent/; plain HTTP gets 426 (as ws's own server answers).
  const wsHttp = createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" });
    res.end("Upgrade Required");
  });
  const wss = new WebSocketServer({ server: wsHttp });
  wss.on("connection", (ws, req) => {
    if (!req.url?.startsWith("/silent/")) ws.send("welcome to a plain WebSocket server");
  });
  closers.push(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  wsUrl = await listen(wsHttp);

  notFoundUrl = await listen(
    createServer((_req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<h1>Not Found</h1>");
    }),
  );
  htmlUrl = await listen(
    createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<!doctype html><html><body><h1>My site</h1></body></html>");
    }),
  );

  // Two server processes without sticky sessions, as the client sees them: the handshake works,
  // the next request reaches a process that never heard of the session.
  lostSessionUrl = await listen(
    createServer((req, res) => {
      const get = req.method === "GET";
      res.writeHead(get ? 200 : 400, { "content-type": get ? "text/plain; charset=UTF-8" : "application/json" });
      res.end(get ? '0{"sid":"lost","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}' : '{"code":1,"message":"Session ID unknown"}');
    }),
  );

  // A port that was free a moment ago: nothing listens there.
  const spare = createServer();
  await new Promise<void>((resolve) => spare.listen(0, "127.0.0.1", resolve));
  nothingUrl = `http://127.0.0.1:${(spare.address() as AddressInfo).port}`;
  await new Promise((resolve) => spare.close(resolve));
});

afterAll(async () => {
  for (const c of closers) await c();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

test("a Duplex server: Engine.IO v4, every transport works, exit 0, and every session it opened is closed", async () => {
  const r = await duplex("doctor", duplexMain.url);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("Engine.IO v4");
  expect(r.stdout).toMatch(/polling\s+ok\s+GET handshake HTTP 200/);
  expect(r.stdout).toMatch(/websocket\s+ok\s+HTTP 101/);
  expect(r.stdout).toMatch(/upgrade\s+ok\s+2probe → 3probe in [\d.]+ ms/);
  expect(r.stdout).toContain("pingInterval  25000 ms");
  expect(r.stdout).toContain("Result: healthy (exit 0)");
  // One polling session (with its upgrade probe) and one WebSocket session, both closed by their close packet.
  expect(duplexMain.sessions).toEqual({ opened: 2, closed: 2 });
  expect(duplexMain.io.engine.clientsCount).toBe(0);
});

test("--json: the handshake values and timings", async () => {
  const { code, report } = await doctorJson(duplexMain.url);
  expect(code).toBe(0);
  expect(report).toMatchObject({
    kind: "engine.io-v4",
    healthy: true,
    exitCode: 0,
    path: "/socket.io/",
    clientErrorCode: null,
    handshake: { sidLength: 20, upgrades: ["websocket"], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 },
    transports: { polling: { status: "ok" }, websocket: { status: "ok", httpStatus: 101 }, upgrade: { status: "ok" } },
    findings: [],
    sessionsClosed: 2,
  });
  for (const t of ["pollingHandshakeMs", "postRttMs", "websocketOpenMs", "websocketHandshakeMs", "probeRttMs"] as const) {
    expect(report.timings[t]).toBeGreaterThan(0);
  }
  expect(report.timings.postRttSamplesMs).toHaveLength(3);
});

test("the official socket.io 4.8.4 server: Engine.IO v4, healthy", async () => {
  const { code, report } = await doctorJson(socketIoUrl);
  expect(code).toBe(0);
  expect(report.kind).toBe("engine.io-v4");
  expect(report.transports.upgrade.status).toBe("ok");
  expect(report.handshake?.upgrades).toEqual(["websocket"]);
  expect(report.sessionsClosed).toBe(2);
});

test('a Duplex server with transports: ["polling"]: WebSocket does not work, not offered; still healthy', async () => {
  const r = await duplex("doctor", duplexPolling.url);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/websocket\s+failed\s+answered HTTP 400 with Engine.IO error 0/);
  expect(r.stdout).toContain("WebSocket does not work along this path");
  expect(r.stdout).toContain("configured for long-polling only");
  expect(r.stdout).toMatch(/upgrade\s+skipped\s+the server offers no upgrade/);
  expect(r.stdout).toContain("Result: healthy, with warnings (exit 0)");
  expect(duplexPolling.sessions).toEqual({ opened: 1, closed: 1 });
});

test("behind a proxy that drops the upgrade headers: WebSocket blocked, polling works, a warning and exit 0", async () => {
  const { code, report } = await doctorJson(proxyUrl);
  expect(code).toBe(0);
  expect(report.transports.polling.status).toBe("ok");
  expect(report.transports.websocket).toMatchObject({ status: "failed", httpStatus: 400 });
  expect(report.findings).toEqual([expect.objectContaining({ level: "warning", code: "WEBSOCKET_BLOCKED" })]);
  expect(report.findings[0].message).toMatch(/WebSocket does not work along this path.*a proxy between here and the server probably blocks WebSocket/);
  expect(report.advice.join(" ")).toContain("proxy_set_header Upgrade");
});

test("an Engine.IO server that refuses the handshake (allowRequest): exit 7", async () => {
  const { code, report } = await doctorJson(duplexForbidden.url);
  expect(code).toBe(7);
  expect(report).toMatchObject({ kind: "engine.io-refused", clientErrorCode: "HANDSHAKE_ERROR" });
  // the server sends allowRequest's own message ("no"), as engine.io does
  expect(report.findings[0].message).toContain('error 4 (forbidden): "no"');
  expect(report.summary).toBe('an Engine.IO server that refuses the handshake: HTTP 403 with Engine.IO error 4 (forbidden): "no"');
});

test("sessions lost after the handshake (no sticky sessions): no transport works, exit 7", async () => {
  const { code, report } = await doctorJson(lostSessionUrl);
  expect(code).toBe(7);
  expect(report).toMatchObject({ kind: "engine.io-v4", healthy: false, clientErrorCode: "TRANSPORT_ERROR" });
  expect(report.transports.polling.status).toBe("failed");
  expect(report.findings[0]).toMatchObject({ level: "error", code: "POLLING_FAILED" });
  expect(report.findings[0].message).toContain('"Session ID unknown": it reached a server that does not know the session');
});

test("an Engine.IO v3 server: length-prefixed payload, exit 6, its session closed", async () => {
  const r = await duplex("doctor", v3Url);
  expect(r.code).toBe(6);
  expect(r.stdout).toContain("Engine.IO v3: a Socket.IO 2.x server");
  expect(r.stdout).toContain("length-prefixed");
  expect(r.stdout).toContain("Result: Engine.IO v3, not v4 (exit 6)");
  const { report } = await doctorJson(v3Url);
  expect(report).toMatchObject({ kind: "engine.io-v3", clientErrorCode: "UNSUPPORTED_PROTOCOL_VERSION", sessionsClosed: 1 });
  expect(report.handshake).toMatchObject({ sid: "abc", pingTimeout: 5000 });
});

test("a plain WebSocket server that greets: exit 5, and what its first frame was", async () => {
  const r = await duplex("doctor", wsUrl);
  expect(r.code).toBe(5);
  expect(r.stdout).toContain("a plain WebSocket server, not Engine.IO");
  expect(r.stdout).toContain("a first frame that is not Engine.IO: `welcome to a plain WebSocket server`");
  expect(r.stdout).toContain("HTTP 426 Upgrade Required, what a plain WebSocket server answers to plain HTTP");
  expect(r.stdout).toContain("(path /socket.io/)\n");
});

test("a plain WebSocket server that stays silent: exit 5 after the silence deadline", async () => {
  const { code, report } = await doctorJson(wsUrl, "--path", "/silent/", "--timeout", "500");
  expect(code).toBe(5);
  expect(report.kind).toBe("websocket");
  expect(report.triedPaths).toEqual(["/silent/"]);
  expect(report.transports.websocket.detail).toBe("HTTP 101, then nothing for 500 ms (an Engine.IO server sends its open packet at once)");
});

test("a plain HTTP server answering 404: exit 4, /engine.io/ tried too", async () => {
  const r = await duplex("doctor", notFoundUrl);
  expect(r.code).toBe(4);
  expect(r.stdout).toContain("a plain HTTP server, not Engine.IO: HTTP 404 Not Found, an HTML page: `<h1>Not Found</h1>`");
  expect(r.stdout).toContain("tried /socket.io/, /engine.io/");
  expect(r.stdout).toContain("Result: not Engine.IO (a plain HTTP server) (exit 4)");
});

test("a plain HTTP server answering an HTML page with 200: exit 4", async () => {
  const { code, report } = await doctorJson(htmlUrl);
  expect(code).toBe(4);
  expect(report).toMatchObject({ kind: "http", clientErrorCode: "NOT_ENGINE_IO", healthy: false });
  expect(report.summary).toBe("a plain HTTP server, not Engine.IO: HTTP 200 OK, an HTML page: `<!doctype html><html><body><h1>My site</h1></body></html>`");
});

test("an Engine.IO server on /engine.io/ is found when no path was given; not looked for with --path", async () => {
  const r = await duplex("doctor", duplexEngineIo.url);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("(path /engine.io/; tried /socket.io/, /engine.io/)");
  expect(r.stdout).toContain('Nothing Engine.IO-like at /socket.io/ (a plain HTTP server, not Engine.IO: HTTP 404 Not Found, an empty body); found at /engine.io/: clients must use path "/engine.io".');
  const { code, report } = await doctorJson(duplexEngineIo.url, "--path", "/socket.io");
  expect(code).toBe(4);
  expect(report).toMatchObject({ kind: "http", path: "/socket.io/", triedPaths: ["/socket.io/"] });
});

test("a URL with a namespace path (http://host:port/chat): /socket.io/ is tried too and found, exit 0", async () => {
  // socket.io-client reads the URL's path as the namespace; the engine path stays /socket.io/.
  // Its other paths answer 404, as an application's pages would.
  const chat = await duplexServer({}, (_req, res) => {
    res.writeHead(404).end();
  });
  const connected = new Promise<string>((resolve) => chat.io.of("/chat").on("connection", (socket) => resolve(socket.nsp.name)));
  const r = await duplex("doctor", `${chat.url}/chat`);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("(path /socket.io/; tried /chat/, /socket.io/)");
  expect(r.stdout).toContain('Engine.IO answers at /socket.io/. A Socket.IO client given this URL connects to namespace "/chat" over path "/socket.io", the default.');
  expect(r.stdout).toContain("Result: healthy (exit 0)");
  const { code, report } = await doctorJson(`${chat.url}/chat`);
  expect(code).toBe(0);
  expect(report).toMatchObject({ kind: "engine.io-v4", path: "/socket.io/", triedPaths: ["/chat/", "/socket.io/"] });
  expect(report.findings.map((f) => f.code)).toEqual(["URL_PATH_IS_NAMESPACE"]);
  // What the finding says is what the official client does with that URL.
  const client = ioClient(`${chat.url}/chat`, { transports: ["websocket"], forceNew: true });
  try {
    expect(await connected).toBe("/chat");
  } finally {
    client.close();
  }
  // --path is taken at its word: no other path is tried.
  const pinned = await doctorJson(`${chat.url}/chat`, "--path", "/chat");
  expect(pinned.report.triedPaths).toEqual(["/chat/"]);
  expect(pinned.report.kind).not.toBe("engine.io-v4");
});

test("nothing listening: connection refused, exit 3", async () => {
  const r = await duplex("doctor", nothingUrl);
  expect(r.code).toBe(3);
  expect(r.stdout).toContain(`nothing answers: connection refused (nothing listens on ${new URL(nothingUrl).host})`);
  const { report } = await doctorJson(nothingUrl);
  expect(report).toMatchObject({ kind: "nothing", exitCode: 3, triedPaths: ["/socket.io/"] });
});

test("usage errors: exit 2", async () => {
  expect((await duplex("doctor")).code).toBe(2);
  expect((await duplex("doctor", "ftp://example.com")).code).toBe(2);
  const r = await duplex("doctor", nothingUrl, "--timeout", "soon");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("--timeout needs a positive whole number of milliseconds");
});
