import type { Socket } from "@duplex/server";
import { RAW_TRANSPORTS, once, startServer, until, type RawClient, type RawData, type ServerHarness } from "./helpers";

// Malformed and hostile Socket.IO packets over a raw engine.io-client session
// (messages below are Socket.IO packets; the engine adds its "4"). Each gets
// the protocol's answer: the session is closed and its sockets disconnect
// with socket.io's reason ("forced close" for a packet that does not decode,
// "forced server close" for one that makes no sense in the session's state),
// or the packet is ignored. Nothing throws, nothing stays
// behind in the namespace or the adapter.

jest.setTimeout(10000);

let h: ServerHarness;

afterEach(() => h.close());

/** Packets that must close the session of a client that joined "/". */
const CLOSING: Array<[string, RawData[], string?]> = [
  ["an unknown packet type", ["9"]],
  ["broken JSON", ['2["hello"']],
  ["event data that is not an array", ['2{"a":1}']],
  ["an empty event", ["2[]"]],
  ["an object as event name", ['2[{"toString":"foo"}]']],
  ["null as event name", ["2[null]"]],
  ['a reserved event name ("disconnect")', ['2["disconnect"]']],
  ['a reserved event name ("connect") with an ack id', ['21["connect"]']],
  ["a placeholder with a string index", ['51-["hello",{"_placeholder":true,"num":"splice"}]', Buffer.from([1])]],
  ["a placeholder index out of range", ['51-["hello",{"_placeholder":true,"num":3}]', Buffer.from([1])]],
  ["thousands of attachments", ['54000-["hello",{"_placeholder":true,"num":0}]']],
  ["a negative attachment count", ['5-1-["hello"]']],
  ["binary data no packet announced", [Buffer.from([1, 2, 3])]],
  ["a second CONNECT to the same namespace", ["0"], "forced server close"],
  ["a CONNECT_ERROR sent by the client", ['4{"message":"x"}'], "forced server close"],
  ["an event for a namespace the client has not joined", ['2/other,["hello"]'], "forced server close"],
  ["a CONNECT whose auth is not an object", ['0/other,"token"']],
  ["an ack without data", ["31"]],
  ["an ack id that is not an integer", ['21.5["hello"]']],
];

describe.each(RAW_TRANSPORTS)("over %s", (_name, transports) => {
  let raw: RawClient;
  let socket: Socket;

  beforeEach(async () => {
    h = await startServer();
    h.io.of("/other");
    const connection = once<[Socket]>(h.io, "connection");
    raw = await h.raw(transports);
    expect(await raw.join()).toMatch(/^0\{"sid":/);
    [socket] = await connection;
  });

  test.each(CLOSING)("%s closes the session", async (_what, packets, expected = "forced close") => {
    const reason = once<[string]>(socket, "disconnect");
    for (const p of packets) raw.send(p);
    expect((await reason)[0]).toBe(expected);
    await raw.closed;
    await until(() => h.io.engine.clientsCount === 0);
    expect(h.io.sockets.sockets.size).toBe(0);
    expect(h.io.sockets.adapter.sids.size).toBe(0);
    expect(h.io.sockets.adapter.rooms.size).toBe(0);
  });

  test("an ACK for an unknown id is ignored and the session stays", async () => {
    socket.on("echo", (v: string, ack: (v: string) => void) => ack(v));
    raw.send('3999["nobody asked"]');
    raw.send('37[]');
    raw.send('21["echo","alive"]');
    expect(await raw.next()).toBe('31["alive"]');
    expect(socket.connected).toBe(true);
  });

  test("an ACK answered twice is taken once", async () => {
    const answers: unknown[] = [];
    socket.emit("question", (a: unknown) => answers.push(a));
    expect(await raw.next()).toBe('20["question"]');
    raw.send('30["first"]');
    raw.send('30["second"]');
    socket.on("echo", (v: string, ack: (v: string) => void) => ack(v));
    raw.send('21["echo","sync"]');
    expect(await raw.next()).toBe('31["sync"]');
    expect(answers).toEqual(["first"]);
    expect(socket.connected).toBe(true);
  });

  test("a numeric event name is accepted, as socket.io-parser does", async () => {
    const got = once<unknown[]>(socket, "42");
    raw.send('2[42,"answer"]');
    expect(await got).toEqual(["answer"]);
    expect(socket.connected).toBe(true);
  });

  test('an event named "error" with no listener is dropped, the session stays', async () => {
    raw.send('2["error","boom"]');
    socket.on("echo", (v: string, ack: (v: string) => void) => ack(v));
    raw.send('21["echo","alive"]');
    expect(await raw.next()).toBe('31["alive"]');
  });

  test("a packet beyond maxHttpBufferSize closes the session", async () => {
    await h.close();
    h = await startServer({ maxHttpBufferSize: 1000 });
    const connection = once<[Socket]>(h.io, "connection");
    raw = await h.raw(transports);
    await raw.join();
    [socket] = await connection;
    const handler = jest.fn();
    socket.on("big", handler);
    const reason = once<[string]>(socket, "disconnect");
    raw.send(`2["big","${"x".repeat(2000)}"]`);
    // engine.io's answer too: polling gets 413, WebSocket a 1009 close; both are transport errors
    expect((await reason)[0]).toBe("transport error");
    await raw.closed;
    expect(handler).not.toHaveBeenCalled();
    await until(() => h.io.engine.clientsCount === 0);
    expect(h.io.sockets.sockets.size).toBe(0);
  });
});

describe("before any CONNECT", () => {
  test.each(RAW_TRANSPORTS)("an EVENT closes the session (%s)", async (_name, transports) => {
    h = await startServer();
    const connection = jest.fn();
    h.io.on("connection", connection);
    const raw = await h.raw(transports);
    raw.send('2["hello"]');
    await raw.closed;
    await until(() => h.io.engine.clientsCount === 0);
    expect(connection).not.toHaveBeenCalled();
  });

  test("an ACK or a DISCONNECT closes the session", async () => {
    h = await startServer();
    for (const packet of ['30["x"]', "1"]) {
      const raw = await h.raw(["websocket"]);
      raw.send(packet);
      await raw.closed;
    }
    await until(() => h.io.engine.clientsCount === 0);
  });

  test("garbage first closes the session", async () => {
    h = await startServer();
    const raw = await h.raw(["websocket"]);
    raw.send("hello there");
    await raw.closed;
    await until(() => h.io.engine.clientsCount === 0);
  });
});

describe("one bad session does not disturb the others", () => {
  test("a parse error on one session leaves another one untouched", async () => {
    h = await startServer();
    const good = await h.raw(["websocket"]);
    await good.join();
    const bad = await h.raw(["websocket"]);
    await bad.join();
    expect(h.io.sockets.sockets.size).toBe(2);
    bad.send("2[null]");
    await bad.closed;
    await until(() => h.io.sockets.sockets.size === 1);
    const [survivor] = [...h.io.sockets.sockets.values()];
    survivor.on("echo", (v: string, ack: (v: string) => void) => ack(v));
    good.send('21["echo","fine"]');
    expect(await good.next()).toBe('31["fine"]');
  });
});
