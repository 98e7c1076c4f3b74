import type { IncomingMessage, ServerResponse } from "node:http";
import { WebSocket } from "ws";
import type { EngineSocket } from "@duplex/engine";
import { httpRequest, pollingHandshake, startEngine, type Harness } from "./helpers";

let h: Harness;
afterEach(() => h.close());

/** The response headers of a WebSocket handshake (the 101). */
function upgradeHeaders(port: number): Promise<IncomingMessage["headers"]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket`);
    ws.on("upgrade", (res) => {
      resolve(res.headers);
      ws.close();
    });
    ws.on("error", reject);
  });
}

/**
 * What express-session does: it sets its cookie from a hook on writeHead
 * (the on-headers package), not when the middleware runs.
 */
function sessionLikeMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse["writeHead"]>) {
    const previous = this.getHeader("Set-Cookie");
    const cookies = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
    this.setHeader("Set-Cookie", [...cookies, "connect.sid=s%3Aabc; Path=/; HttpOnly"]);
    return writeHead.apply(this, args);
  } as ServerResponse["writeHead"];
  next();
}

describe("cookies on the WebSocket 101 answer", () => {
  it("a middleware that sets its cookie when headers are written (express-session) reaches the 101, next to the sid cookie", async () => {
    h = await startEngine({ cookie: true });
    h.engine.use(sessionLikeMiddleware);
    const headers = await upgradeHeaders(h.port);
    const cookies = headers["set-cookie"] ?? [];
    expect(cookies).toContain("connect.sid=s%3Aabc; Path=/; HttpOnly");
    expect(cookies.some((c) => /^io=[\w-]{20}; Path=\/; HttpOnly; SameSite=Lax$/.test(c))).toBe(true);
    expect(cookies).toHaveLength(2);
  });

  it("a \"headers\" listener's cookie reaches the 101", async () => {
    h = await startEngine();
    h.engine.on("headers", (headers) => {
      headers["set-cookie"] = ["listener=1"];
    });
    expect((await upgradeHeaders(h.port))["set-cookie"]).toEqual(["listener=1"]);
  });
});

describe("the sid cookie", () => {
  it("cookie: { path: false } leaves out Path and keeps HttpOnly, as engine.io 6.6", async () => {
    h = await startEngine({ cookie: { path: false } });
    const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
    expect(res.headers["set-cookie"]).toHaveLength(1);
    expect(res.headers["set-cookie"]![0]).toMatch(/^io=[\w-]{20}; HttpOnly; SameSite=Lax$/);
  });

  it("a \"headers\" listener that sets set-cookie (any case) replaces the sid cookie instead of adding to it", async () => {
    h = await startEngine({ cookie: true });
    h.engine.on("initial_headers", (headers) => {
      headers["set-cookie"] = ["mine=1"];
    });
    const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
    expect(res.headers["set-cookie"]).toEqual(["mine=1"]);
  });
});

describe("compress: false over polling", () => {
  async function pollAfterSend(compress: boolean | undefined): Promise<string | undefined> {
    h = await startEngine();
    const connected = new Promise<EngineSocket>((resolve) => h.engine.once("connection", resolve));
    const { sid } = await pollingHandshake(h.port);
    const socket = await connected;
    socket.send("x".repeat(4000), compress === undefined ? undefined : { compress });
    const res = await httpRequest(h.port, `/engine.io/?EIO=4&transport=polling&sid=${sid}`, {
      headers: { "Accept-Encoding": "gzip" },
    });
    expect(res.status).toBe(200);
    return res.headers["content-encoding"];
  }

  it("a response whose packets were all sent with compress: false is not compressed", async () => {
    expect(await pollAfterSend(false)).toBeUndefined();
  });

  it("by default it is gzipped when the client accepts it", async () => {
    expect(await pollAfterSend(undefined)).toBe("gzip");
  });
});
