// What leaves the server in one socket write: the 101 answer with the open
// packet, and every frame a session writes in one event-loop turn. Checked on
// the server's own net.Socket (its _write/_writev calls), not by timing.
import type { Socket as NetSocket } from "node:net";
import WebSocket from "ws";
import type { EngineSocket } from "@duplex/engine";
import { startEngine, until, type Harness } from "./helpers";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type WriteChunk = { chunk: Buffer | string; encoding: BufferEncoding };
type Spied = NetSocket & {
  _write(chunk: Buffer | string, encoding: BufferEncoding, cb: (err?: Error | null) => void): void;
  _writev(chunks: WriteChunk[], cb: (err?: Error | null) => void): void;
};

const bytes = ({ chunk, encoding }: WriteChunk): Buffer => (typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk);

/** Records, as text, what each `_write`/`_writev` call of the server's connections carries. */
function recordWrites(harness: Harness): string[] {
  const writes: string[] = [];
  harness.http.on("connection", (socket: Spied) => {
    const write = socket._write.bind(socket);
    const writev = socket._writev.bind(socket);
    socket._write = (chunk, encoding, cb) => {
      writes.push(bytes({ chunk, encoding }).toString("latin1"));
      write(chunk, encoding, cb);
    };
    socket._writev = (chunks, cb) => {
      writes.push(Buffer.concat(chunks.map(bytes)).toString("latin1"));
      writev(chunks, cb);
    };
  });
  return writes;
}

async function open(): Promise<{ ws: WebSocket; socket: EngineSocket; messages: string[]; writes: string[] }> {
  h = await startEngine();
  const writes = recordWrites(h);
  const connected = new Promise<EngineSocket>((resolve) => h!.engine.once("connection", resolve));
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket`);
  const messages: string[] = [];
  ws.on("message", (data) => messages.push(String(data)));
  const socket = await connected;
  await until(() => messages.length === 1);
  return { ws, socket, messages, writes };
}

describe("writes per socket", () => {
  test("the 101 answer and the open packet leave in one write", async () => {
    const { messages, writes } = await open();
    expect(messages[0]).toMatch(/^0\{"sid":/);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^HTTP\/1\.1 101 /);
    expect(writes[0]).toContain('0{"sid":');
  });

  test("ten sends in one turn leave in one write, in order", async () => {
    const { socket, messages, writes } = await open();
    writes.length = 0;
    for (let i = 0; i < 10; i++) socket.send(`m${i}`);
    await until(() => messages.length === 11);
    expect(messages.slice(1)).toEqual(Array.from({ length: 10 }, (_, i) => `4m${i}`));
    expect(writes).toHaveLength(1);
  });

  test("sends in different turns leave in different writes", async () => {
    const { socket, messages, writes } = await open();
    writes.length = 0;
    socket.send("first");
    await new Promise((resolve) => setImmediate(resolve));
    socket.send("second");
    await until(() => messages.length === 3);
    expect(messages.slice(1)).toEqual(["4first", "4second"]);
    expect(writes).toHaveLength(2);
  });
});
