import { readFileSync } from "node:fs";
import { createServer, get as httpGet, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { Server } from "@duplex/server";
import { launchChromium } from "../../../test-support/chromium";

const DIST = join(__dirname, "../../client/dist");

async function start(opts: ConstructorParameters<typeof Server>[1] = {}): Promise<{ io: Server; http: HttpServer; base: string }> {
  const page = `<!doctype html><script src="/socket.io/socket.io.js"></script>
<script>
  window.result = new Promise((resolve, reject) => {
    const socket = io();
    socket.on("connect_error", (err) => reject(String(err)));
    socket.on("connect", () => socket.timeout(5000).emit("hello", "from the page", (err, answer) => (err ? reject(String(err)) : resolve(answer))));
  });
</script>`;
  const http = createServer((req, res) => {
    if (req.url === "/") res.writeHead(200, { "Content-Type": "text/html" }).end(page);
    else res.writeHead(404).end();
  });
  const io = new Server(http, opts);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { io, http, base: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

async function stop(s: { io: Server; http: HttpServer }): Promise<void> {
  s.http.closeAllConnections();
  await s.io.close();
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  // node:http rather than fetch, which would decompress the body.
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: new Headers(res.headers as Record<string, string>), body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
  });
}

describe("serveClient: the browser client at <path>/socket.io.js", () => {
  const iife = readFileSync(join(DIST, "duplex.min.js"));
  const esm = readFileSync(join(DIST, "duplex.esm.min.js"));
  // socket.io.js is the development bundle, as socket.io serves its unminified client there.
  const development = readFileSync(join(DIST, "duplex.js"));

  it("serves the bundles with an ETag, Cache-Control, and 304 on If-None-Match", async () => {
    const s = await start();
    try {
      for (const [name, bytes] of [
        ["socket.io.js", development],
        ["socket.io.min.js", iife],
        ["socket.io.esm.min.js", esm],
      ] as const) {
        const res = await get(`${s.base}/socket.io/${name}?v=1`);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
        expect(res.headers.get("cache-control")).toBe("public, max-age=0");
        expect(res.headers.get("content-encoding")).toBeNull();
        expect(res.body.equals(bytes)).toBe(true);
        // The script names its map in a header, under the name it was served as.
        expect(res.headers.get("sourcemap")).toBe(`${name}.map`);
        const etag = res.headers.get("etag")!;
        expect(etag).toMatch(/^"[\w-]+"$/);
        expect((await get(`${s.base}/socket.io/${name}`, { "If-None-Match": etag })).status).toBe(304);
        expect((await get(`${s.base}/socket.io/${name}`, { "If-None-Match": `W/${etag}` })).status).toBe(304);
        expect((await get(`${s.base}/socket.io/${name}`, { "If-None-Match": '"other"' })).status).toBe(200);
      }
      for (const [name, bundle] of [
        ["socket.io.js.map", "duplex.js.map"],
        ["socket.io.min.js.map", "duplex.min.js.map"],
        ["socket.io.esm.min.js.map", "duplex.esm.min.js.map"],
      ] as const) {
        const res = await get(`${s.base}/socket.io/${name}`);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
        expect(res.body.equals(readFileSync(join(DIST, bundle)))).toBe(true);
        const map = JSON.parse(res.body.toString("utf8")) as { version: number; sources: string[]; sourcesContent: string[] };
        expect(map.version).toBe(3);
        expect(map.sources).toContain("../src/manager.ts");
        expect(map.sourcesContent).toHaveLength(map.sources.length);
      }
    } finally {
      await stop(s);
    }
  });

  it("socket.io.js is the readable development bundle, with full messages; the .min.js names the production one", async () => {
    const s = await start();
    try {
      const script = (await get(`${s.base}/socket.io/socket.io.js`)).body.toString("utf8");
      const minified = (await get(`${s.base}/socket.io/socket.io.min.js`)).body.toString("utf8");
      expect(script.split("\n").length).toBeGreaterThan(1000);
      expect(script).toContain("closed before the handshake");
      expect(script).toContain("a proxy blocks WebSocket?");
      expect(minified.split("\n").length).toBeLessThan(5);
      expect(minified).not.toContain("closed before the handshake");
      expect(minified).not.toContain("polling works");
    } finally {
      await stop(s);
    }
  });

  it("answers with brotli or gzip when the client accepts them", async () => {
    const s = await start();
    try {
      for (const [name, bytes] of [
        ["socket.io.js", development],
        ["socket.io.min.js", iife],
      ] as const) {
        const br = await get(`${s.base}/socket.io/${name}`, { "Accept-Encoding": "gzip, deflate, br" });
        expect(br.headers.get("content-encoding")).toBe("br");
        expect(br.headers.get("vary")).toBe("Accept-Encoding");
        expect(brotliDecompressSync(br.body).equals(bytes)).toBe(true);
        expect(br.body.length).toBeLessThan(bytes.length / 2);

        const gzip = await get(`${s.base}/socket.io/${name}`, { "Accept-Encoding": "gzip, br;q=0" });
        expect(gzip.headers.get("content-encoding")).toBe("gzip");
        expect(gunzipSync(gzip.body).equals(bytes)).toBe(true);
        expect(gzip.headers.get("content-length")).toBe(String(gzip.body.length));
      }
    } finally {
      await stop(s);
    }
  });

  it("serveClient: false, or io.serveClient(false), leaves the path to the engine", async () => {
    const off = await start({ serveClient: false });
    try {
      expect(off.io.serveClient()).toBe(false);
      expect((await get(`${off.base}/socket.io/socket.io.js`)).status).toBe(400);
    } finally {
      await stop(off);
    }
    const on = await start();
    try {
      expect(on.io.serveClient()).toBe(true);
      expect(on.io.path()).toBe("/socket.io");
      expect(on.io.serveClient(false)).toBe(on.io);
      expect((await get(`${on.base}/socket.io/socket.io.js`)).status).toBe(400);
      on.io.serveClient(true);
      expect((await get(`${on.base}/socket.io/socket.io.js`)).status).toBe(200);
    } finally {
      await stop(on);
    }
  });

  it("a page with <script src=\"/socket.io/socket.io.js\"> then io() connects and gets its ack, in Chromium", async () => {
    const s = await start();
    s.io.on("connection", (socket) => socket.on("hello", (text: string, ack: (v: string) => void) => ack(`hello back, ${text}`)));
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${s.base}/`);
      expect(await page.evaluate(() => (window as unknown as { result: Promise<string> }).result)).toBe("hello back, from the page");
      expect(await page.evaluate(() => typeof (window as unknown as { duplex: { io: unknown } }).duplex.io)).toBe("function");
    } finally {
      await browser.close();
      await stop(s);
    }
  });
});

describe("serveClient without @duplex/client installed", () => {
  it("answers 404 (not the engine's 400) and logs one warning", async () => {
    // An installation of @duplex/server (its dist and dependencies) in which
    // @duplex/client cannot be resolved (NODE_PATH, which pnpm's bin shims
    // set, would find the workspace's copy).
    const { mkdtempSync, mkdirSync, symlinkSync, cpSync, rmSync, realpathSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { execFile } = await import("node:child_process");
    const root = mkdtempSync(join(tmpdir(), "duplex-no-client-"));
    try {
      const modules = join(root, "node_modules");
      mkdirSync(join(modules, "@duplex", "server"), { recursive: true });
      cpSync(join(__dirname, "../dist"), join(modules, "@duplex/server/dist"), { recursive: true });
      cpSync(join(__dirname, "../package.json"), join(modules, "@duplex/server/package.json"));
      symlinkSync(realpathSync(join(__dirname, "../node_modules/@duplex/engine")), join(modules, "@duplex/engine"));
      symlinkSync(realpathSync(join(__dirname, "../node_modules/@duplex/protocol")), join(modules, "@duplex/protocol"));
      symlinkSync(realpathSync(join(__dirname, "../node_modules/debug")), join(modules, "debug"));
      const script = `
        const { createServer } = require("node:http");
        const { Server } = require("@duplex/server");
        const http = createServer();
        const io = new Server(http);
        http.listen(0, "127.0.0.1", async () => {
          const base = "http://127.0.0.1:" + http.address().port + "/socket.io/";
          const statuses = [];
          for (const name of ["socket.io.js", "socket.io.min.js", "socket.io.js"]) statuses.push((await fetch(base + name)).status);
          console.log(JSON.stringify(statuses));
          io.close();
        });`;
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
        execFile(process.execPath, ["-e", script], { cwd: root, timeout: 20000, env: { ...process.env, NODE_PATH: "" } }, (err, out, errOut) =>
          err ? reject(err) : resolve({ stdout: out, stderr: errOut }),
        ),
      );
      expect(JSON.parse(stdout)).toEqual([404, 404, 404]);
      expect(stderr.match(/@duplex\/client is not installed/g)).toHaveLength(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
