import { httpRequest, type HttpResult } from "./helpers";
import { pendingRequest, SEP, SERVER_KINDS, startServer, type AnySession, type Running } from "./reference";

/**
 * How a polling session's pending GET is released when the session ends,
 * run against Duplex and against engine.io 6.6 (the reference): a close
 * packet from the client, the server's own close, and protocol violations.
 */
describe.each(SERVER_KINDS)("%s: closing a polling session", (kind) => {
  let server: Running;

  afterEach(() => server.close());

  async function open(): Promise<{ session: AnySession; path: string; reason: Promise<string> }> {
    server = await startServer(kind, { pingInterval: 10000, pingTimeout: 5000 });
    const connected = server.nextSession();
    const handshake = await httpRequest(server.port, "/engine.io/?EIO=4&transport=polling");
    const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
    const session = await connected;
    const reason = new Promise<string>((resolve) => session.once("close", (why) => resolve(why)));
    return { session, path: `/engine.io/?EIO=4&transport=polling&sid=${sid}`, reason };
  }

  function poll(path: string): Promise<{ response: Promise<HttpResult> }> {
    return pendingRequest(server, () => httpRequest(server.port, path));
  }

  test("a close packet POSTed while a GET is pending: the GET gets a noop, the POST 'ok', then the sid is unknown", async () => {
    const { path, reason } = await open();
    const { response: pending } = await poll(path);
    const post = await httpRequest(server.port, path, { method: "POST", body: "1" });
    expect(post.status).toBe(200);
    expect(post.body).toBe("ok");
    const released = await pending;
    expect(released.status).toBe(200);
    expect(released.body).toBe("6");
    expect(await reason).toBe("transport close");
    const next = await httpRequest(server.port, path);
    expect(next.status).toBe(400);
    expect(JSON.parse(next.body)).toEqual({ code: 1, message: "Session ID unknown" });
  });

  test("the server closes with no GET pending: the next GET gets a noop and the close packet in one payload", async () => {
    const { session, path, reason } = await open();
    session.close();
    const next = await httpRequest(server.port, path);
    expect(next.status).toBe(200);
    expect(next.body).toBe(`6${SEP}1`);
    expect(await reason).toBe("forced close");
    expect((await httpRequest(server.port, path)).status).toBe(400);
  });

  test("the server closes with a GET pending: that GET gets the close packet alone", async () => {
    const { session, path, reason } = await open();
    const { response: pending } = await poll(path);
    session.close();
    expect((await pending).body).toBe("1");
    expect(await reason).toBe("forced close");
  });

  test.each([
    ["a ping from the client (v4 pings go server to client)", "2", "transport error"],
    ["a payload that does not decode", "9hello", "parse error"],
    ["good packets followed by garbage", `4ok${SEP}x`, "parse error"],
  ])("%s closes the session; the pending GET gets the close packet alone", async (_name, body, expected) => {
    const { path, reason } = await open();
    const { response: pending } = await poll(path);
    // engine.io answers such a POST 200 "ok", Duplex 400 (code 3): only the session's fate is compared.
    await httpRequest(server.port, path, { method: "POST", body });
    const released = await pending;
    expect(released.status).toBe(200);
    expect(released.body).toBe("1");
    expect(await reason).toBe(expected);
    expect((await httpRequest(server.port, path)).status).toBe(400);
  });

  test("a second GET while one is pending closes the session; the first gets the close packet alone", async () => {
    const { path, reason } = await open();
    const { response: first } = await poll(path);
    const second = await httpRequest(server.port, path);
    expect(second.status).toBe(400);
    expect((await first).body).toBe("1");
    expect(await reason).toBe("transport error");
  });
});
