import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Server as OfficialServer } from "socket.io";
import { io, type Socket } from "@duplex/client";
import { resolveUri } from "@duplex/engine/client";
import { closeAll, onCleanup, startServer, track } from "./helpers";

afterEach(() => closeAll());

/** What `io(uri)` came to: the namespace it connected to, the code of its first connect_error, or of what it threw. */
function outcome(uri: string): Promise<string> {
  let socket: Socket;
  try {
    socket = track(io(uri, { forceNew: true, reconnection: false, timeout: 5000 }));
  } catch (err) {
    return Promise.resolve(`throws ${(err as { code?: string }).code}`);
  }
  return new Promise((resolve) => {
    socket.once("connect", () => resolve(`connect ${socket.nsp}`));
    socket.once("connect_error", (err: Error & { code?: string }) => resolve(`connect_error ${err.code}`));
  });
}

describe("io(uri) in Node, against socket.io 4.8.4", () => {
  let port: number;
  beforeEach(async () => {
    const h = await startServer("socket.io");
    h.io.of("/ns");
    port = h.port;
  });

  test.each([
    // No scheme: http, the port stays the port (it used to become the namespace "3000").
    ["localhost:PORT", "connect /"],
    ["127.0.0.1:PORT/ns", "connect /ns"],
    ["//127.0.0.1:PORT", "connect /"],
    ["//127.0.0.1:PORT/ns", "connect /ns"],
    ["http://127.0.0.1:PORT/ns", "connect /ns"],
    // ws and wss name the same server as http and https.
    ["ws://127.0.0.1:PORT/ns", "connect /ns"],
    ["wss://127.0.0.1:PORT/ns", "connect_error TRANSPORT_ERROR"], // TLS to a plain HTTP server
    ["chat/room", "connect_error TRANSPORT_ERROR"], // the host "chat", which does not resolve
    // Nothing that can name a Socket.IO server: io() throws a coded error, before any request.
    ["ht!tp://x", "throws INVALID_URL"],
    ["ftp://127.0.0.1:PORT/", "throws INVALID_URL"],
    ["/chat", "throws INVALID_URL"],
    ["http://", "throws INVALID_URL"],
    ["http://127.0.0.1:99999/", "throws INVALID_URL"],
    ["http://exa mple.com/", "throws INVALID_URL"],
  ])("%s → %s", async (input, expected) => {
    expect(await outcome(input.replace("PORT", String(port)))).toBe(expected);
  });

  test('"" and no URI mean http://localhost (port 80), completed by the hostname and port options', async () => {
    expect(resolveUri("").href).toBe("http://localhost/");
    expect(resolveUri(undefined).href).toBe("http://localhost/");
    const socket = track(io({ forceNew: true, reconnection: false, hostname: "127.0.0.1", port }));
    expect(await new Promise((resolve) => socket.once("connect", () => resolve(socket.nsp)))).toBe("/");
  });

  test("the INVALID_URL error says what is wrong", () => {
    expect(() => io("/chat")).toThrow(expect.objectContaining({ code: "INVALID_URL", message: expect.stringMatching(/relative URL needs a page.*http:\/\/localhost:3000\/chat/) }));
    expect(() => io("ftp://h/")).toThrow(/the scheme "ftp" is not http, https, ws or wss/);
  });
});

test("http://[::1]:PORT reaches a server on the IPv6 loopback", async () => {
  const http = createServer();
  const server = new OfficialServer(http);
  await new Promise<void>((resolve) => http.listen(0, "::1", resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (http.address() as AddressInfo).port;
  expect(await outcome(`http://[::1]:${port}`)).toBe("connect /");
});

test("io() shares one manager between 'localhost:PORT/a' and 'http://localhost:PORT/b'", async () => {
  const h = await startServer("duplex");
  const a = track(io(`localhost:${h.port}/a`, { reconnection: false }));
  const b = track(io(`http://localhost:${h.port}/b`, { reconnection: false }));
  expect(a.io).toBe(b.io);
});

// The built package, as an application runs it (after `npm run build`):
// "localhost:PORT" used to end the process (an EncodeError thrown outside any
// caller's reach); what io() throws now is the caller's to catch.
test("no input to io() ends a Node process", async () => {
  const script = `
    const { io } = require("@duplex/client");
    const inputs = ["localhost:1", "127.0.0.1:1/ns", "ht!tp://x", "/chat", "http://[::1", "ws://", "wss://127.0.0.1:1"];
    let left = inputs.length;
    for (const uri of inputs) {
      let socket;
      try {
        socket = io(uri, { forceNew: true, reconnection: false, timeout: 3000 });
      } catch (err) {
        console.log(JSON.stringify(uri), "throws", err.code);
        if (--left === 0) console.log("done");
        continue;
      }
      socket.on("connect_error", (err) => {
        console.log(JSON.stringify(uri), err.code);
        socket.close();
        if (--left === 0) console.log("done");
      });
    }`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ["-e", script], { cwd: join(__dirname, ".."), timeout: 15000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  const lines = out.trim().split("\n");
  expect(lines.pop()).toBe("done");
  expect(Object.fromEntries(lines.map((line) => /^(".*?") (.*)$/.exec(line)!.slice(1)).map(([uri, what]) => [JSON.parse(uri), what]))).toEqual({
    "localhost:1": "TRANSPORT_ERROR",
    "127.0.0.1:1/ns": "TRANSPORT_ERROR",
    "ht!tp://x": "throws INVALID_URL",
    "/chat": "throws INVALID_URL",
    "http://[::1": "throws INVALID_URL",
    "ws://": "throws INVALID_URL",
    "wss://127.0.0.1:1": "TRANSPORT_ERROR",
  });
});
