import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Socket as ClientSocket } from "engine.io-client";
import { httpRequest } from "./helpers";
import { pendingRequest, SERVER_KINDS, startServer, type AnySession, type Running } from "./reference";

/**
 * Cache and XSS-filter headers on polling answers, as engine.io 6.6 (the
 * reference) sends them: `Cache-Control: no-store` on every answer of the
 * polling transport (the handshake, each GET, each POST's "ok"), and
 * `X-XSS-Protection: 0` on those when the client is Internet Explorer; not
 * on error answers. Run against both servers.
 */
const INTERNET_EXPLORER_11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko";
const INTERNET_EXPLORER_10 = "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1;MSIE 10.0; Trident/6.0)";
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

describe.each(SERVER_KINDS)("%s: polling answer headers", (kind) => {
  let server: Running;

  afterEach(() => server.close());

  async function open(userAgent: string): Promise<{ session: AnySession; path: string; headers: Record<string, string> }> {
    server = await startServer(kind, { pingInterval: 10000, pingTimeout: 5000, maxHttpBufferSize: 100 });
    const connected = server.nextSession();
    const headers = { "User-Agent": userAgent };
    const handshake = await httpRequest(server.port, "/engine.io/?EIO=4&transport=polling", { headers });
    expect(handshake.headers["cache-control"]).toBe("no-store");
    expect(handshake.headers["x-xss-protection"]).toBe(userAgent === CHROME ? undefined : "0");
    const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
    return { session: await connected, path: `/engine.io/?EIO=4&transport=polling&sid=${sid}`, headers };
  }

  test.each([
    ["any browser", CHROME, undefined],
    ["Internet Explorer 11 (Trident)", INTERNET_EXPLORER_11, "0"],
    ["Internet Explorer 10 (MSIE)", INTERNET_EXPLORER_10, "0"],
  ])("%s: handshake, GET and POST answers", async (_name, userAgent, xss) => {
    const { session, path, headers } = await open(userAgent);
    session.send("hello");
    const poll = await httpRequest(server.port, path, { headers });
    expect(poll.body).toBe("4hello");
    expect(poll.headers["cache-control"]).toBe("no-store");
    expect(poll.headers["x-xss-protection"]).toBe(xss);

    // a GET that waits, released by a send
    const { response: waiting } = await pendingRequest(server, () => httpRequest(server.port, path, { headers }));
    session.send("later");
    const released = await waiting;
    expect(released.body).toBe("4later");
    expect(released.headers["cache-control"]).toBe("no-store");

    const post = await httpRequest(server.port, path, { method: "POST", body: "4hi", headers });
    expect(post.body).toBe("ok");
    expect(post.headers["cache-control"]).toBe("no-store");
    expect(post.headers["x-xss-protection"]).toBe(xss);
  });

  test("error answers carry neither", async () => {
    const { path, headers } = await open(INTERNET_EXPLORER_11);
    const unknown = await httpRequest(server.port, "/engine.io/?EIO=4&transport=polling&sid=nope", { headers });
    expect(unknown.status).toBe(400);
    expect(unknown.headers["cache-control"]).toBeUndefined();
    expect(unknown.headers["x-xss-protection"]).toBeUndefined();
    const tooLarge = await httpRequest(server.port, path, { method: "POST", body: "4" + "x".repeat(200), headers });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers["cache-control"]).toBeUndefined();
    expect(tooLarge.headers["x-xss-protection"]).toBeUndefined();
  });

  test("through engine.io-client over polling: every answer carries Cache-Control: no-store", async () => {
    server = await startServer(kind, { pingInterval: 10000, pingTimeout: 5000 });
    server.engine.on("connection", (session) => session.on("message", (data) => session.send(String(data))));
    // A TCP relay in front of the server keeps what the server answered.
    let answered = "";
    const relayed: Socket[] = [];
    const relay: Server = createServer((client) => {
      const upstream = connect(server.port, "127.0.0.1");
      relayed.push(client, upstream);
      client.pipe(upstream);
      upstream.on("data", (data: Buffer) => (answered += data.toString("latin1")));
      upstream.pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const client = new ClientSocket(`http://127.0.0.1:${(relay.address() as AddressInfo).port}`, { transports: ["polling"] });
    try {
      const echoed = new Promise((resolve) => client.on("message", resolve));
      client.on("open", () => client.send("hello"));
      expect(await echoed).toBe("hello");
      const heads = answered.split("HTTP/1.1 ").slice(1).map((answer) => answer.slice(0, answer.indexOf("\r\n\r\n")));
      // the handshake, the POST's "ok", and the poll that carried the echo
      expect(heads.length).toBeGreaterThanOrEqual(3);
      for (const head of heads) {
        expect(head).toMatch(/^200 /);
        expect(head.toLowerCase()).toContain("\r\ncache-control: no-store");
      }
    } finally {
      client.close();
      for (const socket of relayed) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  test("a 'headers' listener sees Cache-Control and may change it", async () => {
    server = await startServer(kind, { pingInterval: 10000, pingTimeout: 5000 });
    server.engine.on("headers", (headers) => {
      headers["cache-control"] = "private, no-store";
    });
    const handshake = await httpRequest(server.port, "/engine.io/?EIO=4&transport=polling");
    expect(handshake.headers["cache-control"]).toBe("private, no-store");
  });
});
