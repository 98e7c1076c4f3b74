import { request } from "node:http";
import { connect } from "node:net";
import { gunzipSync } from "node:zlib";
import type { CloseReason, EngineSocket } from "@duplex/engine";
import { httpRequest, openPollingSession, pendingPoll, startEngine, type Harness } from "./helpers";

const SEP = "\x1e";
let h: Harness;

afterEach(() => h.close());

/** Opens a session by hand and returns it with its server-side socket. */
async function open(opts = {}): Promise<{ sid: string; socket: EngineSocket; path: string }> {
  h = await startEngine(opts);
  const { sid, socket, pollPath } = await openPollingSession(h);
  return { sid, socket, path: pollPath };
}

function closed(socket: EngineSocket): Promise<[CloseReason, string | undefined]> {
  return new Promise((resolve) => socket.once("close", (reason, description) => resolve([reason, description])));
}

describe("long-polling", () => {
  test("a GET returns every pending packet batched in one payload", async () => {
    const { socket, path } = await open();
    socket.send("a");
    socket.send("b");
    socket.send("c");
    const res = await httpRequest(h.port, path);
    expect(res.body).toBe(["4a", "4b", "4c"].join(SEP));
  });

  test("a GET waits until there is something to send", async () => {
    const { socket, path } = await open();
    const { response: poll } = await pendingPoll(h, path);
    socket.send("late", () => undefined);
    expect((await poll).body).toBe("4late");
  });

  test("a POST delivers its packets in order and is answered 200 ok", async () => {
    const { socket, path } = await open();
    const got: unknown[] = [];
    socket.on("message", (m) => got.push(m));
    const res = await httpRequest(h.port, path, { method: "POST", body: `4hello${SEP}4world${SEP}4` });
    expect(res.status).toBe(200);
    expect(res.body).toBe("ok");
    expect(res.headers["content-type"]).toBe("text/html");
    expect(got).toEqual(["hello", "world", ""]);
  });

  test("binary goes base64 with the b prefix, both ways", async () => {
    const { socket, path } = await open();
    socket.send(Buffer.from([1, 2, 3]));
    socket.send(new Uint8Array([255, 0]).buffer);
    expect((await httpRequest(h.port, path)).body).toBe(`bAQID${SEP}b/wA=`);
    const got = new Promise<unknown>((resolve) => socket.once("message", resolve));
    await httpRequest(h.port, path, { method: "POST", body: "bAQID" });
    expect(await got).toEqual(Buffer.from([1, 2, 3]));
  });

  test("send callbacks run once the poll carrying the packet is written", async () => {
    const { socket, path } = await open();
    let written = 0;
    socket.send("x", () => written++);
    socket.send("y", {}, () => written++);
    expect(written).toBe(0);
    await httpRequest(h.port, path);
    expect(written).toBe(2);
  });

  test("a second GET while one is pending closes the session; both polls are answered", async () => {
    const { socket, path } = await open();
    const done = closed(socket);
    const { response: first } = await pendingPoll(h, path);
    const second = await httpRequest(h.port, path);
    expect(second.status).toBe(400);
    expect(JSON.parse(second.body)).toEqual({ code: 3, message: "Bad request" });
    expect((await first).body).toBe("1");
    expect((await done)[0]).toBe("transport error");
    expect(h.engine.clientsCount).toBe(0);
  });

  test("socket.close() ends the session with a close packet on the next poll ('forced close')", async () => {
    const { socket, path } = await open();
    const done = closed(socket);
    const { response: poll } = await pendingPoll(h, path);
    socket.send("bye");
    socket.close();
    // the poll took "bye" first; the close packet goes on the next one
    expect((await poll).body).toBe("4bye");
    // as engine.io: a noop, then the close packet (polling-close.test.ts)
    expect((await httpRequest(h.port, path)).body).toBe(`6${SEP}1`);
    expect(await done).toEqual(["forced close", expect.any(String)]);
    expect(h.engine.clientsCount).toBe(0);
    expect((await httpRequest(h.port, path)).status).toBe(400);
  });

  test("engine.close() answers a pending poll and reports 'server shutting down'", async () => {
    const { socket, path } = await open();
    const done = closed(socket);
    const { response: poll } = await pendingPoll(h, path);
    h.engine.close();
    expect((await poll).body).toBe("1");
    expect((await done)[0]).toBe("server shutting down");
  });

  test("a close packet from the client ends the session with 'transport close'", async () => {
    const { socket, path } = await open();
    const done = closed(socket);
    const { response: poll } = await pendingPoll(h, path);
    expect((await httpRequest(h.port, path, { method: "POST", body: "1" })).body).toBe("ok");
    expect((await done)[0]).toBe("transport close");
    // the client is gone: its poll is released with a noop, as engine.io does
    expect((await poll).body).toBe("6");
  });

  test("a ping from the client is a broken peer in v4: 'transport error'", async () => {
    const { socket, path } = await open();
    const done = closed(socket);
    await httpRequest(h.port, path, { method: "POST", body: "2" });
    expect((await done)[0]).toBe("transport error");
  });
});

describe("bad input over polling", () => {
  test.each([
    ["a packet type that does not exist", "9hello"],
    ["an empty body", ""],
    ["garbage after a good packet", `4ok${SEP}x`],
    ["a bare separator", SEP],
  ])("%s: 400 and the session closes with 'parse error'", async (_name, body) => {
    const { socket, path } = await open();
    const done = closed(socket);
    const res = await httpRequest(h.port, path, { method: "POST", body });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).code).toBe(3);
    expect((await done)[0]).toBe("parse error");
    expect(h.engine.clientsCount).toBe(0);
  });

  test("an oversized POST (declared length) gets 413 and closes the session", async () => {
    const { socket, path } = await open({ maxHttpBufferSize: 100 });
    const done = closed(socket);
    const res = await httpRequest(h.port, path, { method: "POST", body: "4" + "x".repeat(200) });
    expect(res.status).toBe(413);
    expect(await done).toEqual(["transport error", expect.stringContaining("maxHttpBufferSize")]);
  });

  test("an oversized chunked POST gets 413 once the limit is passed", async () => {
    const { socket, path } = await open({ maxHttpBufferSize: 1000 });
    const done = closed(socket);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: h.port, path, method: "POST", agent: false }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      req.on("error", reject);
      // no Content-Length: chunked; keep writing past the limit
      for (let i = 0; i < 20; i++) req.write("4" + "y".repeat(99));
      req.end();
    });
    expect(status).toBe(413);
    expect((await done)[0]).toBe("transport error");
  });

  test("a binary (octet-stream) POST body is refused: v4 polling bodies are text", async () => {
    const { socket, path } = await open();
    const done = closed(socket);
    const res = await httpRequest(h.port, path, {
      method: "POST",
      body: Buffer.from([4, 1, 2]),
      headers: { "Content-Type": "application/octet-stream" },
    });
    expect(res.status).toBe(400);
    expect((await done)[0]).toBe("transport error");
  });

  test("a TCP reset in the middle of a POST leaves the session usable", async () => {
    const { socket, path } = await open();
    await new Promise<void>((resolve) => {
      const raw = connect(h.port, "127.0.0.1", () => {
        raw.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n4partial`);
        setImmediate(() => {
          raw.resetAndDestroy();
          resolve();
        });
      });
    });
    const got = new Promise<unknown>((resolve) => socket.once("message", resolve));
    expect((await httpRequest(h.port, path, { method: "POST", body: "4after" })).status).toBe(200);
    expect(await got).toBe("after");
    expect(socket.readyState).toBe("open");
  });

  test("a TCP reset during a pending poll closes the session with 'transport error'", async () => {
    const { socket, path } = await open();
    const done = closed(socket);
    const raw = connect(h.port, "127.0.0.1", () => raw.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
    await new Promise((r) => setTimeout(r, 20));
    raw.resetAndDestroy();
    expect(await done).toEqual(["transport error", "poll connection closed prematurely"]);
  });

  test("an unknown method on a session is a bad request", async () => {
    const { path } = await open();
    const res = await httpRequest(h.port, path, { method: "PUT", body: "4x" });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).code).toBe(3);
  });

  test("a request with oversized headers gets 431 and the server goes on", async () => {
    h = await startEngine();
    const res = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling", {
      headers: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-filler-${i}`, "z".repeat(60)])),
    }).catch((e: Error) => e);
    if (res instanceof Error) expect(res.message).toMatch(/socket hang up|ECONNRESET/);
    else expect(res.status).toBe(431);
    expect((await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling")).status).toBe(200);
  });
});

describe("HTTP compression of poll responses", () => {
  const big = "z".repeat(2000);

  test("gzip above the threshold when the client accepts it", async () => {
    const { socket, path } = await open();
    socket.send(big);
    const res = await httpRequest(h.port, path, { headers: { "Accept-Encoding": "gzip, deflate" } });
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(Number(res.headers["content-length"])).toBe(res.raw.length);
    expect(res.raw.length).toBeLessThan(200);
    expect(gunzipSync(res.raw).toString()).toBe("4" + big);
  });

  test("not below the threshold, nor when httpCompression is off", async () => {
    const { socket, path } = await open();
    socket.send("small");
    const res = await httpRequest(h.port, path, { headers: { "Accept-Encoding": "gzip" } });
    expect(res.headers["content-encoding"]).toBeUndefined();
    await h.close();
    const second = await open({ httpCompression: false });
    second.socket.send(big);
    const res2 = await httpRequest(h.port, second.path, { headers: { "Accept-Encoding": "gzip" } });
    expect(res2.headers["content-encoding"]).toBeUndefined();
    expect(res2.body).toBe("4" + big);
  });
});
