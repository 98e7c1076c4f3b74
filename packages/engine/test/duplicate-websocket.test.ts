import WebSocket from "ws";
import { httpRequest } from "./helpers";
import { rawConnect, SERVER_KINDS, startServer, type AnySession, type Running } from "./reference";

/**
 * A WebSocket that names the sid of a session already on WebSocket (or
 * already probing one). engine.io 6.6, the reference, completes the
 * WebSocket handshake (101) and then closes that WebSocket with a close frame
 * without a status code (seen as 1005), sending nothing before it; the
 * session itself is not touched. Run against both servers.
 */
interface Watched {
  ws: WebSocket;
  messages: string[];
  /** Close code and the messages received before the close. */
  closed: Promise<{ code: number; before: string[] }>;
}

function openWebSocket(port: number, query: string): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket${query}`);
    const messages: string[] = [];
    ws.on("message", (data) => messages.push(String(data)));
    const closed = new Promise<{ code: number; before: string[] }>((done) =>
      ws.once("close", (code) => done({ code, before: [...messages] })),
    );
    ws.once("open", () => resolve({ ws, messages, closed }));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

function nextMessage(watched: Watched): Promise<string> {
  return new Promise((resolve) => watched.ws.once("message", (data) => resolve(String(data))));
}

describe.each(SERVER_KINDS)("%s: a second WebSocket for a session", (kind) => {
  let server: Running;

  afterEach(() => server.close());

  /** Sends "4in" over `ws` and "out" from the server; both must arrive. */
  async function stillWorks(session: AnySession, first: Watched): Promise<void> {
    const received = new Promise<string | Buffer>((resolve) => session.on("message", resolve));
    first.ws.send("4in");
    expect(String(await received)).toBe("in");
    const echoed = nextMessage(first);
    session.send("out");
    expect(await echoed).toBe("4out");
    expect(session.readyState).toBe("open");
    expect(session.transport.name).toBe("websocket");
    expect(server.engine.clientsCount).toBe(1);
  }

  async function pollingSession(): Promise<{ session: AnySession; sid: string }> {
    const connected = server.nextSession();
    const handshake = await httpRequest(server.port, "/engine.io/?EIO=4&transport=polling");
    const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
    return { session: await connected, sid };
  }

  test("after the upgrade: 101, then a close without status code and nothing before it; the session goes on", async () => {
    server = await startServer(kind, { pingInterval: 10000, pingTimeout: 5000 });
    const { session, sid } = await pollingSession();
    const first = await openWebSocket(server.port, `&sid=${sid}`);
    const probed = nextMessage(first);
    first.ws.send("2probe");
    expect(await probed).toBe("3probe");
    const upgraded = new Promise((resolve) => (session as unknown as NodeJS.EventEmitter).once("upgrade", resolve));
    first.ws.send("5");
    await upgraded;

    const second = await openWebSocket(server.port, `&sid=${sid}`);
    expect(await second.closed).toEqual({ code: 1005, before: [] });
    await stillWorks(session, first);
  });

  test("on the wire: the 101 head, then exactly one close frame with an empty payload (0x88 0x00)", async () => {
    server = await startServer(kind, { pingInterval: 10000, pingTimeout: 5000 });
    const { session, sid } = await pollingSession();
    const first = await openWebSocket(server.port, `&sid=${sid}`);
    const probed = nextMessage(first);
    first.ws.send("2probe");
    await probed;
    const upgraded = new Promise((resolve) => (session as unknown as NodeJS.EventEmitter).once("upgrade", resolve));
    first.ws.send("5");
    await upgraded;

    const raw = await rawConnect(server.port);
    let received = Buffer.alloc(0);
    const closeFrameIn = new Promise<void>((resolve) =>
      raw.on("data", (data: Buffer) => {
        received = Buffer.concat([received, data]);
        const headEnd = received.indexOf("\r\n\r\n");
        if (headEnd >= 0 && received.length >= headEnd + 4 + 2) resolve();
      }),
    );
    raw.write(
      `GET /engine.io/?EIO=4&transport=websocket&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    await closeFrameIn;
    // let anything else the server might send arrive
    await new Promise((resolve) => setTimeout(resolve, 100));
    raw.destroy();
    const headEnd = received.indexOf("\r\n\r\n") + 4;
    expect(received.subarray(0, headEnd).toString("latin1")).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(received.subarray(headEnd).toString("hex")).toBe("8800");
    await stillWorks(session, first);
  });

  test("during the upgrade: the same, and the first WebSocket completes the upgrade", async () => {
    server = await startServer(kind, { pingInterval: 10000, pingTimeout: 5000 });
    const { session, sid } = await pollingSession();
    const first = await openWebSocket(server.port, `&sid=${sid}`);
    const second = await openWebSocket(server.port, `&sid=${sid}`);
    expect(await second.closed).toEqual({ code: 1005, before: [] });

    const probed = nextMessage(first);
    first.ws.send("2probe");
    expect(await probed).toBe("3probe");
    const upgraded = new Promise((resolve) => (session as unknown as NodeJS.EventEmitter).once("upgrade", resolve));
    first.ws.send("5");
    await upgraded;
    await stillWorks(session, first);
  });

  test("a session opened over WebSocket: the second one is closed the same way", async () => {
    // engine.io closes it once upgradeTimeout has passed; Duplex at once.
    server = await startServer(kind, { pingInterval: 10000, pingTimeout: 5000, upgradeTimeout: 200 });
    const connected = server.nextSession();
    const first = await openWebSocket(server.port, "");
    const session = await connected;
    const second = await openWebSocket(server.port, `&sid=${session.id}`);
    expect(await second.closed).toEqual({ code: 1005, before: [] });
    await stillWorks(session, first);
  });
});
