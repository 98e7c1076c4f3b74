import WebSocket from "ws";
import { httpRequest, startEngine, type Harness } from "./helpers";

let h: Harness;
afterEach(() => h.close());

const HANDSHAKE = "/engine.io/?EIO=4&transport=polling";

describe("cors", () => {
  test("no CORS headers unless the option is set", async () => {
    h = await startEngine();
    const res = await httpRequest(h.port, HANDSHAKE, { headers: { Origin: "http://app.example" } });
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });

  test("a listed origin is reflected, with credentials, on every response", async () => {
    h = await startEngine({ cors: { origin: ["http://app.example", /\.trusted\.example$/], credentials: true } });
    const res = await httpRequest(h.port, HANDSHAKE, { headers: { Origin: "http://app.example" } });
    expect(res.headers["access-control-allow-origin"]).toBe("http://app.example");
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers.vary).toBe("Origin");
    const sid = JSON.parse(res.body.slice(1)).sid;
    const post = await httpRequest(h.port, `${HANDSHAKE}&sid=${sid}`, {
      method: "POST",
      body: "4x",
      headers: { Origin: "http://a.trusted.example" },
    });
    expect(post.headers["access-control-allow-origin"]).toBe("http://a.trusted.example");
    const other = await httpRequest(h.port, HANDSHAKE, { headers: { Origin: "http://evil.example" } });
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
  });

  test("refusals carry the CORS headers too, so the browser can read the error", async () => {
    h = await startEngine({ cors: { origin: "http://app.example" } });
    const res = await httpRequest(h.port, "/engine.io/?EIO=3&transport=polling", { headers: { Origin: "http://app.example" } });
    expect(res.status).toBe(400);
    expect(res.headers["access-control-allow-origin"]).toBe("http://app.example");
  });

  test("a preflight is answered 204 with methods and the requested headers", async () => {
    h = await startEngine({ cors: { origin: (origin, cb) => cb(null, origin === "http://app.example"), methods: ["GET", "POST"] } });
    const res = await httpRequest(h.port, HANDSHAKE, {
      method: "OPTIONS",
      headers: { Origin: "http://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-token" },
    });
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("http://app.example");
    expect(res.headers["access-control-allow-methods"]).toBe("GET,POST");
    expect(res.headers["access-control-allow-headers"]).toBe("x-token");
    expect(h.engine.clientsCount).toBe(0);
  });

  test("origin '*' by default when cors is set without origin", async () => {
    h = await startEngine({ cors: {} });
    const res = await httpRequest(h.port, HANDSHAKE, { headers: { Origin: "http://any.example" } });
    expect(res.headers["access-control-allow-origin"]).toBe("*");
  });
});

describe("cookie", () => {
  test("off by default", async () => {
    h = await startEngine();
    expect((await httpRequest(h.port, HANDSHAKE)).headers["set-cookie"]).toBeUndefined();
  });

  test("`cookie: true` sets io=<sid> on the handshake only", async () => {
    h = await startEngine({ cookie: true });
    const res = await httpRequest(h.port, HANDSHAKE);
    const sid = JSON.parse(res.body.slice(1)).sid;
    expect(res.headers["set-cookie"]).toEqual([`io=${sid}; Path=/; HttpOnly; SameSite=Lax`]);
    const poll = httpRequest(h.port, `${HANDSHAKE}&sid=${sid}`);
    h.engine.sessions.get(sid)!.send("x");
    expect((await poll).headers["set-cookie"]).toBeUndefined();
  });

  test("custom cookie options, and the cookie on a WebSocket handshake", async () => {
    h = await startEngine({ cookie: { name: "affinity", path: "/app", sameSite: "strict", secure: true, maxAge: 60 } });
    const res = await httpRequest(h.port, HANDSHAKE);
    expect(res.headers["set-cookie"]?.[0]).toMatch(/^affinity=[\w-]{20}; Max-Age=60; Path=\/app; HttpOnly; Secure; SameSite=Strict$/);
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket`);
    const upgraded = new Promise<Record<string, unknown>>((resolve) => ws.once("upgrade", (r) => resolve(r.headers)));
    const firstFrame = new Promise<string>((resolve) => ws.once("message", (d) => resolve(String(d))));
    const [headers, first] = await Promise.all([upgraded, firstFrame]);
    expect(headers["set-cookie"]).toEqual([expect.stringContaining(`affinity=${JSON.parse(first.slice(1)).sid};`)]);
    ws.close();
  });
});

describe("header hooks", () => {
  test("'initial_headers' edits the handshake response, 'headers' every response", async () => {
    h = await startEngine();
    const seen: string[] = [];
    h.engine.on("initial_headers", (headers) => {
      headers["X-Initial"] = "yes";
      seen.push("initial");
    });
    h.engine.on("headers", (headers) => {
      headers["X-Every"] = "yes";
      seen.push("headers");
    });
    const res = await httpRequest(h.port, HANDSHAKE);
    expect(res.headers["x-initial"]).toBe("yes");
    expect(res.headers["x-every"]).toBe("yes");
    const sid = JSON.parse(res.body.slice(1)).sid;
    const post = await httpRequest(h.port, `${HANDSHAKE}&sid=${sid}`, { method: "POST", body: "4x" });
    expect(post.headers["x-initial"]).toBeUndefined();
    expect(post.headers["x-every"]).toBe("yes");
    expect(seen).toEqual(["initial", "headers", "headers"]);
  });

  test("the hooks run for WebSocket handshakes as well", async () => {
    h = await startEngine();
    h.engine.on("headers", (headers) => {
      headers["X-Ws"] = "1";
    });
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket`);
    const headers = await new Promise<Record<string, unknown>>((resolve) => ws.once("upgrade", (r) => resolve(r.headers)));
    expect(headers["x-ws"]).toBe("1");
    ws.close();
  });
});

describe("attach and listen", () => {
  test("a custom path", async () => {
    h = await startEngine({ path: "/rt" });
    expect((await httpRequest(h.port, "/rt/?EIO=4&transport=polling")).status).toBe(200);
    expect((await httpRequest(h.port, HANDSHAKE)).status).toBe(404);
  });

  test("close() gives the HTTP server its own listeners back", async () => {
    h = await startEngine();
    expect(h.http.listenerCount("upgrade")).toBe(1);
    h.engine.close();
    expect(h.http.listenerCount("upgrade")).toBe(0);
    expect(h.http.listenerCount("request")).toBe(1);
    expect((await httpRequest(h.port, HANDSHAKE)).body).toBe("not the engine");
  });

  test("listen() serves only the engine and answers 501 elsewhere", async () => {
    const { listen } = await import("@duplex/engine");
    const engine = listen(0);
    await new Promise((r) => engine.httpServer!.once("listening", r));
    const port = (engine.httpServer!.address() as import("node:net").AddressInfo).port;
    expect((await httpRequest(port, "/other")).status).toBe(501);
    expect((await httpRequest(port, HANDSHAKE)).status).toBe(200);
    await new Promise((r) => engine.httpServer!.close(r));
    expect(engine.clientsCount).toBe(0);
    h = await startEngine();
  });
});
