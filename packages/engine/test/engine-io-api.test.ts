import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { attach, EngineServer, EngineSocket, Server, Socket, type EngineOptions } from "@duplex/engine";
import { httpRequest, type HttpResult } from "./helpers";

// engine.io 6.6's public API, each expectation checked on the official
// engine.io server (the copy socket.io 4.8.4 ships) and on Duplex's engine.

const enginePath = require.resolve("engine.io", { paths: [require.resolve("socket.io")] });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineIo = require(enginePath) as { attach(http: HttpServer, opts?: object): AnyEngine };

interface ConnectionErrorLike {
  code: number;
  message: string;
  context: Record<string, unknown>;
}

interface AnyEngine {
  clients: Record<string, { id: string; close(): void }>;
  generateId(req: unknown): string | Promise<string>;
  on(event: "connection_error", listener: (err: ConnectionErrorLike) => void): unknown;
  on(event: "connection", listener: (socket: { id: string; on(ev: "close", l: () => void): unknown }) => void): unknown;
  close(): unknown;
}

type Kind = "engine.io" | "duplex";
const KINDS: Kind[] = ["engine.io", "duplex"];

async function start(kind: Kind, opts: EngineOptions = {}): Promise<{ engine: AnyEngine; port: number; close(): Promise<void> }> {
  const http = createServer();
  const engine = kind === "duplex" ? (attach(http, opts) as unknown as AnyEngine) : engineIo.attach(http, opts);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    engine,
    port: (http.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        engine.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** Runs `scenario` on both servers and returns both outcomes. */
async function bothServers<T>(opts: EngineOptions, scenario: (s: { engine: AnyEngine; port: number }) => Promise<T>): Promise<Record<Kind, T>> {
  const out = {} as Record<Kind, T>;
  for (const kind of KINDS) {
    const s = await start(kind, opts);
    try {
      out[kind] = await scenario(s);
    } finally {
      await s.close();
    }
  }
  return out;
}

const handshake = (port: number): Promise<HttpResult> => httpRequest(port, "/engine.io/?EIO=4&transport=polling");

test("Server and Socket are exported under engine.io's names", () => {
  expect(Server).toBe(EngineServer);
  expect(Socket).toBe(EngineSocket);
});

describe("generateId", () => {
  test("may return a Promise of the id", async () => {
    const out = await bothServers({}, async ({ engine, port }) => {
      engine.generateId = async () => "custom-id-123";
      const res = await handshake(port);
      return { status: res.status, sid: JSON.parse(res.body.slice(1)).sid, keys: Object.keys(engine.clients) };
    });
    expect(out["engine.io"]).toEqual({ status: 200, sid: "custom-id-123", keys: ["custom-id-123"] });
    expect(out.duplex).toEqual(out["engine.io"]);
  });

  test("a rejection refuses the handshake: 400, code 3, connection_error ID_GENERATION_ERROR", async () => {
    const out = await bothServers({}, async ({ engine, port }) => {
      const errors: ConnectionErrorLike[] = [];
      engine.on("connection_error", (err) => errors.push(err));
      engine.generateId = () => Promise.reject(new Error("no id today"));
      const res = await handshake(port);
      const [err] = errors;
      return {
        status: res.status,
        body: JSON.parse(res.body),
        code: err?.code,
        message: err?.message,
        name: err?.context.name,
        error: (err?.context.error as Error | undefined)?.message,
        sessions: Object.keys(engine.clients).length,
      };
    });
    expect(out["engine.io"]).toEqual({
      status: 400,
      body: { code: 3, message: "Bad request" },
      code: 3,
      message: "Bad request",
      name: "ID_GENERATION_ERROR",
      error: "no id today",
      sessions: 0,
    });
    expect(out.duplex).toEqual(out["engine.io"]);
  });
});

test("initialPacket is sent right after the open packet", async () => {
  const out = await bothServers({ initialPacket: "welcome" }, async ({ port }) => {
    const res = await handshake(port);
    return res.body.split("\x1e").slice(1);
  });
  expect(out["engine.io"]).toEqual(["4welcome"]);
  expect(out.duplex).toEqual(out["engine.io"]);
});

test("clients is a plain object keyed by session id", async () => {
  const out = await bothServers({}, async ({ engine, port }) => {
    const { sid } = JSON.parse((await handshake(port)).body.slice(1)) as { sid: string };
    const keys = Object.keys(engine.clients);
    const isSession = engine.clients[sid]?.id === sid;
    return { keys: keys.length === 1 && keys[0] === sid, isSession, isPlainObject: !(engine.clients instanceof Map) };
  });
  expect(out["engine.io"]).toEqual({ keys: true, isSession: true, isPlainObject: true });
  expect(out.duplex).toEqual(out["engine.io"]);
});

test("clients forgets a closed session", async () => {
  // closeTimeout: the close packet waits for a poll that this test never sends.
  const s = await start("duplex", { closeTimeout: 100 });
  try {
    const engine = s.engine as unknown as EngineServer;
    const opened = new Promise<EngineSocket>((resolve) => engine.once("connection", resolve));
    await handshake(s.port);
    const socket = await opened;
    expect(engine.clients[socket.id]).toBe(socket);
    expect(engine.sessions.get(socket.id)).toBe(socket);
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.close();
    await closed;
    expect(Object.keys(engine.clients)).toEqual([]);
    expect(engine.sessions.size).toBe(0);
  } finally {
    await s.close();
  }
});

describe("connection_error carries engine.io's code, message and context", () => {
  test.each([
    ["an unknown transport", "/engine.io/?EIO=4&transport=carrier-pigeon"],
    ["an unknown sid", "/engine.io/?EIO=4&transport=polling&sid=nope"],
    ["an Engine.IO v3 client", "/engine.io/?EIO=3&transport=polling"],
    ["a websocket handshake without Upgrade", "/engine.io/?EIO=4&transport=websocket"],
  ])("%s", async (_what, path) => {
    const out = await bothServers({}, async ({ engine, port }) => {
      const errors: ConnectionErrorLike[] = [];
      engine.on("connection_error", (err) => errors.push(err));
      const res = await httpRequest(port, path);
      const err = errors[0]!;
      return { status: res.status, code: err.code, message: err.message, context: err.context };
    });
    const { context: referenceContext, ...reference } = out["engine.io"];
    const { context, ...duplex } = out.duplex;
    expect(duplex).toEqual(reference);
    // Duplex may add detail for logs; engine.io's fields are there, with the same values.
    expect(context).toMatchObject(referenceContext);
  });
});

describe("cors: the options of the cors package", () => {
  const preflight = (port: number) =>
    httpRequest(port, "/engine.io/?EIO=4&transport=polling", {
      method: "OPTIONS",
      headers: { Origin: "https://app.example", "Access-Control-Request-Method": "GET" },
    });
  const pick = (res: HttpResult) => ({
    status: res.status,
    allowOrigin: res.headers["access-control-allow-origin"],
    allowMethods: res.headers["access-control-allow-methods"],
    maxAge: res.headers["access-control-max-age"],
    credentials: res.headers["access-control-allow-credentials"],
  });

  test("optionsSuccessStatus sets the preflight's status", async () => {
    const cors = { origin: "https://app.example", optionsSuccessStatus: 200, maxAge: 600, methods: ["GET", "POST"] };
    const out = await bothServers({ cors }, async ({ port }) => pick(await preflight(port)));
    expect(out["engine.io"]).toEqual({ status: 200, allowOrigin: "https://app.example", allowMethods: "GET,POST", maxAge: "600", credentials: undefined });
    expect(out.duplex).toEqual(out["engine.io"]);
  });

  test("preflightContinue passes the preflight on to the engine", async () => {
    const out = await bothServers({ cors: { origin: true, preflightContinue: true } }, async ({ port }) => pick(await preflight(port)));
    expect(out["engine.io"].status).toBe(400); // the engine refuses an OPTIONS handshake
    expect(out["engine.io"].allowOrigin).toBe("https://app.example");
    expect(out.duplex).toEqual(out["engine.io"]);
  });

  test("a delegate chooses the options per request", async () => {
    const cors = (req: { headers: Record<string, unknown> }, callback: (err: Error | null, opts?: object) => void) =>
      callback(null, { origin: req.headers["x-tenant"] === "a" ? "https://a.example" : false, credentials: true });
    const out = await bothServers({ cors: cors as never }, async ({ port }) => {
      const a = await httpRequest(port, "/engine.io/?EIO=4&transport=polling", { headers: { Origin: "https://a.example", "X-Tenant": "a" } });
      const b = await httpRequest(port, "/engine.io/?EIO=4&transport=polling", { headers: { Origin: "https://b.example" } });
      return [pick(a), pick(b)];
    });
    expect(out["engine.io"]).toEqual([
      { status: 200, allowOrigin: "https://a.example", allowMethods: undefined, maxAge: undefined, credentials: "true" },
      // origin false: the cors package adds no header at all
      { status: 200, allowOrigin: undefined, allowMethods: undefined, maxAge: undefined, credentials: undefined },
    ]);
    expect(out.duplex).toEqual(out["engine.io"]);
  });
});
