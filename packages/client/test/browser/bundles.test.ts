/**
 * The browser bundles in a real browser: Debian's chromium, driven by
 * playwright-core, loads duplex.min.js (IIFE, global `duplex`) and
 * duplex.esm.min.js (ES module), and their development builds duplex.js and
 * duplex.esm.js, from a Duplex server that also serves the pages, and talks to that server: connect, acks, binary both ways
 * (ArrayBuffer and Blob, over polling and over WebSocket), the upgrade, and
 * reconnection to a restarted server on the same port.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { Socket as ServerSocket } from "@duplex/server";
import { launchChromium, type Browser } from "../../../../test-support/chromium";
import { startDuplex, type DuplexServer } from "../support/duplex";

const ROOT = join(__dirname, "../../../..");
const DIST = join(ROOT, "packages/client/dist");
const BUNDLES = ["duplex.min.js", "duplex.esm.min.js", "duplex.js", "duplex.esm.js"];

// The page side. A classic script, so it runs the same under both bundles;
// the bundle's `io` is read from `window.io` at call time (the module page
// sets it once the import resolved). Everything the test looks at is on
// `window.harness`, in plain data that page.evaluate can return.
const HARNESS = `
window.harness = {
  sockets: {},
  open(name, opts) {
    const socket = window.io(Object.assign({ reconnectionDelay: 50, reconnectionDelayMax: 200 }, opts));
    const st = { socket, connects: 0, ids: [], disconnects: [], upgrades: [], inbox: [] };
    socket.on("connect", () => { st.connects++; st.ids.push(socket.id); });
    socket.on("disconnect", (reason) => st.disconnects.push(reason));
    socket.on("bin", (data, note) => st.inbox.push({
      note,
      isArrayBuffer: data instanceof ArrayBuffer,
      type: Object.prototype.toString.call(data),
      bytes: data instanceof ArrayBuffer ? Array.from(new Uint8Array(data)) : null,
    }));
    // The engine exists as soon as io() returns (autoConnect): no upgrade can be missed.
    socket.io.engine.on("upgrade", (transport) => st.upgrades.push(transport.name));
    this.sockets[name] = st;
  },
  state(name) {
    const st = this.sockets[name];
    return {
      connected: st.socket.connected,
      connects: st.connects,
      ids: st.ids,
      disconnects: st.disconnects,
      upgrades: st.upgrades,
      transport: st.socket.io.engine ? st.socket.io.engine.transport.name : null,
      inbox: st.inbox,
    };
  },
  // An emit with ack; rejects after 5 s so a lost ack fails with a message, not a jest timeout.
  ack(name, ev, ...args) {
    return this.sockets[name].socket.timeout(5000).emitWithAck(ev, ...args);
  },
  // The pattern used for binary payloads: every byte value, then some more.
  bytes(n) {
    const a = new Uint8Array(n);
    for (let i = 0; i < n; i++) a[i] = (i * 7 + 3) & 255;
    return a;
  },
};
`;

const iifePage = (bundle: string) => `<!doctype html><title>iife</title><script src="/harness.js"></script>
<script src="/${bundle}"></script>
<script>window.io = duplex.io; window.exportsOk = typeof duplex.Manager === "function" && typeof duplex.Socket === "function"; window.ready = true;</script>`;
const esmPage = (bundle: string) => `<!doctype html><title>esm</title><script src="/harness.js"></script>
<script type="module">import { io, Manager, Socket } from "/${bundle}";
window.io = io; window.exportsOk = typeof Manager === "function" && typeof Socket === "function"; window.ready = true;</script>`;

const PAGES: Record<string, string> = {
  "/iife.html": iifePage("duplex.min.js"),
  "/esm.html": esmPage("duplex.esm.min.js"),
  "/iife-development.html": iifePage("duplex.js"),
  "/esm-development.html": esmPage("duplex.esm.js"),
};

/** Same bytes as the page's `harness.bytes(n)`. */
function bytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 255;
  return b;
}

function servePages(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (path in PAGES) {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGES[path]);
  } else if (path === "/harness.js") {
    res.writeHead(200, { "content-type": "text/javascript" }).end(HARNESS);
  } else if (BUNDLES.includes(path.slice(1))) {
    // Read at each request: the bundle built in beforeAll, never a cached copy.
    res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(join(DIST, path.slice(1))));
  } else {
    res.writeHead(404).end();
  }
}

/** True when a bundle is missing or older than a file of the sources scripts/bundle.mjs reads. */
function bundlesStale(): boolean {
  if (!BUNDLES.every((f) => existsSync(join(DIST, f)))) return true;
  const built = Math.min(...BUNDLES.map((f) => statSync(join(DIST, f)).mtimeMs));
  const sources = ["packages/client/src", "packages/engine/src/client", "packages/protocol/src", "scripts/bundle.mjs"];
  return sources.some((s) => newestMtime(join(ROOT, s)) > built);
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((e) => newestMtime(join(path, e))));
}

/** What the server saw of a binary event, for exact comparison. */
interface Received {
  event: string;
  isBuffer: boolean;
  data: Buffer;
}

let browser: Browser;
let server: DuplexServer;
let generation = 0;
const received: Received[] = [];

/** Starts (or restarts, on `port`) the Duplex server with this test's handlers. */
async function serve(port = 0): Promise<DuplexServer> {
  const srv = await startDuplex(port, { pingInterval: 2000, pingTimeout: 2000 }, servePages);
  const gen = ++generation;
  srv.io.on("connection", (socket: ServerSocket) => {
    socket.on("echo", (value: unknown, ack: (r: unknown) => void) => ack({ echo: value, generation: gen }));
    // Binary from the page: kept for the test, and acked with its length and first bytes.
    socket.on("upload", (data: unknown, ack: (r: unknown) => void) => {
      const isBuffer = Buffer.isBuffer(data);
      received.push({ event: "upload", isBuffer, data: isBuffer ? (data as Buffer) : Buffer.alloc(0) });
      ack({ isBuffer, length: isBuffer ? (data as Buffer).length : -1 });
    });
    // Binary nested in an object, the way applications send files.
    socket.on("file", (file: { name: string; data: unknown }, ack: (r: unknown) => void) => {
      const isBuffer = Buffer.isBuffer(file.data);
      received.push({ event: `file:${file.name}`, isBuffer, data: isBuffer ? (file.data as Buffer) : Buffer.alloc(0) });
      ack({ name: file.name, isBuffer });
    });
    socket.on("send me", (n: number, note: string) => socket.emit("bin", bytes(n), note));
  });
  return srv;
}

beforeAll(async () => {
  // The test runs against the bundles as shipped; build them when absent or
  // older than a source they are built from (about 1 s).
  if (bundlesStale()) {
    execFileSync(process.execPath, [join(ROOT, "scripts/bundle.mjs")], { cwd: ROOT, stdio: "inherit" });
  }
  server = await serve();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.each([
  ["IIFE bundle (duplex.min.js, global duplex)", "/iife.html"],
  ["ESM bundle (duplex.esm.min.js, import { io })", "/esm.html"],
  ["development IIFE bundle (duplex.js, global duplex)", "/iife-development.html"],
  ["development ESM bundle (duplex.esm.js, import { io })", "/esm-development.html"],
])("%s in chromium", (_name, pagePath) => {
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    page = await browser.context.newPage();
    page.on("pageerror", (err) => errors.push(String(err)));
    await page.goto(`http://127.0.0.1:${server.port}${pagePath}`);
    await page.waitForFunction(() => window.ready === true);
  });

  afterAll(async () => {
    await page?.close();
  });

  /** The page's `harness.state(name)`. */
  const state = (name: string) => page.evaluate((n) => window.harness.state(n), name);

  test("loads, exports io/Manager/Socket, without page errors", async () => {
    expect(await page.evaluate(() => window.exportsOk)).toBe(true);
    expect(errors).toEqual([]);
  });

  test("sockets have the listener methods (the bundles carry the engine's emitter, not eventemitter3)", async () => {
    const r = await page.evaluate(() => {
      const s = window.io({ autoConnect: false, forceNew: true });
      const f = () => {};
      const chained = s.on("x", f) === s;
      s.once("x", f).addListener("y", f);
      const before = [s.listeners("x").length, s.listeners("y").length];
      s.removeListener("x", f); // the on and the once one: both were given f
      const afterRemove = s.listeners("x").length;
      s.removeAllListeners();
      return { chained, before, afterRemove, afterAll: s.listeners("y").length };
    });
    expect(r).toEqual({ chained: true, before: [2, 1], afterRemove: 0, afterAll: 0 });
  });

  test("connects, acks an emit, upgrades to websocket", async () => {
    await page.evaluate(() => window.harness.open("main", {}));
    await page.waitForFunction(() => window.harness.state("main").connected);
    const reply = await page.evaluate(() => window.harness.ack("main", "echo", { hello: "wörld", n: [1, 2] }));
    expect(reply).toEqual({ echo: { hello: "wörld", n: [1, 2] }, generation });

    await page.waitForFunction(() => window.harness.state("main").upgrades.length > 0);
    const st = await state("main");
    expect(st.upgrades).toEqual(["websocket"]);
    expect(st.transport).toBe("websocket");
    // The session survived the switch: still the same socket, acks still work.
    expect(st.connects).toBe(1);
    expect(await page.evaluate(() => window.harness.ack("main", "echo", "after upgrade"))).toEqual({
      echo: "after upgrade",
      generation,
    });
  });

  // Over WebSocket (the upgraded "main") binary goes as binary frames; over
  // polling ("poll") as base64 in the payload, a Blob read first.
  describe.each([
    ["websocket", "main", {}],
    ["polling", "poll", { transports: ["polling"], forceNew: true }],
  ])("binary over %s", (transport, name, opts) => {
    beforeAll(async () => {
      if (name !== "main") {
        await page.evaluate(([n, o]) => window.harness.open(n, o), [name, opts] as const);
        await page.waitForFunction((n) => window.harness.state(n).connected, name);
      }
      expect((await state(name)).transport).toBe(transport);
      received.length = 0;
    });

    test("page → server: ArrayBuffer arrives as a Buffer with the exact bytes", async () => {
      const ack = await page.evaluate((n) => {
        const { harness: t } = window;
        return t.ack(n, "upload", t.bytes(1000).buffer);
      }, name);
      expect(ack).toEqual({ isBuffer: true, length: 1000 });
      expect(received).toHaveLength(1);
      expect(received[0].isBuffer).toBe(true);
      expect(received[0].data.equals(bytes(1000))).toBe(true);
    });

    test("page → server: Blob (alone and nested in an object) arrives as a Buffer with the exact bytes", async () => {
      received.length = 0;
      const acks = await page.evaluate(async (n) => {
        const { harness: t } = window;
        const blob = new Blob([t.bytes(300), t.bytes(5)]);
        const a = await t.ack(n, "upload", blob);
        const b = await t.ack(n, "file", { name: "photo.bin", data: new Blob([t.bytes(70000)]) });
        return [a, b];
      }, name);
      expect(acks).toEqual([{ isBuffer: true, length: 305 }, { name: "photo.bin", isBuffer: true }]);
      expect(received.map((r) => [r.event, r.isBuffer])).toEqual([
        ["upload", true],
        ["file:photo.bin", true],
      ]);
      expect(received[0].data.equals(Buffer.concat([bytes(300), bytes(5)]))).toBe(true);
      expect(received[1].data.equals(bytes(70000))).toBe(true);
    });

    test("server → page: a Buffer arrives as an ArrayBuffer with the exact bytes", async () => {
      await page.evaluate((n) => window.harness.sockets[n].socket.emit("send me", 4096, "4k"), name);
      await page.waitForFunction((n) => window.harness.state(n).inbox.length > 0, name);
      const [msg] = (await state(name)).inbox;
      expect({ ...msg, bytes: undefined }).toEqual({ note: "4k", isArrayBuffer: true, type: "[object ArrayBuffer]", bytes: undefined });
      expect(Buffer.from(msg.bytes!).equals(bytes(4096))).toBe(true);
    });
  });

  test("reconnects to a server restarted on the same port, and emits again", async () => {
    await page.evaluate(() => window.harness.sockets.poll.socket.disconnect());
    const before = await state("main");
    expect(before.connected).toBe(true);

    const port = server.port;
    await server.close();
    await page.waitForFunction(() => window.harness.state("main").disconnects.length > 0);
    const down = await state("main");
    expect(down.connected).toBe(false);
    // A lost server is a transport failure: reconnect (not "io server disconnect", which would not).
    expect(["transport close", "transport error", "ping timeout"]).toContain(down.disconnects[0]);

    server = await serve(port);
    await page.waitForFunction(() => window.harness.state("main").connects === 2);
    const after = await state("main");
    expect(after.connected).toBe(true);
    expect(after.ids[1]).not.toBe(after.ids[0]);
    const reply = await page.evaluate(() => window.harness.ack("main", "echo", "back"));
    expect(reply).toEqual({ echo: "back", generation });
    expect(errors).toEqual([]);
  });
});

// What the pages put on `window` (PAGES, HARNESS), as page.evaluate sees it.
declare global {
  interface Window {
    ready?: boolean;
    exportsOk?: boolean;
    harness: Harness;
    io: (opts: object) => BundleSocket;
  }
}

/** The listener methods of a bundle's socket, as the page sees them. */
interface BundleSocket {
  on(ev: string, fn: () => void): BundleSocket;
  once(ev: string, fn: () => void): BundleSocket;
  addListener(ev: string, fn: () => void): BundleSocket;
  removeListener(ev: string, fn: () => void): BundleSocket;
  removeAllListeners(ev?: string): BundleSocket;
  listeners(ev: string): unknown[];
}

interface Harness {
  sockets: Record<string, { socket: { emit(ev: string, ...args: unknown[]): void; disconnect(): void } }>;
  open(name: string, opts: object): void;
  state(name: string): {
    connected: boolean;
    connects: number;
    ids: string[];
    disconnects: string[];
    upgrades: string[];
    transport: string | null;
    inbox: Array<{ note: string; isArrayBuffer: boolean; type: string; bytes: number[] | null }>;
  };
  ack(name: string, ev: string, ...args: unknown[]): Promise<unknown>;
  bytes(n: number): Uint8Array<ArrayBuffer>;
}
