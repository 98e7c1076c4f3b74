import WebSocket from "ws";
import { httpRequest } from "./helpers";
import { rawConnect, SERVER_KINDS, startServer, type Running } from "./reference";

/**
 * `maxHttpBufferSize` on both transports, against Duplex and engine.io 6.6
 * (the reference). Over polling, a larger POST body is answered 413, and the
 * answer must reach a client that is still sending its body: the server reads
 * and drops the rest instead of closing the connection under it (which makes
 * the kernel reset it, and a client that reads only after sending sees
 * ECONNRESET instead of the 413). Over WebSocket, a larger message closes the
 * connection with 1009 and the session with "transport error".
 */
const MB = 1024 * 1024;

interface Exchange {
  /** What the client read: the status line and headers of the answer. */
  head: string;
  /** Body bytes the client handed to its socket before the exchange ended. */
  sent: number;
  /** The socket error the client saw, if any (ECONNRESET, EPIPE). */
  error: string | undefined;
}

interface PostOptions {
  /** Transfer-Encoding chunked instead of Content-Length. */
  chunked: boolean;
  /**
   * false: like a client that reads only once it has sent its whole body
   * (Python's http.client, many HTTP libraries), the socket is not read while
   * sending. true: read as the answer comes.
   */
  readWhileSending: boolean;
}

/** POSTs `size` bytes of message packet on a raw connection. */
async function postLargeBody(port: number, path: string, size: number, { chunked, readWhileSending }: PostOptions): Promise<Exchange> {
  const socket = await rawConnect(port);
  if (!readWhileSending) socket.pause();
  let received = "";
  let error: string | undefined;
  let sent = 0;
  socket.on("data", (data: Buffer) => (received += data.toString("latin1")));
  const ended = new Promise<void>((resolve) => {
    socket.once("close", () => resolve());
    socket.on("error", (err: NodeJS.ErrnoException) => {
      error ??= err.code;
      resolve();
    });
    // Complete once the answer's head (and its empty body) is in: engine.io keeps the connection open.
    socket.on("data", () => {
      const headEnd = received.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const chunkedAnswer = /transfer-encoding: chunked/i.test(received.slice(0, headEnd));
      if (!chunkedAnswer || received.endsWith("0\r\n\r\n")) resolve();
    });
  });
  const framing = chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${size}`;
  socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\n${framing}\r\n\r\n`);
  const piece = Buffer.alloc(64 * 1024, "x");
  piece[0] = 0x34; // "4": a message packet, as a client would send
  const canGoOn = () => !socket.destroyed && error === undefined;
  while (sent < size && canGoOn()) {
    const length = Math.min(piece.length, size - sent);
    const data = piece.subarray(0, length);
    const more = socket.write(chunked ? Buffer.concat([Buffer.from(`${length.toString(16)}\r\n`), data, Buffer.from("\r\n")]) : data);
    sent += length;
    if (!more) await new Promise<void>((resolve) => {
      socket.once("drain", resolve);
      socket.once("close", resolve);
    });
  }
  if (chunked && canGoOn()) socket.write("0\r\n\r\n");
  socket.resume();
  await ended;
  socket.destroy();
  const headEnd = received.indexOf("\r\n\r\n");
  return { head: headEnd < 0 ? received : received.slice(0, headEnd), sent, error };
}

describe.each(SERVER_KINDS)("%s: maxHttpBufferSize", (kind) => {
  let server: Running;

  afterEach(() => server.close());

  async function pollingSession(): Promise<string> {
    server = await startServer(kind, { pingInterval: 10000, pingTimeout: 5000, maxHttpBufferSize: MB });
    const handshake = await httpRequest(server.port, "/engine.io/?EIO=4&transport=polling");
    const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
    return `/engine.io/?EIO=4&transport=polling&sid=${sid}`;
  }

  test.each([
    ["with Content-Length", false],
    ["chunked", true],
  ])("a 10 MB POST against a 1 MB limit, %s: the client reads the 413", async (_name, chunked) => {
    const path = await pollingSession();
    const exchange = await postLargeBody(server.port, path, 10 * 1000 * 1000, { chunked, readWhileSending: false });
    expect(exchange.error).toBeUndefined();
    expect(exchange.sent).toBe(10 * 1000 * 1000);
    expect(exchange.head).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
  });

  test("a WebSocket message over the limit closes the connection (1009) and the session ('transport error')", async () => {
    server = await startServer(kind, { pingInterval: 10000, pingTimeout: 5000, maxHttpBufferSize: 1000 });
    const connected = server.nextSession();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/engine.io/?EIO=4&transport=websocket`);
    await new Promise((resolve) => ws.once("open", resolve));
    const session = await connected;
    const reason = new Promise<string>((resolve) => session.once("close", (why) => resolve(why)));
    const closed = new Promise<number>((resolve) => ws.once("close", resolve));

    const atLimit = new Promise<string | Buffer>((resolve) => session.on("message", resolve));
    ws.send("4" + "y".repeat(999)); // 1000 bytes: allowed
    expect(String(await atLimit)).toHaveLength(999);

    ws.send("4" + "z".repeat(1000)); // 1001 bytes
    expect(await closed).toBe(1009);
    expect(await reason).toBe("transport error");
    expect(server.engine.clientsCount).toBe(0);
  });
});

describe("duplex: the rest of an oversized body is dropped within bounds", () => {
  test("a client that goes on sending far past the limit is read for 16 MiB more, then cut off", async () => {
    // engine.io reads such a body to its end, however long; Duplex stops after 16 MiB more.
    const server = await startServer("duplex", { pingInterval: 10000, pingTimeout: 5000, maxHttpBufferSize: MB });
    try {
      const handshake = await httpRequest(server.port, "/engine.io/?EIO=4&transport=polling");
      const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
      const size = 64 * MB;
      const path = `/engine.io/?EIO=4&transport=polling&sid=${sid}`;
      const exchange = await postLargeBody(server.port, path, size, { chunked: false, readWhileSending: true });
      expect(exchange.head).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
      // read and dropped past the limit, then cut off: neither at once nor never
      expect(exchange.sent).toBeGreaterThan(16 * MB);
      expect(exchange.sent).toBeLessThan(48 * MB);
    } finally {
      await server.close();
    }
  });

  test("a client that stops sending in the middle of the rest is cut off after 5 seconds", async () => {
    const server = await startServer("duplex", { pingInterval: 10000, pingTimeout: 5000, maxHttpBufferSize: MB });
    try {
      const handshake = await httpRequest(server.port, "/engine.io/?EIO=4&transport=polling");
      const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
      const socket = await rawConnect(server.port);
      socket.on("error", () => undefined); // the cut may come as a reset
      let received = "";
      let answeredAt = 0;
      socket.on("data", (data: Buffer) => {
        received += data.toString("latin1");
        if (answeredAt === 0 && received.includes("\r\n\r\n")) answeredAt = Date.now();
      });
      const cut = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())));
      socket.write(`POST /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${10 * MB}\r\n\r\n`);
      socket.write(Buffer.alloc(2 * MB, "x")); // past the limit, then nothing more
      const cutAt = await cut;
      expect(received).toMatch(/^HTTP\/1\.1 413 /);
      // DISCARD_LIMIT_MS is 5000, counted from the 413; a loaded machine may only make it later
      expect(cutAt - answeredAt).toBeGreaterThanOrEqual(4000);
      expect(cutAt - answeredAt).toBeLessThan(15000);
    } finally {
      await server.close();
    }
  });
});
