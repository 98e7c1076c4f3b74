/**
 * How the development bundle (duplex.js) explains a failed websocket-only
 * connection, in chromium, where a failed WebSocket tells the page nothing
 * but close code 1006: one polling request on the side per endpoint, none
 * where a WebSocket opened before, so a reconnecting page neither adds
 * requests nor blames a proxy for a server that went away. The production
 * bundle (duplex.min.js) leaves that request out and reports the WebSocket's
 * own error.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import type { Page } from "playwright-core";
import { Server } from "@duplex/server";
import { launchChromium, type Browser } from "../../../../test-support/chromium";
import { startDuplex, type DuplexServer } from "../support/duplex";

const ROOT = join(__dirname, "../../../..");
/** Where a proxy in front of the server drops every WebSocket upgrade. */
const BLOCKED = "/blocked/";

/** The bundles the pages load, by page path. */
const BUNDLE_OF: Record<string, string> = { "/development": "duplex.js", "/production": "duplex.min.js" };

const pageLoading = (bundle: string) => `<!doctype html><title>diagnosis</title><script src="/${bundle}"></script>
<script>
window.clients = {};
window.start = (name, opts) => {
  const socket = duplex.io(Object.assign({ transports: ["websocket"], reconnectionDelay: 100, reconnectionDelayMax: 200 }, opts));
  const st = { socket, connects: 0, errors: [] };
  socket.on("connect", () => st.connects++);
  socket.on("connect_error", (err) => st.errors.push({ message: err.message, code: err.code }));
  window.clients[name] = st;
};
window.state = (name) => ({ connects: window.clients[name].connects, errors: window.clients[name].errors });
</script>`;

let outDir: string;
let browser: Browser;
let server: DuplexServer;
/** The page that loads duplex.js, and the one that loads duplex.min.js. */
let development: Page;
let production: Page;
/** What reaches the HTTP server: polling handshakes (GET without sid) per engine path, and upgrades per path. */
const seen = { pollingHandshakes: new Map<string, number>(), upgrades: new Map<string, number>() };
/** Set by a test: the server's own WebSocket upgrades are dropped too (the server went away for WebSocket). */
let dropAllUpgrades = false;

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function servePage(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (path in BUNDLE_OF) res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(pageLoading(BUNDLE_OF[path]));
  else if (Object.values(BUNDLE_OF).includes(path.slice(1))) {
    res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(join(outDir, path.slice(1))));
  } else res.writeHead(404).end();
}

beforeAll(async () => {
  // The bundles as shipped, built from the current sources.
  outDir = mkdtempSync(join(tmpdir(), "duplex-diagnosis-"));
  execFileSync(process.execPath, [join(ROOT, "scripts/bundle.mjs"), "--out", outDir], { cwd: ROOT, stdio: "ignore" });
  server = await startDuplex(0, {}, servePage);
  // A second engine on the same origin, behind the "proxy": same-origin, so the page may poll it.
  const blocked = new Server(server.http, { path: BLOCKED });
  const upgradeListeners = server.http.listeners("upgrade") as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
  server.http.removeAllListeners("upgrade");
  server.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    count(seen.upgrades, path);
    if (dropAllUpgrades || path === BLOCKED) return void socket.destroy();
    for (const listener of upgradeListeners) listener.call(server.http, req, socket, head);
  });
  server.http.prependListener("request", (req: IncomingMessage) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET" && url.searchParams.get("transport") === "polling" && !url.searchParams.has("sid")) count(seen.pollingHandshakes, url.pathname);
  });
  const closeServer = server.close;
  server.close = async () => {
    await blocked.close();
    await closeServer();
  };
  browser = await launchChromium();
  development = await browser.context.newPage();
  await development.goto(`http://127.0.0.1:${server.port}/development`);
  production = await browser.context.newPage();
  await production.goto(`http://127.0.0.1:${server.port}/production`);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const state = (page: Page, name: string) => page.evaluate((n) => (window as unknown as PageWindow).state(n), name);

async function errorsOf(page: Page, name: string, n: number): Promise<Array<{ message: string; code?: string }>> {
  await page.waitForFunction(([c, k]) => (window as unknown as PageWindow).state(c).errors.length >= k, [name, n] as const, { timeout: 10_000 });
  return (await state(page, name)).errors;
}

test("behind a proxy that drops WebSocket: one diagnostic request for every attempt, each error says polling works", async () => {
  const page = development;
  await page.evaluate((path) => (window as unknown as PageWindow).start("proxied", { path }), BLOCKED);
  const errors = await errorsOf(page, "proxied", 3);
  for (const err of errors) {
    expect(err.code).toBe("TRANSPORT_ERROR");
    expect(err.message).toMatch(/polling works/);
  }
  expect(seen.upgrades.get(BLOCKED)).toBeGreaterThanOrEqual(3);
  expect(seen.pollingHandshakes.get(BLOCKED)).toBe(1);
  await page.evaluate(() => (window as unknown as PageWindow).clients.proxied.socket.disconnect());
});

test("the production bundle behind that proxy: no diagnostic request, each error is the WebSocket's own TRANSPORT_ERROR", async () => {
  const before = seen.pollingHandshakes.get(BLOCKED) ?? 0;
  const upgradesBefore = seen.upgrades.get(BLOCKED) ?? 0;
  await production.evaluate((path) => (window as unknown as PageWindow).start("proxied", { path }), BLOCKED);
  const errors = await errorsOf(production, "proxied", 3);
  for (const err of errors) {
    expect(err.code).toBe("TRANSPORT_ERROR");
    // Short messages (codes unchanged): what the WebSocket said, and nothing the page did not ask.
    expect(err.message).toBe("error close 1006");
  }
  expect(seen.upgrades.get(BLOCKED)! - upgradesBefore).toBeGreaterThanOrEqual(3);
  expect(seen.pollingHandshakes.get(BLOCKED) ?? 0).toBe(before);
  await production.evaluate(() => (window as unknown as PageWindow).clients.proxied.socket.disconnect());
});

test("a WebSocket that worked, then fails on every reconnection attempt: no diagnostic request, 'unreachable', never 'polling works'", async () => {
  // Both bundles: the development one says it in full ("the server could not be reached").
  const pages = [
    { page: production, unreachable: /unreachable/ },
    { page: development, unreachable: /the server could not be reached/ },
  ];
  for (const { page } of pages) {
    await page.evaluate(() => (window as unknown as PageWindow).start("main", {}));
    await page.waitForFunction(() => (window as unknown as PageWindow).state("main").connects === 1);
  }
  const before = seen.pollingHandshakes.get("/socket.io/") ?? 0;
  dropAllUpgrades = true;
  // The session ends as if the server had gone away; every reconnection attempt's WebSocket is dropped.
  for (const socket of server.io.sockets.sockets.values()) socket.conn.close();
  for (const { page, unreachable } of pages) {
    const errors = await errorsOf(page, "main", 3);
    for (const err of errors) {
      expect(err.code).toBe("TRANSPORT_ERROR");
      expect(err.message).toMatch(unreachable);
      expect(err.message).not.toMatch(/polling works/);
    }
  }
  expect(seen.pollingHandshakes.get("/socket.io/") ?? 0).toBe(before);
  expect(before).toBe(0);
  // The server is back: the pages reconnect.
  dropAllUpgrades = false;
  for (const { page } of pages) {
    await page.waitForFunction(() => (window as unknown as PageWindow).state("main").connects === 2, undefined, { timeout: 10_000 });
  }
});

interface PageWindow {
  clients: Record<string, { socket: { disconnect(): void }; connects: number; errors: Array<{ message: string; code?: string }> }>;
  start(name: string, opts: Record<string, unknown>): void;
  state(name: string): { connects: number; errors: Array<{ message: string; code?: string }> };
}
