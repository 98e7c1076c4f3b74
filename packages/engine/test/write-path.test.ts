// The WebSocket write path: frames built by the engine itself (RFC 6455 §5.2)
// and written to the raw socket, the session's fast path that skips the
// buffer, backpressure, and the fallback to `ws.send` with permessage-deflate.
import WebSocket from "ws";
import { PreparedMessage, type EngineOptions, type EngineSocket } from "@duplex/engine";
import { binaryFrame, binaryHeader, NO_PREFIX, textFrame } from "../src/transports/frame";
import { startEngine, until, type Harness } from "./helpers";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Frame = [data: string | Buffer, binary: boolean];

async function session(
  opts: EngineOptions = {},
  clientOpts: WebSocket.ClientOptions = {},
): Promise<{ ws: WebSocket; socket: EngineSocket; frames: Frame[] }> {
  h = await startEngine(opts);
  const connected = new Promise<EngineSocket>((resolve) => h!.engine.once("connection", resolve));
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket`, clientOpts);
  const frames: Frame[] = [];
  ws.on("message", (d, isBinary) => frames.push([isBinary ? (d as Buffer) : String(d), isBinary]));
  const socket = await connected;
  await until(() => frames.length >= 1); // the open packet
  frames.length = 0;
  return { ws, socket, frames };
}

// `ws` exports its Sender (and the static `Sender.frame`) at runtime; @types/ws does not declare it.
interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}
const { Sender } = WebSocket as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

/** `ws`'s own framing of an unmasked, uncompressed, final frame, as one Buffer. */
function wsFrame(data: Buffer, binary: boolean): Buffer {
  const parts = Sender.frame(data, { fin: true, opcode: binary ? 2 : 1, mask: false, readOnly: false, rsv1: false });
  return Buffer.concat(parts);
}

describe("frames built by the engine", () => {
  // 125/126 and 65535/65536 are where the 7-, 16- and 64-bit lengths switch.
  const lengths = [0, 1, 125, 126, 127, 65535, 65536, 70000];

  test.each(lengths)("text and binary frames of %i payload bytes match ws's framing", (n) => {
    const text = "x".repeat(n);
    expect(textFrame(text, NO_PREFIX)).toEqual(wsFrame(Buffer.from(text), false));
    if (n > 0) expect(textFrame(text.slice(1), 0x34)).toEqual(wsFrame(Buffer.from(`4${text.slice(1)}`), false));
    const bytes = Buffer.alloc(n, 7);
    expect(binaryFrame(bytes)).toEqual(wsFrame(bytes, true));
    expect(Buffer.concat([binaryHeader(n), bytes])).toEqual(wsFrame(bytes, true));
  });

  test("multi-byte UTF-8 text is framed by its byte length", () => {
    const text = "héllo ☃ 𝄞".repeat(20); // > 125 bytes, fewer characters
    expect(textFrame(text, 0x34)).toEqual(wsFrame(Buffer.from(`4${text}`), false));
  });

  test("a prepared message builds its frame once; its payload is a view into it", () => {
    const m = new PreparedMessage('2["news","héllo"]');
    const frame = m.webSocketFrame();
    expect(m.webSocketFrame()).toBe(frame);
    expect(frame).toEqual(wsFrame(Buffer.from('42["news","héllo"]'), false));
    expect(m.webSocketPayload().toString()).toBe('42["news","héllo"]');
    expect(m.webSocketPayload().buffer).toBe(frame.buffer);
    const b = new PreparedMessage(new Uint8Array([1, 2, 3]));
    expect(b.webSocketFrame()).toEqual(wsFrame(Buffer.from([1, 2, 3]), true));
    expect(b.webSocketPayload()).toEqual(Buffer.from([1, 2, 3]));
  });
});

describe("WebSocket writes", () => {
  const big = "é".repeat(40000); // 80000 bytes: a 64-bit length
  const mid = "m".repeat(300); // a 16-bit length
  const bigBinary = Buffer.alloc(70000, 9); // above the copy limit: header and payload corked
  const midBinary = Buffer.alloc(1000, 3);

  test("text, binary and large payloads, prepared or not, with and without callbacks, arrive in order", async () => {
    const { ws, socket, frames } = await session();
    const prepared = new PreparedMessage('2["news",1]');
    const preparedBig = new PreparedMessage(big);
    const preparedBinary = new PreparedMessage(bigBinary);
    let called = 0;
    socket.send("a");
    socket.send(prepared);
    socket.send(mid, () => called++); // through the buffer, with a write callback
    socket.send("b"); // buffered behind it: the transport is busy
    socket.send(big);
    socket.send(midBinary);
    socket.send(preparedBig);
    socket.send(new Uint8Array([1, 2, 3]), () => called++);
    socket.send(bigBinary);
    socket.send(preparedBinary);
    socket.send("");
    socket.send("z");
    await until(() => frames.length >= 12);
    expect(frames.map(([d, b]) => [b ? `bin:${(d as Buffer).length}:${(d as Buffer)[0]}` : (d as string).slice(0, 20), b])).toEqual([
      ["4a", false],
      ['42["news",1]', false],
      [`4${mid}`.slice(0, 20), false],
      ["4b", false],
      [`4${big}`.slice(0, 20), false],
      ["bin:1000:3", true],
      [`4${big}`.slice(0, 20), false],
      ["bin:3:1", true],
      ["bin:70000:9", true],
      ["bin:70000:9", true],
      ["4", false],
      ["4z", false],
    ]);
    expect(frames[2][0]).toBe(`4${mid}`);
    expect(frames[4][0]).toBe(`4${big}`);
    expect(frames[6][0]).toBe(`4${big}`);
    expect(frames[8][0]).toEqual(bigBinary);
    expect(called).toBe(2);

    // Now with no callbacks: each is written at once (fast path) or, once the
    // socket's buffer is full, buffered and written after its "drain"; all
    // as ready-made frames.
    frames.length = 0;
    expect(socket.transport.writable).toBe(true);
    const wsSend = jest.spyOn(WebSocket.prototype, "send");
    socket.send(big);
    socket.send(midBinary);
    socket.send(preparedBig);
    socket.send(bigBinary);
    socket.send(preparedBinary);
    socket.send(mid);
    await until(() => frames.length >= 6);
    expect(frames).toEqual([
      [`4${big}`, false],
      [midBinary, true],
      [`4${big}`, false],
      [bigBinary, true],
      [bigBinary, true],
      [`4${mid}`, false],
    ]);
    expect(wsSend).not.toHaveBeenCalled(); // written as ready-made frames, not through ws
    wsSend.mockRestore();
    ws.close();
  });

  test("one prepared message reaches several sessions with identical bytes", async () => {
    h = await startEngine();
    const sockets: EngineSocket[] = [];
    h.engine.on("connection", (s) => sockets.push(s));
    const clients = [0, 1, 2].map(() => new WebSocket(`ws://127.0.0.1:${h!.port}/engine.io/?EIO=4&transport=websocket`));
    const got: string[][] = clients.map(() => []);
    clients.forEach((c, i) => c.on("message", (d) => got[i].push(String(d))));
    await until(() => sockets.length === 3 && got.every((g) => g.length === 1));
    const m = new PreparedMessage(mid);
    for (let k = 0; k < 3; k++) for (const s of sockets) s.send(m);
    await until(() => got.every((g) => g.length === 4));
    for (const g of got) expect(g.slice(1)).toEqual([`4${mid}`, `4${mid}`, `4${mid}`]);
    for (const c of clients) c.close();
  });

  test("pings, sends and a graceful close keep their order", async () => {
    const { ws, socket, frames } = await session({ pingInterval: 30 });
    const codes: number[] = [];
    ws.on("close", (code) => codes.push(code));
    ws.on("message", (d) => {
      if (String(d) === "2") ws.send("3"); // answer pings
    });
    socket.send("first");
    await until(() => frames.some(([d]) => d === "2"));
    socket.send("second");
    socket.send("third");
    socket.close();
    await until(() => codes.length === 1);
    const messages = frames.map(([d]) => d).filter((d) => d !== "2");
    expect(messages).toEqual(["4first", "4second", "4third"]);
  });

  test("with a 'drain' listener, every write is reported as before", async () => {
    const { ws, socket, frames } = await session();
    let drains = 0;
    socket.on("drain", () => drains++);
    socket.send("one");
    await until(() => drains === 1);
    socket.send("two");
    socket.send("three"); // buffered behind "two", written in the next flush
    await until(() => drains === 3 || (drains === 2 && frames.length === 3));
    await until(() => frames.length === 3);
    expect(frames.map(([d]) => d)).toEqual(["4one", "4two", "4three"]);
    expect(drains).toBeGreaterThanOrEqual(2);
    ws.close();
  });

  test("a client that stops reading: the session buffers, then everything arrives in order", async () => {
    const { ws, socket, frames } = await session();
    ws.pause(); // stop reading: the server's socket buffer fills up
    const wsSend = jest.spyOn(WebSocket.prototype, "send");
    const chunk = "p".repeat(64 * 1024);
    let sawBackpressure = false;
    let called = 0;
    for (let i = 0; i < 200; i++) {
      socket.send(`${i}:${chunk}`);
      if (!socket.transport.writable) sawBackpressure = true;
    }
    socket.send("last", () => called++);
    expect(sawBackpressure).toBe(true);
    ws.resume();
    await until(() => frames.length === 201, 20000);
    expect(frames.slice(0, 200).map(([d]) => (d as string).slice(0, (d as string).indexOf(":")))).toEqual(
      Array.from({ length: 200 }, (_, i) => `4${i}`),
    );
    expect(frames[200][0]).toBe("4last");
    await until(() => called === 1);
    expect(socket.transport.writable).toBe(true);
    expect(wsSend).not.toHaveBeenCalled(); // batches after a "drain" are ready-made frames too
    wsSend.mockRestore();
    ws.close();
  });

  test("after a write the transport is busy for the rest of the tick; what follows leaves together on the next", async () => {
    const { ws, socket, frames } = await session();
    socket.send("1");
    expect(socket.transport.writable).toBe(false); // as with a write in flight: volatile packets are dropped
    socket.send("2");
    socket.send("3");
    await new Promise((resolve) => process.nextTick(resolve));
    await until(() => frames.length === 3);
    expect(frames.map(([d]) => d)).toEqual(["41", "42", "43"]);
    await until(() => socket.transport.writable);
    ws.close();
  });
});

describe("permessage-deflate: frames go through ws.send", () => {
  test("compressible messages, prepared or not, arrive compressed and in order", async () => {
    const { ws, socket, frames } = await session({ perMessageDeflate: { threshold: 0 } });
    expect(ws.extensions).toContain("permessage-deflate");
    const raw = socket.request.socket;
    const before = raw.bytesWritten;
    const wsSend = jest.spyOn(WebSocket.prototype, "send");
    const text = "compress me ".repeat(5000); // 60000 bytes
    socket.send(text);
    socket.send(new PreparedMessage(text));
    socket.send(Buffer.alloc(20000, 1));
    socket.send("tail", () => undefined);
    await until(() => frames.length === 4);
    expect(frames.map(([d, b]) => (b ? (d as Buffer).length : (d as string).length))).toEqual([60001, 60001, 20000, 5]);
    expect(frames[0][0]).toBe(`4${text}`);
    expect(frames[1][0]).toBe(`4${text}`);
    // the engine's own frames would have written > 140 kB
    expect(raw.bytesWritten - before).toBeLessThan(10000);
    expect(wsSend).toHaveBeenCalledTimes(4);
    wsSend.mockRestore();
    ws.close();
  });

  test("a client that does not negotiate it gets direct frames from a server that offers it", async () => {
    const { ws, socket, frames } = await session({ perMessageDeflate: true }, { perMessageDeflate: false });
    expect(ws.extensions).toBe("");
    const raw = socket.request.socket;
    const before = raw.bytesWritten;
    socket.send("x".repeat(2000));
    await until(() => frames.length === 1);
    expect(frames[0][0]).toBe(`4${"x".repeat(2000)}`);
    expect(raw.bytesWritten - before).toBe(2001 + 4);
    ws.close();
  });
});
