import { io } from "@duplex/client";
import type { Socket as ServerSocket } from "@duplex/server";
import { client, closeAll, once, startServer } from "./helpers";

afterEach(() => closeAll());

describe("a server that breaks the protocol", () => {
  test.each([
    ['2["disconnect","fake"]', "a fake disconnect"],
    ['2["connect"]', "a second connect"],
  ])("an event %s (%s) is a parse error, not a reserved event for the application", async (packet) => {
    const h = await startServer("duplex");
    const serverSide = new Promise<ServerSocket>((resolve) => h.io.once("connection", resolve));
    const socket = client(h.url);
    await once(socket, "connect");
    const connects: number[] = [];
    socket.on("connect", () => connects.push(1));
    const gone = once<[string]>(socket, "disconnect");
    // Below the server's API (which refuses reserved names): the raw engine message.
    (await serverSide).conn.send(packet);
    expect((await gone)[0]).toBe("parse error");
    expect(connects).toEqual([]);
  });
});

describe("coded errors", () => {
  test("ack timeouts and disconnects carry ACK_TIMEOUT / ACK_CLOSED", async () => {
    const h = await startServer("duplex");
    h.io.on("connection", (s: ServerSocket) => s.on("hang", () => undefined));
    const socket = client(h.url);
    await once(socket, "connect");
    const timedOut = await socket.timeout(20).emitWithAck("hang").catch((e: Error & { code?: string }) => e);
    expect(timedOut).toMatchObject({ message: "operation has timed out", code: "ACK_TIMEOUT" });
    const pending = socket.timeout(60000).emitWithAck("hang").catch((e: Error & { code?: string }) => e);
    socket.disconnect();
    expect(await pending).toMatchObject({ message: "socket has been disconnected", code: "ACK_CLOSED" });
  });
});

describe("io() arguments", () => {
  test("the caller's options object is left as it was", async () => {
    const h = await startServer("duplex");
    const opts = Object.freeze({ forceNew: true, reconnection: false });
    const socket = client(`${h.url}/?room=1`, opts);
    await once(socket, "connect");
    expect(opts).toEqual({ forceNew: true, reconnection: false });
  });

  test("a relative URL in Node is a clear error (INVALID_URL), not a connection to host 'chat'", () => {
    expect(() => io("/chat")).toThrow(expect.objectContaining({ code: "INVALID_URL", message: expect.stringMatching(/relative URL needs a page/) }));
  });
});
