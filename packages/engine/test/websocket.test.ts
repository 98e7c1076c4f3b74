import { connect, type Socket } from "node:net";
import WebSocket from "ws";
import type { CloseReason, EngineSocket } from "@duplex/engine";
import { startEngine, type Harness } from "./helpers";

let h: Harness;
afterEach(() => h.close());

const WS_PATH = "/engine.io/?EIO=4&transport=websocket";

/** Opens a WebSocket session and waits for both the open packet and the server-side socket. */
async function openWs(opts = {}): Promise<{ ws: WebSocket; socket: EngineSocket; open: Record<string, unknown> }> {
  h = await startEngine(opts);
  const connected = new Promise<EngineSocket>((resolve) => h.engine.once("connection", resolve));
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}${WS_PATH}`);
  const first = await new Promise<string>((resolve) => ws.once("message", (d) => resolve(String(d))));
  return { ws, socket: await connected, open: JSON.parse(first.slice(1)) };
}

function closed(socket: EngineSocket): Promise<[CloseReason, string | undefined]> {
  return new Promise((resolve) => socket.once("close", (reason, description) => resolve([reason, description])));
}

function wsClosed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once("close", (code) => resolve(code)));
}

/** Performs the HTTP upgrade by hand, for requests `ws` (the client) would never send. */
function rawUpgrade(port: number, path: string, headers: Record<string, string>): Promise<{ socket: Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}\r\n`);
    });
    let buf = "";
    const onData = (chunk: Buffer) => {
      buf += chunk.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end >= 0) {
        socket.off("data", onData);
        resolve({ socket, head: buf });
      }
    };
    socket.on("data", onData);
    socket.on("error", reject);
  });
}

const GOOD_UPGRADE = {
  Connection: "Upgrade",
  Upgrade: "websocket",
  "Sec-WebSocket-Version": "13",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
};

/** A client frame (masked with a zero key, so the payload stays readable). */
function frame(firstByte: number, payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error("short frames only");
  return Buffer.concat([Buffer.from([firstByte, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

describe("websocket transport", () => {
  test("text and binary frames both ways", async () => {
    const { ws, socket } = await openWs();
    const got: unknown[] = [];
    socket.on("message", (m) => got.push(m));
    ws.send("4hello");
    ws.send(Buffer.from([1, 2, 3]));
    await new Promise<void>((resolve) => socket.on("message", () => got.length === 2 && resolve()));
    expect(got).toEqual(["hello", Buffer.from([1, 2, 3])]);

    const frames: Array<[unknown, boolean]> = [];
    const two = new Promise<void>((resolve) =>
      ws.on("message", (data, isBinary) => {
        frames.push([isBinary ? data : String(data), isBinary]);
        if (frames.length === 2) resolve();
      }),
    );
    socket.send("world");
    socket.send(new Uint8Array([9, 8]));
    await two;
    expect(frames).toEqual([
      ["4world", false],
      [Buffer.from([9, 8]), true],
    ]);
  });

  test("the client closing the WebSocket closes the session with 'transport close'", async () => {
    const { ws, socket } = await openWs();
    const done = closed(socket);
    ws.close();
    expect((await done)[0]).toBe("transport close");
    expect(h.engine.clientsCount).toBe(0);
  });

  test("socket.close() closes the WebSocket ('forced close'), after what was buffered", async () => {
    const { ws, socket } = await openWs();
    const done = closed(socket);
    const frames: string[] = [];
    ws.on("message", (d) => frames.push(String(d)));
    const code = wsClosed(ws);
    socket.send("last words");
    socket.close();
    expect((await done)[0]).toBe("forced close");
    expect(await code).toBe(1005);
    expect(frames).toEqual(["4last words"]);
  });

  test("engine.close() ends WebSocket sessions with 'server shutting down'", async () => {
    const { ws, socket } = await openWs();
    const done = closed(socket);
    const code = wsClosed(ws);
    h.engine.close();
    expect((await done)[0]).toBe("server shutting down");
    await code;
  });

  test("perMessageDeflate is off by default and negotiated when on", async () => {
    const off = await openWs();
    expect(off.ws.extensions).toBe("");
    await h.close();
    const on = await openWs({ perMessageDeflate: { threshold: 0 } });
    expect(on.ws.extensions).toContain("permessage-deflate");
    const got = new Promise<string>((resolve) => on.ws.on("message", (d) => resolve(String(d))));
    on.socket.send("x".repeat(5000));
    expect(await got).toBe("4" + "x".repeat(5000));
  });
});

describe("bad input over websocket", () => {
  test("a frame that is not an Engine.IO packet closes with 'parse error'", async () => {
    const { ws, socket } = await openWs();
    const done = closed(socket);
    const code = wsClosed(ws);
    ws.send("xyz");
    expect((await done)[0]).toBe("parse error");
    expect(await code).toBe(1002);
  });

  test("a ping from the client closes with 'transport error'", async () => {
    const { ws, socket } = await openWs();
    const done = closed(socket);
    ws.send("2");
    expect((await done)[0]).toBe("transport error");
  });

  test("a message above maxHttpBufferSize closes with 1009 and 'transport error'", async () => {
    const { ws, socket } = await openWs({ maxHttpBufferSize: 100 });
    expect(socket.transport.name).toBe("websocket");
    const done = closed(socket);
    const code = wsClosed(ws);
    ws.send("4" + "x".repeat(200));
    expect((await done)[0]).toBe("transport error");
    expect(await code).toBe(1009);
  });

  async function rawSession(): Promise<{ socket: Socket; session: EngineSocket }> {
    h = await startEngine();
    const connected = new Promise<EngineSocket>((resolve) => h.engine.once("connection", resolve));
    const { socket, head } = await rawUpgrade(h.port, WS_PATH, GOOD_UPGRADE);
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    return { socket, session: await connected };
  }

  function closeFrameCode(socket: Socket): Promise<number> {
    return new Promise((resolve) => {
      let buf = Buffer.alloc(0);
      socket.on("data", (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        // skip the open packet frame, find a close frame (opcode 8)
        for (let i = 0; i + 3 < buf.length; ) {
          const len = buf[i + 1] & 0x7f;
          if ((buf[i] & 0x0f) === 8) return resolve(buf.readUInt16BE(i + 2));
          i += 2 + len;
        }
      });
    });
  }

  test("a frame with RSV1 set (no extension negotiated) closes with 1002 and 'parse error'", async () => {
    const { socket, session } = await rawSession();
    const done = closed(session);
    const code = closeFrameCode(socket);
    socket.write(frame(0x80 | 0x40 | 0x1, Buffer.from("4hi")));
    expect((await done)[0]).toBe("parse error");
    expect(await code).toBe(1002);
    socket.destroy();
  });

  test("a text frame with invalid UTF-8 closes with 1007 and 'parse error'", async () => {
    const { socket, session } = await rawSession();
    const done = closed(session);
    const code = closeFrameCode(socket);
    socket.write(frame(0x81, Buffer.from([0x34, 0xff, 0xfe, 0xfd])));
    expect(await done).toEqual(["parse error", expect.stringContaining("WS_ERR_INVALID_UTF8")]);
    expect(await code).toBe(1007);
    socket.destroy();
  });

  test("an unknown opcode closes with 'parse error'", async () => {
    const { socket, session } = await rawSession();
    const done = closed(session);
    socket.write(frame(0x83, Buffer.from("4")));
    expect((await done)[0]).toBe("parse error");
    socket.destroy();
  });

  test("a TCP reset with the session open closes it with 'transport close'", async () => {
    const { socket, session } = await rawSession();
    const done = closed(session);
    socket.resetAndDestroy();
    expect((await done)[0]).toMatch(/^transport (close|error)$/);
    expect(h.engine.clientsCount).toBe(0);
  });
});

describe("invalid upgrade requests", () => {
  beforeEach(async () => {
    h = await startEngine();
  });

  test.each([
    ["no Sec-WebSocket-Key", { ...GOOD_UPGRADE, "Sec-WebSocket-Key": "" }, WS_PATH, 3],
    ["a malformed Sec-WebSocket-Key", { ...GOOD_UPGRADE, "Sec-WebSocket-Key": "short" }, WS_PATH, 3],
    ["an unsupported Sec-WebSocket-Version", { ...GOOD_UPGRADE, "Sec-WebSocket-Version": "7" }, WS_PATH, 3],
    ["an HTTP/2-style h2c upgrade", { Connection: "Upgrade, HTTP2-Settings", Upgrade: "h2c", "HTTP2-Settings": "AAMAAABkAAQAoAAAAAIAAAAA" }, WS_PATH, 3],
    ["an unknown sid", GOOD_UPGRADE, `${WS_PATH}&sid=AAAAAAAAAAAAAAAAAAAA`, 1],
    ["EIO=3", GOOD_UPGRADE, "/engine.io/?EIO=3&transport=websocket", 5],
    ["transport=polling", GOOD_UPGRADE, "/engine.io/?EIO=4&transport=polling", 3],
    ["an unknown transport", GOOD_UPGRADE, "/engine.io/?EIO=4&transport=flux", 0],
  ])("%s: 400 with the Engine.IO code, socket closed", async (_name, headers, path, code) => {
    const refused: number[] = [];
    h.engine.on("connection_error", (e) => refused.push(e.code));
    const { socket, head } = await rawUpgrade(h.port, path, headers as Record<string, string>);
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(JSON.parse(head.slice(head.indexOf("\r\n\r\n") + 4)).code).toBe(code);
    await new Promise((resolve) => socket.once("close", resolve));
    expect(refused).toEqual([code]);
    expect(h.engine.clientsCount).toBe(0);
  });

  test("an upgrade on a path that is not the engine's is ended after destroyUpgradeTimeout", async () => {
    await h.close();
    h = await startEngine({ destroyUpgradeTimeout: 10 });
    const { socket } = await new Promise<{ socket: Socket }>((resolve) => {
      const s = connect(h.port, "127.0.0.1", () => {
        s.write("GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        resolve({ socket: s });
      });
    });
    await new Promise((resolve) => socket.once("close", resolve));
    expect(socket.bytesRead).toBe(0);
  });
});
