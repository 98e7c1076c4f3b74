import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type Server as NetServer, type Socket as NetSocket } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import WebSocket from "ws";
import { closeSocket, probeWebSocket } from "../src/websocket";
import type { Report } from "../src/report";
import { stopwatch, within } from "../../../test-support/timing";

/**
 * The doctor's deadlines with real timers against servers that stall on
 * 127.0.0.1: an HTTP request that gets no answer (`--timeout`), a refused
 * WebSocket handshake whose body never ends, and a peer that never answers
 * the WebSocket close frame (cut off after a second).
 */

const BIN = join(__dirname, "../../..", "packages/cli/bin/duplex.js");
const LATE = 3000;

const servers: NetServer[] = [];
const sockets = new Set<NetSocket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** A TCP server on 127.0.0.1; `onData` sees each connection's bytes. Returns its base URL. */
async function tcpServer(onData: (socket: NetSocket, data: Buffer) => void = () => undefined): Promise<string> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("data", (data) => onData(socket, data));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("an HTTP server that connects but never answers: exit 3 once --timeout passes on each path", async () => {
  const host = await tcpServer();
  const clock = stopwatch();
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(process.execPath, [BIN, "doctor", `http://${host}`, "--json", "--timeout", "400"], { timeout: 20000 }, (err, out) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout: out }),
    ),
  );
  const report = JSON.parse(stdout) as Report;
  expect(code).toBe(3);
  expect(report.summary).toBe("nothing answers: connected, but no answer within 400 ms");
  expect(report.transports.polling.detail).toBe("GET handshake: connected, but no answer within 400 ms");
  expect(report.transports.websocket.detail).toBe("no answer to the WebSocket handshake within 400 ms");
  expect(clock.ms()).toBeGreaterThanOrEqual(400);
});

test("a refused WebSocket handshake whose body never ends is judged on what came within the timeout", async () => {
  const host = await tcpServer((socket) => {
    // Content-Length promises more than is sent: the body never ends.
    socket.write("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nno entry");
  });
  const clock = stopwatch();
  const { outcome } = await within(probeWebSocket(`ws://${host}/socket.io/?EIO=4&transport=websocket`, 400), 400 + LATE, "the probe's outcome");
  expect(outcome).toMatchObject({ kind: "http", status: 403 });
  expect((outcome as { description: string }).description).toContain("no entry");
  expect(clock.ms()).toBeGreaterThanOrEqual(400 - 5);
});

test("closeSocket: a peer that never answers the close frame is cut off after a second", async () => {
  const host = await tcpServer((socket, data) => {
    const key = /Sec-WebSocket-Key: (.+)\r\n/i.exec(data.toString("latin1"))?.[1];
    if (key === undefined) return; // a frame after the handshake (the close frame): ignored
    const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  });
  const ws = new WebSocket(`ws://${host}/`);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const clock = stopwatch();
  await within(closeSocket(ws, true), 1000 + LATE, "closeSocket resolves");
  expect(clock.ms()).toBeGreaterThanOrEqual(1000 - 5);
  expect(ws.readyState).toBe(WebSocket.CLOSED);
});
