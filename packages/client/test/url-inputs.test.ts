import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Server as OfficialServer } from "socket.io";
import { io, type Socket } from "@duplex/client";
import { resolveUri } from "@duplex/engine/client";
import { closeAll, onCleanup, startServer, track } from "./helpers";

afterEach(() => closeAll());

/** What `io(uri)` came to: the namespace it connected to, or the code of its first connect_error. */
function outcome(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once("connect", () => resolve(`connect ${socket.nsp}`));
    socket.once("connect_error", (err: Error & { code?: string }) => resolve(`connect_error ${err.code}`));
  });
}

function open(uri: string): Socket {
  // io() never throws: every input gets a socket.
  return track(io(uri, { forceNew: true, reconnection: false, timeout: 5000 }));
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
    // Nothing that can mean a Socket.IO URL: a coded connect_error, no request.
    ["ht!tp://x", "connect_error INVALID_URL"],
    ["ftp://127.0.0.1:PORT/", "connect_error INVALID_URL"],
    ["/chat", "connect_error INVALID_URL"],
    ["chat/room", "connect_error TRANSPORT_ERROR"], // the host "chat", which does not resolve
    ["http://", "connect_error INVALID_URL"],
    ["http://127.0.0.1:99999/", "connect_error INVALID_URL"],
    ["http://exa mple.com/", "connect_error INVALID_URL"],
  ])("%s → %s", async (input, expected) => {
    const socket = open(input.replace("PORT", String(port)));
    expect(await outcome(socket)).toBe(expected);
  });

  test('"" and no URI mean http://localhost (port 80), completed by the hostname and port options', async () => {
    expect(resolveUri("").href).toBe("http://localhost/");
    expect(resolveUri(undefined).href).toBe("http://localhost/");
    const socket = track(io({ forceNew: true, reconnection: false, hostname: "127.0.0.1", port }));
    expect(await outcome(socket)).toBe("connect /");
  });

  test("the INVALID_URL error says what is wrong", async () => {
    const socket = open("/chat");
    const err = await new Promise<Error & { code?: string }>((resolve) => socket.once("connect_error", resolve));
    expect(err.code).toBe("INVALID_URL");
    expect(err.message).toMatch(/relative URL needs a page.*http:\/\/localhost:3000\/chat/);
  });
});

test("http://[::1]:PORT reaches a server on the IPv6 loopback", async () => {
  const http = createServer();
  const server = new OfficialServer(http);
  await new Promise<void>((resolve) => http.listen(0, "::1", resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (http.address() as AddressInfo).port;
  expect(await outcome(open(`http://[::1]:${port}`))).toBe("connect /");
});

test("io() shares one manager between 'localhost:PORT/a' and 'http://localhost:PORT/b'", async () => {
  const h = await startServer("duplex");
  const a = track(io(`localhost:${h.port}/a`, { reconnection: false }));
  const b = track(io(`http://localhost:${h.port}/b`, { reconnection: false }));
  expect(a.io).toBe(b.io);
});

// The built package, as an application runs it (after `npm run build`): each of
// these inputs used to end the process (an EncodeError thrown from a timer, or a
// TypeError thrown by io()); the process must go on and exit normally.
test("no input to io() ends a Node process", async () => {
  const script = `
    const { io } = require("@duplex/client");
    const inputs = ["localhost:1", "127.0.0.1:1/ns", "ht!tp://x", "/chat", "http://[::1", "ws://", "wss://127.0.0.1:1"];
    let left = inputs.length;
    for (const uri of inputs) {
      const socket = io(uri, { forceNew: true, reconnection: false, timeout: 3000 });
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
  expect(Object.fromEntries(lines.map((line) => [JSON.parse(line.slice(0, line.lastIndexOf(" "))), line.slice(line.lastIndexOf(" ") + 1)]))).toEqual({
    "localhost:1": "TRANSPORT_ERROR",
    "127.0.0.1:1/ns": "TRANSPORT_ERROR",
    "ht!tp://x": "INVALID_URL",
    "/chat": "INVALID_URL",
    "http://[::1": "INVALID_URL",
    "ws://": "INVALID_URL",
    "wss://127.0.0.1:1": "TRANSPORT_ERROR",
  });
});
