import WebSocket from "ws";
import { PreparedMessage, type EngineSocket } from "@duplex/engine";
import { httpRequest, startEngine, type Harness } from "./helpers";

let h: Harness;
beforeEach(async () => {
  h = await startEngine();
});
afterEach(() => h.close());

async function wsSession(): Promise<{ ws: WebSocket; socket: EngineSocket; frames: Array<[string | Buffer, boolean]> }> {
  const connected = new Promise<EngineSocket>((resolve) => h.engine.once("connection", resolve));
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket`);
  const frames: Array<[string | Buffer, boolean]> = [];
  ws.on("message", (d, isBinary) => frames.push([isBinary ? (d as Buffer) : String(d), isBinary]));
  const socket = await connected;
  return { ws, socket, frames };
}

test("one prepared message reaches WebSocket and polling sessions alike, text and binary", async () => {
  const a = await wsSession();
  const b = await wsSession();
  const pollConnected = new Promise<EngineSocket>((resolve) => h.engine.once("connection", resolve));
  const handshake = await httpRequest(h.port, "/engine.io/?EIO=4&transport=polling");
  const sid = JSON.parse(handshake.body.slice(1)).sid;
  const polling = await pollConnected;

  const text = new PreparedMessage('2["news","héllo"]');
  const binary = new PreparedMessage(new Uint8Array([7, 8, 9]));
  for (const socket of [a.socket, b.socket, polling]) {
    socket.send(text);
    socket.send(binary);
  }
  // the WebSocket payload is built once and shared
  expect(text.webSocketPayload()).toBe(text.webSocketPayload());

  const poll = await httpRequest(h.port, `/engine.io/?EIO=4&transport=polling&sid=${sid}`);
  expect(poll.body).toBe('42["news","héllo"]\x1ebBwgJ');
  for (const s of [a, b]) {
    await new Promise<void>((resolve) => {
      const check = () => (s.frames.length >= 3 ? resolve() : setImmediate(check));
      check();
    });
    expect(s.frames.slice(1)).toEqual([
      ['42["news","héllo"]', false],
      [Buffer.from([7, 8, 9]), true],
    ]);
    s.ws.close();
  }
});
